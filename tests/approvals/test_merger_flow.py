"""ClosureFlow (merge): the successor is required and active, the account ends `merged`
with the successor set; a merge into another platform type is allowed with a note."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from approvals.models import AccountProcess
from lifecycle.models import AccountState
from lifecycle.selectors import successor_chain
from notices.models import Notice
from tests.approvals.closure_helpers import (  # noqa: F401
    apply_closure,
    approve_chain,
    close_fully,
    deregister,
    end_notice_period,
    pdf_text,
    world_fixture,
)

pytestmark = pytest.mark.django_db


def test_it_merges_into_the_successor(world):
    process = close_fully(world, kind="merge", successor=world.sy, channels=[])
    account = process.account
    assert account.state == AccountState.MERGED
    assert account.successor == world.sy
    assert account.closed_on is not None
    notice = Notice.objects.get(process_id=process.pk)
    assert notice.kind == "merger_announcement"
    assert notice.issuing_unit == world.u.njzj
    assert account.transitions.last().name == "merge_into"


def test_it_names_the_successor_in_the_merger_pdf(world, django_capture_on_commit_callbacks):
    process = apply_closure(world, kind="merge", successor=world.sy, channels=[])
    with django_capture_on_commit_callbacks(execute=True):
        approve_chain(world, process)
    text = pdf_text(Notice.objects.get(process_id=process.pk))
    assert "整合并入“南京食药监”" in text
    assert "njshiyaojian" in text and "南京质检" in text


def test_it_requires_a_successor_account_for_a_merge(world):
    with pytest.raises(ValidationError) as exc:
        apply_closure(world, kind="merge", successor=None)
    assert "整合必须指定承接账号" in " ".join(exc.value.message_dict["successor_account"])
    assert not AccountProcess.objects.exists()


def test_it_rejects_merging_into_itself(world):
    with pytest.raises(ValidationError) as exc:
        apply_closure(world, kind="merge", successor=world.zj)
    assert "successor_account" in exc.value.message_dict


def test_it_allows_a_merge_into_another_platform_with_a_note(world):
    process = apply_closure(world, world.zj_weibo, kind="merge", successor=world.sy, channels=[])
    notes = process.data["closure"]["notes"]
    assert len(notes) == 1 and "微信公众号" in notes[0] and "微博" in notes[0]


def test_it_follows_merges_transitively(world):
    close_fully(world, world.zj_weibo, kind="merge", successor=world.zj, channels=[])
    close_fully(world, world.zj, kind="merge", successor=world.sy, channels=[])
    world.zj_weibo.refresh_from_db()
    assert [a.name for a in successor_chain(world.zj_weibo)] == ["南京质检", "南京食药监"]
    assert successor_chain(world.zj_weibo)[-1].state == AccountState.ACTIVE
