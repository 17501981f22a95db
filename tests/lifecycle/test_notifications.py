"""lifecycle.notifications: who gets a row, preferences, once-only keys, e-mail after
commit, mark read — and the reads of lifecycle.selectors."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext_noop

from lifecycle import notifications as n
from lifecycle import selectors
from lifecycle.models import Notification

pytestmark = pytest.mark.django_db


def _send(p, **kw):
    args = {"recipients": [p.xl_clerk, p.xl_head], "kind": n.URGED,
            "title": gettext_noop("催办：{account}"), "params": {"account": "兴隆发布"},
            "link": "/work/tasks/1/", **kw}
    return n.notify(**args)


def test_it_writes_one_unread_row_per_recipient_but_not_for_the_actor(nanjing):
    p = nanjing.p
    rows = _send(p, recipients=[p.xl_clerk, p.xl_head, p.xl_clerk.pk, p.jy_approver],
                 actor=p.jy_approver)
    assert sorted(r.recipient_id for r in rows) == sorted([p.xl_clerk.pk, p.xl_head.pk])
    assert selectors.unread_count(p.xl_clerk) == 1
    assert selectors.unread_count(p.jy_approver) == 0
    row = selectors.notifications_for(p.xl_clerk).get()
    assert (row.kind, row.text, row.link, row.actor) == (
        n.URGED, "催办：兴隆发布", "/work/tasks/1/", p.jy_approver)


def test_the_title_is_translated_when_shown(nanjing):
    _send(nanjing.p, title=gettext_noop("新待办：{account}（{step}），申请单位：{unit}"),
          params={"account": "兴隆发布", "step": "审核", "unit": "兴隆街道"})
    row = Notification.objects.filter(recipient=nanjing.p.xl_clerk).get()
    with translation.override("en"):
        assert "兴隆发布" in row.text and "新待办" not in row.text


def test_a_key_makes_it_once_only(nanjing):
    p = nanjing.p
    assert len(_send(p, key="reminder:7")) == 2
    assert _send(p, key="reminder:7") == []
    assert Notification.objects.count() == 2


def test_a_key_shared_by_two_messages_of_one_call_writes_once_per_recipient(nanjing):
    """run_due tells the heads and the task's people in one notify_many; someone who is both
    gets the first message only, as two notify() calls in a row would do."""
    p = nanjing.p
    base = {"kind": n.OVERDUE, "params": {"account": "兴隆发布"}, "key": "overdue:9"}
    rows = n.notify_many([
        dict(base, recipients=[p.xl_head], title=gettext_noop("督办：{account}")),
        dict(base, recipients=[p.xl_head, p.xl_clerk], title=gettext_noop("已超期：{account}")),
    ])
    assert sorted((r.recipient_id, r.title) for r in rows) == sorted(
        [(p.xl_head.pk, "督办：{account}"), (p.xl_clerk.pk, "已超期：{account}")])
    assert Notification.objects.count() == 2


def test_an_unknown_kind_or_a_foreign_link_is_refused(nanjing):
    with pytest.raises(ValueError):
        _send(nanjing.p, kind="nonsense")
    for link in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        with pytest.raises(ValueError):
            _send(nanjing.p, link=link)
    assert Notification.objects.count() == 0


def test_preferences_choose_in_app_and_email_per_kind(nanjing, django_capture_on_commit_callbacks):
    p = nanjing.p
    p.xl_clerk.email, p.xl_head.email = "clerk@example.gov.cn", "head@example.gov.cn"
    p.xl_clerk.save()
    p.xl_head.save()
    n.preferences_set(user=p.xl_clerk, choices={n.URGED: (False, True)})
    with django_capture_on_commit_callbacks(execute=True):
        rows = _send(p, body="请尽快办理")
    # the clerk: no row but an e-mail; the head: the defaults (a row, no e-mail)
    assert [r.recipient_id for r in rows] == [p.xl_head.pk]
    assert [m.to for m in mail.outbox] == [["clerk@example.gov.cn"]]
    assert mail.outbox[0].subject == "催办：兴隆发布"
    assert "请尽快办理" in mail.outbox[0].body and "/work/tasks/1/" in mail.outbox[0].body
    prefs = {row["kind"]: row for row in n.preferences_for(p.xl_clerk)}
    assert (prefs[n.URGED]["in_app"], prefs[n.URGED]["email"]) == (False, True)
    assert prefs[n.REMINDER]["email"] is True  # run_due's e-mail stays on by default
    assert n.wants_email(p.xl_head, n.OVERDUE) and not n.wants_email(p.xl_head, n.URGED)
    with pytest.raises(ValueError):
        n.preferences_set(user=p.xl_clerk, choices={"nonsense": (True, True)})


def test_mark_read_touches_only_ones_own_rows(nanjing):
    p = nanjing.p
    rows = _send(p)
    mine = next(r for r in rows if r.recipient_id == p.xl_clerk.pk)
    theirs = next(r for r in rows if r.recipient_id == p.xl_head.pk)
    assert n.mark_read(user=p.xl_clerk, ids=[mine.pk, theirs.pk]) == 1
    assert selectors.unread_count(p.xl_clerk) == 0
    assert selectors.unread_count(p.xl_head) == 1
    _send(p)
    assert n.mark_all_read(user=p.xl_head) == 2
    assert selectors.unread_count(p.xl_head) == 0


def test_a_registered_kind_needs_no_migration(nanjing):
    code = n.register_kind("test_warning_kind", "测试").code
    try:
        assert len(_send(nanjing.p, kind=code)) == 2
    finally:
        n.KINDS.pop(code)


def test_email_wanted_answers_for_many_users_in_one_query(nanjing, django_assert_num_queries):
    p = nanjing.p
    n.preferences_set(user=p.xl_clerk, choices={n.OVERDUE: (True, False)})
    users = [p.xl_clerk, p.xl_head, p.jy_approver]
    with django_assert_num_queries(1):
        wanted = n.email_wanted(users, n.OVERDUE)
    # the clerk turned it off; the others keep the default (on for overdue)
    assert wanted == {p.xl_head.pk, p.jy_approver.pk}
    assert wanted == {u.pk for u in users if n.wants_email(u, n.OVERDUE)}
