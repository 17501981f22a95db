"""The feedback admin's 标记为已处理 action asks for a note and hands every selected report
to review.services.feedback_handle: the permission check and the audit row apply, and a
refused report is a message on the list page, never a server error."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from lifecycle.models import AccountTransition
from review.models import Feedback
from review.services import (
    ERR_HANDLE_FORBIDDEN,
    ERR_HANDLE_KIND,
    ERR_HANDLE_NOTE,
    FEEDBACK_HANDLED,
    feedback_handle,
)
from tests.review.helpers import account

pytestmark = pytest.mark.django_db

URL = "/admin/review/feedback/"
NOTE = "已核实，电话已更正为 025-8000"


@pytest.fixture
def report(nanjing):
    acc = account(nanjing.u.xl, "兴隆发布")
    return Feedback.objects.create(account=acc, kind="error_report", text="电话号码写错了")


@pytest.fixture
def root(client):
    # root: superuser; may handle any unit's reports.
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(user)
    return user


@pytest.fixture
def jb_staff(client, nanjing):
    # An approver of 江北新区 with admin access to feedback: may open the list, but 兴隆's
    # reports are answered by 兴隆's own staff only.
    user = nanjing.p.jb_approver
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="review", codename__in=["view_feedback", "change_feedback"]
        )
    )
    client.force_login(user)
    return user


def _run(client, ids, **extra):
    return client.post(URL, {"action": "mark_handled", "_selected_action": ids, **extra}, follow=True)


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def test_it_asks_for_the_note_before_writing_anything(client, root, report):
    response = client.post(URL, {"action": "mark_handled", "index": 0, "_selected_action": [report.pk]})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="note"' in html and "电话号码写错了" in html
    report.refresh_from_db()
    assert report.handled_at is None
    assert not AccountTransition.objects.filter(name=FEEDBACK_HANDLED).exists()


def test_it_asks_again_when_the_note_is_blank(client, root, report):
    response = client.post(
        URL, {"action": "mark_handled", "_selected_action": [report.pk], "apply": "1", "note": "  "}
    )
    assert response.status_code == 200
    assert str(ERR_HANDLE_NOTE) in response.content.decode()
    report.refresh_from_db()
    assert report.handled_at is None
    assert not AccountTransition.objects.filter(name=FEEDBACK_HANDLED).exists()


def test_it_marks_handled_and_writes_the_audit_row(client, root, report):
    response = _run(client, [report.pk], apply="1", note=NOTE)
    assert response.status_code == 200
    assert _messages(response) == ["已处理 1 条。"]
    report.refresh_from_db()
    assert report.handled_by == root and report.handled_at is not None
    row = AccountTransition.objects.get(name=FEEDBACK_HANDLED)
    assert (row.account, row.actor, row.reason) == (report.account, root, NOTE)
    assert row.data == {"feedback_id": report.pk, "kind": "error_report"}
    assert row.from_state == row.to_state == report.account.state


def test_it_refuses_a_user_who_may_not_handle_the_report(client, jb_staff, report):
    response = _run(client, [report.pk], apply="1", note=NOTE)
    assert response.status_code == 200
    [message] = _messages(response)
    assert f"#{report.pk}" in message and str(ERR_HANDLE_FORBIDDEN) in message
    report.refresh_from_db()
    assert report.handled_at is None and report.handled_by is None
    assert not AccountTransition.objects.filter(name=FEEDBACK_HANDLED).exists()


def test_it_handles_the_rest_and_lists_the_refused_ones(client, root, report, nanjing):
    praise = Feedback.objects.create(account=report.account, kind="praise")
    done = Feedback.objects.create(account=report.account, kind="error_report", text="错别字")
    clerk = nanjing.p.xl_clerk
    feedback_handle(feedback=done, actor=clerk, note="已更正")
    response = _run(client, [report.pk, praise.pk, done.pk], apply="1", note=NOTE)
    messages = _messages(response)
    assert response.status_code == 200
    assert len(messages) == 3
    assert any(f"#{praise.pk}" in m and str(ERR_HANDLE_KIND) in m for m in messages)
    assert any(f"#{done.pk}" in m and "兴隆填报员" in m for m in messages)
    assert "已处理 1 条。" in messages
    assert AccountTransition.objects.filter(name=FEEDBACK_HANDLED).count() == 2  # the earlier one too
    done.refresh_from_db()
    praise.refresh_from_db()
    assert done.handled_by == clerk and praise.handled_at is None


def test_it_does_not_offer_the_handling_fields_on_the_change_form(client, root, report):
    html = client.get(f"{URL}{report.pk}/change/").content.decode()
    assert 'name="handled_by"' not in html and 'name="handled_at' not in html
