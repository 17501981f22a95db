"""Early warnings (预警): accounts past the warning threshold before the veto, recorded and
sent once per threshold crossing by run_due (e-mail to the owning unit), listed with days
left on the warnings page and the dashboard, and shown on later inspection sheets."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lifecycle.models import Account, Platform
from review.models import EarlyWarning, Indicator, RuleSet
from review.warnings import accounts_at_risk, warnings_record
from tests.approvals.review_helpers import make_account, review_world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def _today():
    return datetime.date.today()


def _run(day: datetime.date) -> str:
    out = io.StringIO()
    call_command("run_due", now=day.isoformat(), stdout=out)
    return out.getvalue()


def _emails(world):
    for user in (world.p.xl_clerk, world.p.xl_head):
        user.email = f"{user.username}@xl.example"
        user.save(update_fields=["email"])


def test_it_selects_accounts_past_the_warning_line_and_not_yet_vetoed(review_world):
    w = review_world
    at11 = make_account("十一天", w.u.xl, w.u.jy, platform=Platform.WEIBO, days_ago=11)
    make_account("九天", w.u.xl, w.u.jy, platform=Platform.TOUTIAO, days_ago=9)
    make_account("二十天", w.u.xl, w.u.jy, platform=Platform.BILIBILI, days_ago=20)
    young = make_account("新号", w.u.xl, w.u.jy, platform=Platform.KUAISHOU, days_ago=None,
                         opened_on=_today() - datetime.timedelta(days=12))
    with CaptureQueriesContext(connection) as ctx:
        found = accounts_at_risk(as_of=_today())
    risks = {r.account_id: r for r in found}
    assert set(risks) == {at11.pk, young.pk}
    # the candidates are read unordered (sorted in Python): an ORDER BY name through the
    # server-side cursor walked the name index over the whole province on PostgreSQL
    reads = [q["sql"] for q in ctx.captured_queries if 'FROM "lifecycle_account"' in q["sql"]]
    assert reads and not [sql for sql in reads if "ORDER BY" in sql]
    assert risks[at11.pk].days_left == 3 and risks[at11.pk].judged_days == 11
    assert risks[at11.pk].line_on == _today() + datetime.timedelta(days=4)
    assert risks[young.pk].days_left == 2


def test_it_reads_the_threshold_from_the_rule_set(review_world):
    w = review_world
    make_account("十一天", w.u.xl, w.u.jy, platform=Platform.WEIBO, days_ago=11)
    indicator = Indicator.objects.get(rule_set=RuleSet.objects.get(active=True), code="NO_UPDATE_14D")
    indicator.params = {**indicator.params, "warn_days": 12}
    indicator.save()
    assert accounts_at_risk(as_of=_today()) == []


def test_run_due_warns_each_unit_once_per_crossing(review_world):
    w = review_world
    _emails(w)
    acc = make_account("十一天", w.u.xl, w.u.jy, platform=Platform.WEIBO, days_ago=11)
    summary = _run(_today())
    assert "warnings opened: 1" in summary and "warning e-mails sent: 2" in summary
    sent = [m for m in mail.outbox if "预警" in m.subject]
    assert sorted(m.to[0] for m in sent) == ["xl_clerk@xl.example", "xl_head@xl.example"]
    assert "十一天" in sent[0].body and "剩余3天" in sent[0].body
    warning = EarlyWarning.objects.get(account=acc)
    assert warning.notified_at is not None and "xl_clerk" in warning.notified_to
    # In-app too: one notification per person of the unit, linking the unit's warnings page.
    from lifecycle.models import Notification

    notes = Notification.objects.filter(kind="warning", key=f"warning:{warning.pk}")
    assert {n.recipient_id for n in notes} == {w.p.xl_clerk.pk, w.p.xl_head.pk}
    assert all(n.link.endswith("?unit=JYXL") and n.params["account"] == "十一天" for n in notes)
    # Once per crossing: the next days (still at risk, then vetoed) send nothing more.
    mail.outbox.clear()
    _run(_today() + datetime.timedelta(days=1))
    _run(_today() + datetime.timedelta(days=6))
    assert not [m for m in mail.outbox if "预警" in m.subject]
    assert EarlyWarning.objects.filter(account=acc).count() == 1
    assert Notification.objects.filter(kind="warning").count() == 2
    # The account posts again: the warning clears; crossing again is a new warning + e-mail.
    Account.objects.filter(pk=acc.pk).update(last_post_on=_today())
    assert warnings_record(today=_today() + datetime.timedelta(days=1)) == {"opened": 0, "cleared": 1}
    assert "warnings opened: 1" in _run(_today() + datetime.timedelta(days=12))
    assert EarlyWarning.objects.filter(account=acc).count() == 2
    assert len([m for m in mail.outbox if "预警" in m.subject]) == 2


def test_the_warnings_page_lists_accounts_at_risk_with_days_left_in_scope(client, review_world):
    w = review_world
    acc = make_account("十一天", w.u.xl, w.u.jy, platform=Platform.WEIBO, days_ago=11)
    far = make_account("江北十二天", w.u.jb, w.u.nj, platform=Platform.DOUYIN, days_ago=12)
    client.force_login(w.p.xl_clerk)
    body = client.get(reverse("work:warnings") + "?unit=JYXL").content.decode()
    assert acc.name in body and far.name not in body
    assert f'data-testid="risk-{acc.pk}"' in body and "<strong>3</strong>" in body
    assert client.get(reverse("work:warnings") + "?unit=JB").status_code == 404
    client.force_login(w.p.nj_inspector)
    body = client.get(reverse("work:dashboard")).content.decode()
    assert acc.name in body and far.name in body


def test_the_inspection_sheet_and_account_page_show_the_warning(client, review_world):
    from django.test import TestCase

    from approvals.models import AccountProcess
    from approvals.selectors import open_tasks

    w = review_world
    _run(_today() - datetime.timedelta(days=2))  # stale (200 days) is past the line already
    Account.objects.filter(pk=w.xl.pk).update(
        last_post_on=_today() - datetime.timedelta(days=13))
    warnings_record(today=_today() - datetime.timedelta(days=2))
    warning = EarlyWarning.objects.get(account=w.xl)
    client.force_login(w.p.xl_clerk)
    page = client.get(reverse("work:account", args=[w.xl.pk])).content.decode()
    assert 'data-testid="account-warning"' in page
    client.force_login(w.p.nj_inspector)
    data = {"period": "2026Q4", "kind": "quarterly", "ratio": "1", "seed": "7", "scope_unit": "NJ"}
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("work:campaigns"), data)
    process = next(p for p in AccountProcess.objects.filter(account=w.xl) if p.data.get("campaign"))
    task = open_tasks(process)[0]
    sheet = client.get(reverse("work:inspection_sheet", args=[task.pk])).content.decode()
    assert f"已于 {warning.crossed_on.isoformat()} 预警" in sheet


class _RefusingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError(111, "Connection refused")


def test_a_unit_whose_warning_mail_all_failed_is_warned_again_by_the_next_run(
        review_world, settings):
    w = review_world
    _emails(w)
    acc = make_account("十一天", w.u.xl, w.u.jy, platform=Platform.WEIBO, days_ago=11)
    settings.EMAIL_BACKEND = f"{__name__}._RefusingBackend"
    assert "warning e-mails sent: 0" in _run(_today())
    warning = EarlyWarning.objects.get(account=acc)
    assert warning.notified_at is None and warning.notified_to == ""  # released

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert "warning e-mails sent: 2" in _run(_today())
    warning.refresh_from_db()
    assert warning.notified_at is not None
    assert sorted(warning.notified_to.split(";")) == ["xl_clerk", "xl_head"]


def test_warning_mail_statements_do_not_grow_with_the_units_warned(review_world):
    """Each batch of units: one claim, one read of their people, one notify_many, one record."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from approvals.warning_mail import send_warning_mail

    w = review_world
    _emails(w)
    counts = []
    for units in ([w.u.xl], [w.u.xl, w.u.sq, w.u.jy, w.u.nb]):
        for unit in units:
            make_account(f"{unit.code}-{len(counts)}", unit, w.u.jy, platform=Platform.WEIBO,
                         days_ago=11)
        day = _today() + datetime.timedelta(days=len(counts))
        warnings_record(today=day)
        with CaptureQueriesContext(connection) as queries:
            send_warning_mail(today=day)
        counts.append(len(queries))
        assert not EarlyWarning.objects.filter(notified_at__isnull=True).exists()
    assert counts[0] == counts[1]


