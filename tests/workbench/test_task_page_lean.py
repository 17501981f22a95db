"""The task page reads less without showing less (issue 15): the 加签 picker's people come
with all their memberships in one query, the timeline reuses the page task's routing rows,
a decision's POST loads the task without the page's joins, and the account a transition
moved is handed back without reading it again."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals import selectors, services
from approvals.nodes import task_url
from lifecycle import services as lifecycle
from lifecycle.models import Account, AccountTransition
from tests.approvals.helpers import apply_xl, decide, only_open_task
from workbench.templatetags.workbench_tags import person_label

pytestmark = pytest.mark.django_db


@pytest.fixture
def signer(nanjing):
    """A unit head of 建邺 (not a role of any step of 兴隆's chain) who is also 江北's
    approver: a 加签 candidate with two memberships."""
    user = lifecycle.user_upsert(username="jy_head", full_name="建邺负责人", password="pw-12345678")
    lifecycle.membership_add(user=user, unit=nanjing.u.jy, role="unit_head")
    lifecycle.membership_add(user=user, unit=nanjing.u.jb, role="approver")
    return user


def test_the_signer_picker_lists_the_candidates_with_all_their_memberships_in_one_query(
        nanjing, signer, client):
    p = nanjing.p
    # as the page loads it: with its process
    task = selectors.task_in_scope(p.xl_head, only_open_task(apply_xl(nanjing)).pk)
    expected = list(services.signer_candidates(task, p.xl_head).prefetch_related("memberships__unit"))
    assert [u.pk for u in expected] == [signer.pk]
    with CaptureQueriesContext(connection) as ctx:
        people = services.signer_choices(task, p.xl_head)
        labels = [person_label(u) for u in people]
    assert len(ctx.captured_queries) == 1
    assert [u.pk for u in people] == [u.pk for u in expected]
    assert labels == [person_label(u) for u in expected]
    assert "建邺区人民政府办公室单位负责人" in labels[0] and "江北新区管理委员会办公室审核人" in labels[0]
    client.force_login(p.xl_head)
    page = client.get(f"/work/tasks/{task.pk}/add-signer/").content.decode()
    assert labels[0] in page


def test_the_page_and_the_decision_still_show_and_write_everything(nanjing, signer, client):
    """The timeline's current step (holders, due date) from the page task's rows; the
    decision's POST with the lighter load; an error page after a POST still shows the
    application."""
    p = nanjing.p
    process = apply_xl(nanjing)
    task = only_open_task(process)
    client.force_login(p.xl_head)
    page = client.get(task_url(task)).content.decode()
    assert "兴隆负责人" in page and process.account.name in page
    due = min(a.due_on for a in task.assignments.all())
    assert due.isoformat() in page
    bad = client.post(task_url(task), {"d-decision": "reject", "d-comment": ""})
    assert bad.status_code == 400
    assert process.account.name in bad.content.decode()
    assert "不同意或退回时必须说明理由" in bad.content.decode()
    ok = client.post(task_url(task), {"d-decision": "approve", "d-comment": "同意"})
    assert ok.status_code == 302
    task.refresh_from_db()
    assert task.status == "DONE"
    nxt = only_open_task(process)
    client.force_login(p.jy_approver)
    page = client.get(task_url(nxt)).content.decode()
    assert "建邺审核人" in page and "兴隆负责人" in page  # the holder now, the signer before


def test_a_transition_hands_the_moved_row_back_without_reading_it_again(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    decide(process, p.jy_approver)
    account = Account.objects.select_related("unit").get(pk=process.account_id)
    unit = account.unit
    with CaptureQueriesContext(connection) as ctx:
        lifecycle.account_approve_opening(account=account, actor=p.nj_approver, reason="")
    reads = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "lifecycle_account"')]
    assert len(reads) == 1  # the lock's read (SELECT … FOR UPDATE on PostgreSQL) only
    fresh = Account.objects.get(pk=account.pk)
    assert account.state == fresh.state == "approved"
    assert account.updated == fresh.updated
    assert account.unit is unit  # the loaded unit stays: its key did not change
    assert AccountTransition.objects.filter(account=account, to_state="approved").count() == 1
    # the handed-back object is the current row: its next transition is no conflict…
    stale = Account.objects.get(pk=account.pk)
    lifecycle.account_register(account=account, actor=p.xl_clerk, platform_id="gh_xl",
                               verified_subject="兴隆街道办事处",
                               live_on=datetime.date.today())
    assert account.state == Account.objects.get(pk=account.pk).state == "active"
    assert account.platform_id == "gh_xl"
    # …and a copy read before it still is one
    with pytest.raises(lifecycle.TransitionError):
        lifecycle.account_register(account=stale, actor=p.xl_clerk, platform_id="gh_xl2",
                                   verified_subject="兴隆街道办事处",
                                   live_on=datetime.date.today())


def test_the_task_page_reads_as_many_statements_whatever_the_number_of_decisions(nanjing, client):
    """The timeline labels every decision with its step from the page's process, not from
    each decision task's own process row (one query per decision before); the open tasks'
    holders come from the routing rows already loaded."""
    p = nanjing.p
    counts = []
    for name, deciders, reader in (("一级", [p.xl_head], p.jy_approver),
                                   ("二级", [p.xl_head, p.jy_approver], p.nj_approver)):
        process = apply_xl(nanjing, name=name, exemption_reason="专项")
        for actor in deciders:
            decide(process, actor)
        task = only_open_task(process)
        client.force_login(reader)
        client.get(task_url(task))
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(task_url(task)).content.decode()
        counts.append(len(ctx.captured_queries))
        for actor in deciders:  # every decision is on the timeline, with its step
            assert actor.get_full_name() in page
        assert not [q for q in ctx.captured_queries
                    if q["sql"].startswith('SELECT "viewflow_process"."id"')]
    assert counts[0] == counts[1], counts
