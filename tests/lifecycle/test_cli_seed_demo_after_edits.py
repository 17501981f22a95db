"""seed_demo after the demo data was edited (audit item 5): still idempotent, never a
traceback — what it cannot recreate is skipped with a warning line."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from approvals.management.commands.seed_demo import Command
from approvals.models import AccountProcess
from lifecycle.models import Account, Membership
from tests.lifecycle.import_files import run

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    result = run("seed_demo")
    assert result.code == 0, result.err
    return result


def test_it_recognises_a_renamed_application(seeded):
    account = Account.objects.get(name="兴隆街道", platform="douyin")
    Account.objects.filter(pk=account.pk).update(name="兴隆街道抖音")
    processes = AccountProcess.objects.count()

    again = run("seed_demo")

    assert again.code == 0, again.err
    assert "未作任何修改" in again.out
    assert "Traceback" not in again.err
    assert AccountProcess.objects.count() == processes
    assert not Account.objects.filter(name="兴隆街道", platform="douyin").exists()


def test_it_skips_what_it_cannot_recreate_with_a_warning(seeded):
    account = Account.objects.get(name="兴隆发布", platform="toutiao")
    Account.objects.filter(pk=account.pk).update(name="兴隆头条", purpose="另作他用")
    Membership.objects.filter(user__username="xinglong_head").delete()
    accounts = Account.objects.count()

    again = run("seed_demo")

    assert again.code == 0, again.err
    warnings = [line for line in again.err.splitlines() if line.startswith("seed_demo: warning:")]
    assert len(warnings) == 1
    assert "演示申请「兴隆发布」（JYXL，toutiao）" in warnings[0]
    assert "该单位在此平台已有账号（兴隆头条）" in warnings[0]
    assert "跳过 1 项" in again.out
    # The rest still ran: the demo role taken away is given back.
    assert Membership.objects.filter(user__username="xinglong_head", role="unit_head").exists()
    assert Account.objects.count() == accounts


def test_an_unexpected_refusal_is_one_line_and_exit_1(db, monkeypatch):
    def refuse(self, tally):
        raise ValidationError({"code": ["单位代码已被占用。"]})

    monkeypatch.setattr(Command, "seed_units", refuse)

    result = run("seed_demo")

    assert result.code == 1
    assert result.err.strip() == "CommandError: 演示数据未能加载，未写入任何数据：单位代码已被占用。"
