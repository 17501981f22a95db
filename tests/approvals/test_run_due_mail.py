"""run_due e-mail: one reminder before a task's due date to whoever can act on it, one
escalation to the heads when it is overdue; users without an address are skipped and a
failing mail server never stops run_due (approvals.run_due_mail)."""

from __future__ import annotations

import datetime
import io
import socket

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.utils import timezone

from approvals import run_due_mail, services
from approvals.models import Delegation, TaskAssignment
from approvals.nodes import task_url
from lifecycle import services as lifecycle
from tests.approvals.closure_helpers import apply_closure, world_fixture  # noqa: F401
from tests.approvals.helpers import decide, only_open_task

pytestmark = pytest.mark.django_db

BASE = "http://govmedia.test"  # GOVMEDIA_BASE_URL of config.settings.test


def _run(day: datetime.date) -> str:
    out = io.StringIO()
    call_command("run_due", now=day.isoformat(), stdout=out)
    return out.getvalue()


def _with_email(user, address):
    user.email = address
    user.save(update_fields=["email"])
    return user


def _user(username, full_name, unit, role, email=""):
    return lifecycle.user_upsert(
        username=username, full_name=full_name, email=email, password="pw",
        memberships=[(unit, role)],
    )


def _head_task(world):
    """The closure's first step: 质监负责人 (unit_head of 南京质检's unit)."""
    process = apply_closure(world)
    task = only_open_task(process)
    return process, task, TaskAssignment.objects.get(task=task)


def _approver_task(world):
    """The second step: approvers of 南京市政府办 (NJ)."""
    process = apply_closure(world)
    decide(process, world.p.njzj_head, comment="同意")
    task = only_open_task(process)
    return process, task, TaskAssignment.objects.get(task=task)


def _to(messages) -> list[str]:
    return sorted(address for m in messages for address in m.to)


# -- reminders --------------------------------------------------------------------------


def test_it_reminds_the_candidates_before_the_due_date(world):
    head = _with_email(world.p.njzj_head, "head@njzj.example")
    _with_email(world.p.njzj_clerk, "clerk@njzj.example")  # applicant: not a candidate
    _process, task, assignment = _head_task(world)

    summary = _run(assignment.due_on)

    assert "reminder e-mails sent: 1" in summary
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [head.email]
    assert message.subject == (
        "【待办提醒】南京质检：账号关停/整合（单位负责人审核），"
        f"{assignment.due_on.year}年{assignment.due_on.month}月{assignment.due_on.day}日到期"
    )
    assert "\n" not in message.subject
    assert message.body.startswith("质监负责人，您好：")
    assert "账号：南京质检（微信公众号）" in message.body
    assert "办理单位：南京市质量技术监督局" in message.body
    assert f"办理页面：{BASE}{task_url(task)}\n" in message.body
    assert task_url(task).endswith(f"/{task.pk}/")
    assert message.from_email == "govmedia@localhost"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_it_sends_a_reminder_only_once(world):
    _with_email(world.p.njzj_head, "head@njzj.example")
    _process, task, assignment = _head_task(world)

    _run(assignment.due_on - datetime.timedelta(days=1))
    _run(assignment.due_on)
    second = _run(assignment.due_on)

    assert len(mail.outbox) == 1
    assert "reminder e-mails sent: 0" in second
    task.refresh_from_db()
    entry = task.data["mail"]["reminder"]
    assert entry["done"]
    assert entry["to"][str(world.p.njzj_head.pk)]["status"] == "sent"


def test_it_does_not_remind_before_the_reminder_window(world):
    _with_email(world.p.njzj_head, "head@njzj.example")
    _head_task(world)  # due in TASK_DUE_WORKING_DAYS (5) working days, window is 2

    assert "reminder e-mails sent: 0" in _run(timezone.localdate())
    assert mail.outbox == []


def test_it_skips_inactive_users_and_users_without_address(world):
    _with_email(world.p.njzj_head, "")
    gone = _user("njzj_head2", "已调离负责人", world.u.njzj, "unit_head", "gone@njzj.example")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    other = _user("njzj_head3", "副局长", world.u.njzj, "unit_head", "deputy@njzj.example")
    _process, _task, assignment = _head_task(world)

    _run(assignment.due_on)

    assert _to(mail.outbox) == [other.email]


def test_it_writes_to_nobody_when_no_candidate_has_an_address(world):
    _process, task, assignment = _head_task(world)

    summary = _run(assignment.due_on)

    assert mail.outbox == []
    assert "e-mails failed: 0" in summary
    task.refresh_from_db()
    assert task.data["mail"]["reminder"]["done"]  # not looked at again


