"""The notification centre in the workbench: the bell with its unread count on every
staff page, the list, mark read (following the link), mark all read, preferences — each
user sees and touches only their own rows."""

from __future__ import annotations

import pytest

from lifecycle import notifications as n
from lifecycle.models import Notification, NotificationPreference

pytestmark = pytest.mark.django_db


def _notify(user, title="催办：{account}", account="兴隆发布", link="/work/applications/", **kw):
    return n.notify(recipients=[user], kind=n.URGED, title=title, params={"account": account},
                    link=link, **kw)[0]


def test_the_bell_shows_the_unread_count_on_staff_pages(client, nanjing):
    clerk = nanjing.p.xl_clerk
    client.force_login(clerk)
    page = client.get("/work/applications/").content.decode()
    assert 'data-testid="notification-bell"' in page
    assert 'data-testid="unread-count"' not in page
    _notify(clerk)
    _notify(clerk)
    for url in ("/work/applications/", "/workflow/inbox/"):
        page = client.get(url).content.decode()
        assert '<span class="govmedia-badge" data-testid="unread-count">2</span>' in page, url


def test_the_list_shows_own_rows_escaped_and_marks_them_read(client, nanjing):
    clerk, head = nanjing.p.xl_clerk, nanjing.p.xl_head
    mine = _notify(clerk, account="<b>兴隆</b>", body="<script>x</script>")
    theirs = _notify(head, account="别人的")
    client.force_login(clerk)
    page = client.get("/work/notifications/").content.decode()
    assert "催办：&lt;b&gt;兴隆&lt;/b&gt;" in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert "别人的" not in page
    # another user's notification: 404, and it stays unread
    assert client.post(f"/work/notifications/{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    # open: marks read and follows the link
    response = client.post(f"/work/notifications/{mine.pk}/read/", {"open": "1"})
    assert response.status_code == 302 and response.url == "/work/applications/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    page = client.get("/work/notifications/?unread=1").content.decode()
    assert 'data-testid="notification"' not in page


def test_mark_all_read(client, nanjing):
    clerk = nanjing.p.xl_clerk
    for _ in range(3):
        _notify(clerk)
    other = _notify(nanjing.p.xl_head)
    client.force_login(clerk)
    response = client.post("/work/notifications/read-all/", follow=True)
    assert "已将 3 条通知标为已读" in response.content.decode()
    assert not Notification.objects.filter(recipient=clerk, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_preferences_are_saved_per_kind(client, nanjing):
    clerk = nanjing.p.xl_clerk
    client.force_login(clerk)
    page = client.get("/work/notifications/settings/").content.decode()
    assert 'name="email_reminder" aria-label="即将到期提醒 电子邮件" checked' in page
    form = {f"in_app_{kind}": "on" for kind in n.KINDS if kind != n.COPIED}
    form["email_urged"] = "on"
    client.post("/work/notifications/settings/", form)
    prefs = {p.kind: (p.in_app, p.email) for p in NotificationPreference.objects.filter(user=clerk)}
    assert prefs[n.COPIED] == (False, False)
    assert prefs[n.URGED] == (True, True)
    assert prefs[n.REMINDER] == (True, False)  # unticked
    assert n.notify(recipients=[clerk], kind=n.COPIED, title="抄送") == []


def test_anonymous_users_are_sent_to_login(client, nanjing):
    response = client.get("/work/notifications/")
    assert response.status_code == 302 and "login" in response.url