def test_the_at_risk_filter_as_two_date_ranges_selects_what_the_rule_says(review_world):
    """review.warnings._no_update_q is written as two date ranges (for the indexes); over
    every combination of last post and go-live around the warning and the line it selects
    exactly the accounts with warn < min(days since last post, days since go-live) ≤ line."""
    from review.evaluation import active_rule_set, rules_from_rule_set
    from review.warnings import _no_update_q

    w = review_world
    today = _today()
    rules = rules_from_rule_set(active_rule_set())
    warn, line = rules.warn_no_update_days, rules.no_update_days
    ages = [None, 0, warn - 1, warn, warn + 1, line - 1, line, line + 1, line + 30]
    made = {}
    for i, last in enumerate(ages):
        for j, opened in enumerate(ages):
            account = make_account(f"组合{i}-{j}", w.u.xl, w.u.jy, days_ago=last,
                                   opened_on=None if opened is None
                                   else today - datetime.timedelta(days=opened))
            if opened is None:
                Account.objects.filter(pk=account.pk).update(opened_on=None)
            made[account.pk] = (last, opened)
    expected = set()
    for pk, (last, opened) in made.items():
        days = [d for d in (last, opened) if d is not None]
        if days and warn < min(days) <= line:
            expected.add(pk)
    selected = set(Account.objects.filter(pk__in=made).filter(_no_update_q(today, rules))
                   .values_list("pk", flat=True))
    assert selected == expected and expected