def test_it_reminds_only_the_holder_of_a_claimed_task(world):
    holder = _with_email(world.p.njzj_head, "head@njzj.example")
    _user("njzj_head2", "副局长", world.u.njzj, "unit_head", "deputy@njzj.example")
    _process, task, assignment = _head_task(world)
    services.task_claim(task=task, actor=holder)

    _run(assignment.due_on)

    assert _to(mail.outbox) == [holder.email]


def test_it_reminds_the_delegate_of_an_absent_candidate(world):
    _with_email(world.p.njzj_head, "head@njzj.example")
    delegate = get_user_model().objects.create_user(
        "njzj_deputy", email="deputy@njzj.example", first_name="代办人"
    )
    former = get_user_model().objects.create_user("njzj_former", email="former@njzj.example")
    today = timezone.localdate()
    Delegation.objects.create(user=world.p.njzj_head, delegate=delegate, starts_on=today,
                              ends_on=today + datetime.timedelta(days=30))
    Delegation.objects.create(user=world.p.njzj_head, delegate=former,
                              starts_on=today - datetime.timedelta(days=30),
                              ends_on=today - datetime.timedelta(days=1))
    _process, _task, assignment = _head_task(world)

    _run(assignment.due_on)

    assert _to(mail.outbox) == ["deputy@njzj.example", "head@njzj.example"]
    deputy_mail = next(m for m in mail.outbox if m.to == [delegate.email])
    assert deputy_mail.body.startswith("代办人，您好：")


def test_it_keeps_names_as_plain_text(world):
    _with_email(world.p.njzj_head, "head@njzj.example")
    world.zj.name = "质检<b>&发布\n第二行"
    world.zj.save(update_fields=["name"])
    _process, _task, assignment = _head_task(world)

    _run(assignment.due_on)

    message = mail.outbox[0]
    assert "账号：质检<b>&发布\n第二行（微信公众号）" in message.body
    assert "&amp;" not in message.body and "&lt;" not in message.body
    assert "\n" not in message.subject and "质检<b>&发布 第二行" in message.subject


# -- escalations --------------------------------------------------------------------------


def test_it_escalates_an_overdue_task_to_the_heads_of_its_unit(world):
    _with_email(world.p.nj_approver, "approver@nj.example")  # late: no e-mail for them
    nj_head = _user("nj_head", "市府办负责人", world.u.nj, "unit_head", "head@nj.example")
    _process, task, assignment = _approver_task(world)
    late = assignment.due_on + datetime.timedelta(days=3)

    summary = _run(late)

    assert "escalation e-mails sent: 1" in summary
    assert _to(mail.outbox) == [nj_head.email]
    message = mail.outbox[0]
    assert message.subject == (
        "【逾期督办】南京市人民政府办公室：账号关停/整合（南京市人民政府办公室审核）已逾期（南京质检）"
    )
    assert "承办单位：南京市人民政府办公室（审核人）" in message.body
    assert "当前办理人：尚未认领" in message.body
    assert "（已逾期3天）" in message.body
    assert f"查看页面：{BASE}{task_url(task)}\n" in message.body
    assignment.refresh_from_db()
    assert assignment.reminded_on == late


def test_it_escalates_only_once(world):
    _user("nj_head", "市府办负责人", world.u.nj, "unit_head", "head@nj.example")
    _process, _task, assignment = _approver_task(world)
    late = assignment.due_on + datetime.timedelta(days=1)

    _run(late)
    second = _run(late)
    _run(late + datetime.timedelta(days=7))

    assert len(mail.outbox) == 1
    assert "escalation e-mails sent: 0" in second


def test_it_names_the_holder_of_a_claimed_overdue_task(world):
    _user("nj_head", "市府办负责人", world.u.nj, "unit_head", "head@nj.example")
    _process, task, assignment = _approver_task(world)
    services.task_claim(task=task, actor=world.p.nj_approver)

    _run(assignment.due_on + datetime.timedelta(days=1))

    assert "当前办理人：南京审核人" in mail.outbox[0].body


def test_it_escalates_a_heads_own_task_to_the_supervisor_units_heads(world):
    _with_email(world.p.njzj_head, "head@njzj.example")
    nj_head = _user("nj_head", "市府办负责人", world.u.nj, "unit_head", "head@nj.example")
    _process, _task, assignment = _head_task(world)  # NJZJ's supervisor unit is NJ

    _run(assignment.due_on + datetime.timedelta(days=1))

    assert _to(mail.outbox) == [nj_head.email]


def test_it_escalates_to_the_supervisor_unit_when_no_head_has_an_address(world):
    _user("nj_approver_head", "无邮箱负责人", world.u.nj, "unit_head")
    js_head = _user("js_head", "省府办负责人", world.u.js, "unit_head", "head@js.example")
    _process, _task, assignment = _approver_task(world)

    _run(assignment.due_on + datetime.timedelta(days=1))

    assert _to(mail.outbox) == [js_head.email]


