"""Filing deadlines: opening, change, closure and deregistration each open filings (provincial
platform + national 报送系统) due 5 working days later (per province configurable); the
owning unit records them on /work/filings/; run_due reminds before and notifies once
overdue; export_filings lists pending and done filings."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from approvals import filings, services
from approvals.models import Filing
from lifecycle.models import AccountTransition
from lifecycle.workdays import add_working_days
from tests.approvals.closure_helpers import (  # noqa: F401
    apply_closure,
    approve_chain,
    deregister,
    end_notice_period,
    world_fixture,
)
from tests.approvals.helpers import apply_xl, decide, only_open_task
from tests.lifecycle.import_files import run

pytestmark = pytest.mark.django_db


def _register(nanjing, live_on="2026-12-01"):
    p = nanjing.p
    process = apply_xl(nanjing)
    for person in (p.xl_head, p.jy_approver, p.nj_approver):
        decide(process, person)
    services.task_decide(task=only_open_task(process), actor=p.xl_clerk, decision="approve",
                         data={"platform_id": "gh_xinglong", "verified_subject": "兴隆街道办事处",
                               "live_on": live_on})
    process.refresh_from_db()
    return process


def test_registration_opens_two_filings_due_in_five_working_days(nanjing):
    process = _register(nanjing)
    rows = Filing.objects.filter(process=process).order_by("system")
    assert [(f.kind, f.system) for f in rows] == [("opening", "national"), ("opening", "provincial")]
    due = add_working_days(datetime.date(2026, 12, 1), 5)
    assert {f.due_on for f in rows} == {due} and {f.event_on for f in rows} == {datetime.date(2026, 12, 1)}


def test_the_deadline_is_configurable_per_province(nanjing, settings):
    settings.FILING_WORKING_DAYS_BY_PROVINCE = {nanjing.u.js.code: 10}
    process = _register(nanjing)
    assert Filing.objects.filter(process=process).first().due_on == add_working_days(
        datetime.date(2026, 12, 1), 10)


def test_change_closure_and_deregistration_open_filings(world):
    change = services.change_apply(actor=world.p.njzj_clerk, account=world.zj_weibo,
                                   changes={"name": "南京市场监管微博"}, reason="更名")
    approve_chain(world, change)
    assert set(Filing.objects.filter(process=change).values_list("kind", flat=True)) == {"change"}
    closure = approve_chain(world, apply_closure(world))
    assert set(Filing.objects.filter(process=closure).values_list("kind", flat=True)) == {"closure"}
    end_notice_period(closure)
    deregister(world, closure, on=timezone.localdate())
    kinds = sorted(Filing.objects.filter(process=closure).values_list("kind", "system"))
    assert kinds == [("closure", "national"), ("closure", "provincial"),
                     ("deregistration", "national"), ("deregistration", "provincial")]


def test_the_owning_unit_records_a_filing_in_the_web(client, nanjing):
    p = nanjing.p
    process = _register(nanjing)
    filing = Filing.objects.get(process=process, system="provincial")
    client.force_login(p.xl_clerk)
    page = client.get(reverse("work:filings")).content.decode()
    assert f'data-testid="filing-{filing.pk}"' in page
    response = client.post(reverse("work:filings"), {"filing": filing.pk, "filed_on": "2026-11-01",
                                                     "reference": ""})
    body = response.content.decode()
    assert response.status_code == 400
    assert 'field-error-filed_on' in body and 'field-error-reference' in body
    filing.refresh_from_db()
    assert filing.filed_on is None
    response = client.post(reverse("work:filings"), {"filing": filing.pk, "filed_on": "2026-12-03",
                                                     "reference": "苏备〔2026〕0042"})
    assert response.status_code == 302
    filing.refresh_from_db()
    assert filing.filed_on == datetime.date(2026, 12, 3) and filing.recorded_by == p.xl_clerk
    assert AccountTransition.objects.filter(account=filing.account, name="filing_recorded").exists()
    done = client.get(reverse("work:filings") + "?state=done").content.decode()
    assert "苏备〔2026〕0042" in done
    # An approver of the supervising unit sees it but may not record; outsiders get 404.
    other = Filing.objects.get(process=process, system="national")
    client.force_login(p.jy_approver)
    assert client.post(reverse("work:filings"), {"filing": other.pk, "filed_on": "2026-12-03",
                                                 "reference": "x"}).status_code == 403
    client.force_login(p.jb_approver)
    assert client.post(reverse("work:filings"), {"filing": other.pk, "filed_on": "2026-12-03",
                                                 "reference": "x"}).status_code == 404


def test_run_due_reminds_once_and_notifies_once_when_overdue(nanjing):
    p = nanjing.p
    for user in (p.xl_clerk, p.xl_head):
        user.email = f"{user.username}@xl.example"
        user.save(update_fields=["email"])
    process = _register(nanjing)
    due = Filing.objects.filter(process=process).first().due_on

    def run_on(day):
        out = io.StringIO()
        call_command("run_due", now=day.isoformat(), stdout=out)
        return out.getvalue()

    assert "filings reminded: 2" in run_on(due)
    assert "filings reminded: 0" in run_on(due)
    reminders = [m for m in mail.outbox if "备案提醒" in m.subject]
    assert len(reminders) == 4  # two filings × (clerk, head)
    after = due + datetime.timedelta(days=1)
    assert "filings overdue: 2" in run_on(after)
    assert "filings overdue: 0" in run_on(after + datetime.timedelta(days=1))
    overdue = [m for m in mail.outbox if "备案逾期" in m.subject]
    assert overdue and all(m.to == ["xl_head@xl.example"] for m in overdue)
    assert filings.filings_for(p.xl_clerk, state="overdue", today=after).count() == 2
    from lifecycle.models import Notification

    assert Notification.objects.filter(kind="reminder", recipient=p.xl_clerk,
                                       key__startswith="filing-remind:").count() == 2
    assert Notification.objects.filter(kind="overdue", recipient=p.xl_head,
                                       key__startswith="filing-overdue:").count() == 2


def test_export_filings_lists_pending_and_done(nanjing, tmp_path):
    process = _register(nanjing)
    filing = Filing.objects.get(process=process, system="provincial")
    filings.filing_record(filing=filing, actor=nanjing.p.xl_clerk, filed_on="2026-12-02",
                          reference="R-1", today=datetime.date(2026, 12, 5))
    out = tmp_path / "f.csv"
    result = run("export_filings", "--format", "csv", "--out", str(out))
    assert result.code == 0, result.err
    with open(out, encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == filings.EXPORT_COLUMNS
    by_system = {r[6]: r for r in rows[1:]}
    assert by_system["provincial"][9] == "2026-12-02" and by_system["provincial"][11] == "done"
    assert by_system["national"][9] == "" and by_system["national"][11] in ("pending", "overdue")
    result = run("export_filings", "--out", str(out), "--unit", "NOPE")
    assert result.code == 1 and "NOPE" in result.err
