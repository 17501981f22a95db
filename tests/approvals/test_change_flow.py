"""ChangeFlow: rename / new operator / new subject / contact → chain → account_change with
before/after in the history → 变更备案函 from the supervisor unit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from viewflow.workflow.status import PROCESS

from approvals import services
from approvals.models import AccountProcess
from lifecycle.models import AccountTransition
from notices.models import Notice
from tests.approvals.closure_helpers import approve_chain, pdf_text, world_fixture  # noqa: F401
from tests.approvals.helpers import decide

pytestmark = pytest.mark.django_db


def _apply(world, changes, reason="机构改革更名"):
    return services.change_apply(actor=world.p.njzj_clerk, account=world.zj, changes=changes,
                                 reason=reason)


def test_it_applies_an_approved_change_and_files_it(world, django_capture_on_commit_callbacks):
    process = _apply(world, {"name": "南京市场监管", "operator": "某传媒公司",
                             "contact_phone": world.zj.contact_phone})
    assert process.kind == "change"
    assert process.data["change"]["changes"] == {"name": "南京市场监管", "operator": "某传媒公司"}
    world.zj.refresh_from_db()
    assert world.zj.name == "南京质检"  # nothing applied before the chain approves
    with django_capture_on_commit_callbacks(execute=True):
        approve_chain(world, process)
    world.zj.refresh_from_db()
    assert world.zj.name == "南京市场监管" and world.zj.operator == "某传媒公司"
    row = AccountTransition.objects.get(account=world.zj, name="change")
    assert row.data == {"before": {"name": "南京质检", "operator": ""},
                        "after": {"name": "南京市场监管", "operator": "某传媒公司"}}
    notice = Notice.objects.get(process_id=process.pk)
    assert notice.kind == "change_filing"
    assert notice.issuing_unit == world.u.nj  # the account's supervisor unit
    text = pdf_text(notice)
    assert "南京质检" in text and "南京市场监管" in text
    assert process.status == PROCESS.DONE


def test_it_changes_nothing_when_rejected(world):
    process = _apply(world, {"verified_subject": "南京市市场监督管理局"})
    decide(process, world.p.njzj_head, decision="reject", comment="材料不全")
    world.zj.refresh_from_db()
    assert world.zj.verified_subject == ""
    assert not AccountTransition.objects.filter(name="change").exists()


def test_it_rejects_an_empty_or_unknown_change(world):
    with pytest.raises(ValidationError) as exc:
        _apply(world, {"name": "南京质检"})
    assert "changes" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _apply(world, {"state": "closed"})
    assert "state" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        _apply(world, {"name": " "}, reason="")
    assert {"name", "reason"} <= set(exc.value.message_dict)
    # What an opening requires cannot be blanked (南京质检 has a contact phone).
    with pytest.raises(ValidationError) as exc:
        _apply(world, {"contact_phone": "", "operator": "某公司"})
    assert exc.value.message_dict["contact_phone"] == ["此项不能清空。"]
    assert not AccountProcess.objects.exists()


def test_it_rejects_a_second_pending_change(world):
    first = _apply(world, {"operator": "甲公司"})
    with pytest.raises(ValidationError) as exc:
        _apply(world, {"operator": "乙公司"})
    assert f"#{first.pk}" in " ".join(exc.value.message_dict["account"])


def test_it_applies_for_a_change_from_the_web_form(client, world):
    client.force_login(world.p.njzj_clerk)
    url = reverse("work:apply_change", args=[world.zj.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'value="南京质检"' in page.content.decode()
    response = client.post(url, {"name": "南京市场监管", "operator": "", "verified_subject": "",
                                 "contact_name": "", "contact_phone": "025-8000", "purpose": "",
                                 "reason": "更名"})
    assert response.status_code == 302, response.content.decode()[:1500]
    assert client.get(response.url).status_code == 200  # the process page of ChangeFlow
    process = AccountProcess.objects.get(account=world.zj, kind="change")
    assert process.data["change"]["changes"] == {"name": "南京市场监管"}