def test_it_reminds_then_escalates_the_same_task(world):
    _with_email(world.p.nj_approver, "approver@nj.example")
    _user("nj_head", "市府办负责人", world.u.nj, "unit_head", "head@nj.example")
    _process, _task, assignment = _approver_task(world)

    _run(assignment.due_on)
    _run(assignment.due_on + datetime.timedelta(days=1))

    assert [m.to for m in mail.outbox] == [["approver@nj.example"], ["head@nj.example"]]
    assert mail.outbox[0].subject.startswith("【待办提醒】")
    assert mail.outbox[1].subject.startswith("【逾期督办】")


# -- a failing mail server ----------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_it_tolerates_a_failing_smtp_server(world, settings, caplog):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    settings.EMAIL_TIMEOUT = 5
    _with_email(world.p.njzj_head, "head@njzj.example")
    _process, task, assignment = _head_task(world)
    late = assignment.due_on + datetime.timedelta(days=1)
    _user("nj_head", "市府办负责人", world.u.nj, "unit_head", "head@nj.example")

    summary = _run(late)  # no exception

    assert "overdue tasks reminded: 1" in summary and "e-mails failed: 1" in summary
    assignment.refresh_from_db()
    assert assignment.reminded_on == late  # the rest of run_due's work was done
    task.refresh_from_db()
    (recorded,) = task.data["mail"][f"overdue:{assignment.pk}"]["to"].values()
    assert recorded["status"] == "failed" and recorded["attempts"] == 1
    assert "ConnectionRefusedError" in recorded["error"]
    assert "event=mail_failed" in caplog.text


def test_it_retries_a_failed_send_later_and_then_sends_once(world, settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    _with_email(world.p.njzj_head, "head@njzj.example")
    _process, task, assignment = _head_task(world)

    assert "e-mails failed: 1" in _run(assignment.due_on)
    assert "e-mails failed: 0" in _run(assignment.due_on)  # not before RETRY_AFTER

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    monkeypatch.setattr(run_due_mail, "RETRY_AFTER", datetime.timedelta(0))
    assert "reminder e-mails sent: 1" in _run(assignment.due_on)
    assert "reminder e-mails sent: 0" in _run(assignment.due_on)
    assert len(mail.outbox) == 1
    task.refresh_from_db()
    (row,) = task.data["mail"]["reminder"]["to"].values()
    assert row["status"] == "sent" and row["attempts"] == 2 and "error" not in row


def test_it_gives_up_after_max_attempts(world, settings, monkeypatch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    monkeypatch.setattr(run_due_mail, "RETRY_AFTER", datetime.timedelta(0))
    _with_email(world.p.njzj_head, "head@njzj.example")
    _process, task, assignment = _head_task(world)

    failed = [_run(assignment.due_on) for _ in range(run_due_mail.MAX_ATTEMPTS + 1)]

    assert [s.count("e-mails failed: 1") for s in failed] == [1] * run_due_mail.MAX_ATTEMPTS + [0]
    task.refresh_from_db()
    entry = task.data["mail"]["reminder"]
    assert entry["done"]
    (row,) = entry["to"].values()
    assert row["status"] == "failed" and row["attempts"] == run_due_mail.MAX_ATTEMPTS


class RefusingBackend(BaseEmailBackend):
    """Counts connection attempts; the server is down."""

    opened = 0

    def open(self):
        type(self).opened += 1
        raise ConnectionRefusedError(111, "Connection refused")

    def send_messages(self, messages):
        self.open()


def test_it_tries_a_down_server_once_per_run(world, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    RefusingBackend.opened = 0
    _with_email(world.p.njzj_head, "head@njzj.example")
    _user("njzj_head2", "副局长", world.u.njzj, "unit_head", "deputy@njzj.example")
    _process, task, assignment = _head_task(world)

    assert "e-mails failed: 2" in _run(assignment.due_on)

    assert RefusingBackend.opened == 1
    task.refresh_from_db()
    rows = task.data["mail"]["reminder"]["to"].values()
    assert sorted(r["status"] for r in rows) == ["failed", "failed"]
    assert any(r["error"].startswith("not attempted: ConnectionRefusedError") for r in rows)


def test_it_never_sends_what_another_run_has_claimed(world):
    head = _with_email(world.p.njzj_head, "head@njzj.example")
    _process, task, _assignment = _head_task(world)

    assert run_due_mail._claim(task, "reminder", [head.pk]) == [head.pk]
    assert run_due_mail._claim(task, "reminder", [head.pk]) == []  # in flight elsewhere
