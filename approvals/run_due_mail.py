"""E-mail sent by `run_due`: reminders before a task's due date and overdue escalations.

* **Reminder** (`task_reminder`): once per open task whose due date is within
  TASK_REMIND_WORKING_DAYS working days (the due day included), to the people who can act
  on it: the holder when the task is claimed, otherwise its candidates — members of the
  assigned units holding the task's role and the colleagues they delegated to
  (approvals.selectors.is_candidate decides; this module only gathers whom to ask).
* **Escalation** (`task_overdue`): once per overdue assignment (unit × role) that run_due
  marked reminded, to the heads (unit_head) of the assigned unit; when the late task is the
  heads' own, or no head of the unit has an e-mail address, to the heads of its supervisor
  unit (主管单位; the parent when none is set).

In-app: every person a reminder or escalation concerns also gets a notification
(lifecycle.notifications, kinds `reminder` and `overdue`, once per task / assignment by
key), whether or not they have an e-mail address; e-mail goes only to those whose
preference for the kind keeps e-mail on (the default).

Only active users with an e-mail address are written to; the others are logged and
skipped. Every message is plain text rendered from
`approvals/email/<kind>/{subject,body}.txt` in Simplified Chinese, with an absolute link to
the task page (GOVMEDIA_BASE_URL).

Once only: what was sent is recorded per task in `Task.data["mail"]`
(`{key: {"to": {user_id: {status, attempts, at, error?}}, "done": at}}`, key `reminder` or
`overdue:<assignment id>`). A recipient is claimed (`sending`) under the process lock before
the message goes out, so two concurrent runs never both send it. A failed send (mail server
down, address refused) is logged and recorded as `failed`, never raised: run_due goes on.
Later runs retry it, at most MAX_ATTEMPTS times in all and RETRY_AFTER apart (real time,
also under `run_due --now`). After a connection failure the rest of the run's messages are
not attempted (one timeout per run, not one per message) and are recorded as failed.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_noop
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task

from approvals import selectors
from approvals.models import AccountProcess, TaskAssignment
from approvals.nodes import step_label, task_url
from lifecycle import notifications
from lifecycle.models import Role, Unit
from lifecycle.workdays import add_working_days
from notices.rendering import cn_date

logger = logging.getLogger("govmedia.run_due")

LEDGER = "mail"  # key of Task.data holding what was sent for the task
REMINDER = "reminder"
MAX_ATTEMPTS = 3
RETRY_AFTER = datetime.timedelta(minutes=15)
SENT, SENDING, FAILED = "sent", "sending", "failed"


def overdue_key(assignment: TaskAssignment) -> str:
    return f"overdue:{assignment.pk}"


# -- recipients -----------------------------------------------------------------------------


def _reachable(users: Iterable[Any], *, task: Task, key: str) -> list[Any]:
    """Active users with an e-mail address who keep e-mail on for the kind; the ones
    without an address are logged."""
    kind = notifications.REMINDER if key == REMINDER else notifications.OVERDUE
    active = [user for user in users if user.is_active]
    wanted = notifications.email_wanted(active, kind)  # one query for all of them
    found = []
    for user in active:
        if user.pk not in wanted:
            continue
        if not (user.email or "").strip():
            logger.info("event=mail_skipped_no_address task=%s mail=%s user=%s",
                        task.pk, key, user.get_username())
            continue
        found.append(user)
    return found


def reminder_recipients(task: Task, *, today: datetime.date | None = None) -> list[Any]:
    """Who can act on the task on `today` (approvals.selectors.candidates_for), if reachable."""
    return _reachable(selectors.candidates_for(task, on=today), task=task, key=REMINDER)


# The heads of each unit, read once per send_due_mail run (a province's overdue tasks
# come from far fewer units than tasks); None outside a run.
_heads_of_run: dict[int, list[Any]] | None = None


def _heads(unit: Unit | None) -> list[Any]:
    if unit is None:
        return []
    if _heads_of_run is not None and unit.pk in _heads_of_run:
        return _heads_of_run[unit.pk]
    heads = list(
        get_user_model().objects.filter(
            memberships__unit=unit, memberships__role=Role.UNIT_HEAD, is_active=True
        ).order_by("pk")
    )
    if _heads_of_run is not None:
        _heads_of_run[unit.pk] = heads
    return heads


def escalation_people(assignment: TaskAssignment) -> list[Any]:
    """Whom an overdue assignment concerns in-app: the heads of the late unit, or of its
    supervisor unit when the task is the heads' own or the unit has no active head."""
    unit = assignment.unit
    heads = _heads(unit) if assignment.role != Role.UNIT_HEAD else []
    return heads or _heads(unit.supervisor or unit.parent)


def escalation_recipients(assignment: TaskAssignment) -> list[Any]:
    """The heads of the late unit; the heads of its supervisor unit when the task is the
    heads' own or none of them has an e-mail address."""
    key = overdue_key(assignment)
    unit = assignment.unit
    if assignment.role != Role.UNIT_HEAD:
        heads = _reachable(_heads(unit), task=assignment.task, key=key)
        if heads:
            return heads
    return _reachable(_heads(unit.supervisor or unit.parent), task=assignment.task, key=key)


# -- messages -------------------------------------------------------------------------------


def _date(day: datetime.date) -> str:
    return cn_date(day)


def task_link(task: Task) -> str:
    return settings.GOVMEDIA_BASE_URL.rstrip("/") + task_url(task)


def _task_facts(task: Task) -> dict[str, Any]:
    process = AccountProcess.objects.select_related("account", "unit").get(pk=task.process_id)
    return {
        "title": f"{process.flow_class.process_title}（{step_label(task)}）",
        "account_name": process.account.name,
        "platform": process.account.get_platform_display(),
        "applicant_unit": process.unit.name,
        "link": task_link(task),
    }


def _render(kind: str, context: dict[str, Any], to: str) -> EmailMessage:
    subject = render_to_string(f"approvals/email/{kind}/subject.txt", context)
    body = render_to_string(f"approvals/email/{kind}/body.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()),  # one header line, whatever the names contain
        body=body.strip() + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Auto-Submitted": "auto-generated"},
    )


def _name(user: Any) -> str:
    return user.get_full_name() or user.get_username()


def reminder_messages(task: Task, recipients: list[Any]) -> dict[int, EmailMessage]:
    with translation.override("zh-hans"):
        assignments = list(TaskAssignment.objects.filter(task=task).select_related("unit"))
        due_on = min(a.due_on for a in assignments if a.due_on)
        facts = {
            **_task_facts(task),
            "units": "、".join(a.unit.name for a in assignments),
            "due_on": _date(due_on),
        }
        return {
            user.pk: _render("task_reminder", {**facts, "recipient_name": _name(user)},
                             user.email.strip())
            for user in recipients
        }


def escalation_messages(assignment: TaskAssignment, recipients: list[Any],
                        today: datetime.date) -> dict[int, EmailMessage]:
    task = assignment.task
    with translation.override("zh-hans"):
        facts = {
            **_task_facts(task),
            "unit": assignment.unit.name,
            "role": assignment.get_role_display(),
            "holder": _name(task.owner) if task.owner_id else "尚未认领",
            "due_on": _date(assignment.due_on),
            "days_late": (today - assignment.due_on).days,
        }
        return {
            user.pk: _render("task_overdue", {**facts, "recipient_name": _name(user)},
                             user.email.strip())
            for user in recipients
        }


# -- the ledger (Task.data["mail"]) ------------------------------------------------------------


def _entry(task: Task, key: str) -> dict[str, Any]:
    return (task.data or {}).get(LEDGER, {}).get(key, {})


def _final(row: dict[str, Any], now: datetime.datetime) -> bool:
    """Sent, or given up after MAX_ATTEMPTS (a claim left by a crashed run counts as failed
    once it is RETRY_AFTER old)."""
    if row["status"] == SENT:
        return True
    stale = now - datetime.datetime.fromisoformat(row["at"]) >= RETRY_AFTER
    return row["attempts"] >= MAX_ATTEMPTS and (row["status"] == FAILED or stale)


def _due(row: dict[str, Any] | None, now: datetime.datetime) -> bool:
    if row is None:
        return True
    if row["status"] == SENT or row["attempts"] >= MAX_ATTEMPTS:
        return False
    return now - datetime.datetime.fromisoformat(row["at"]) >= RETRY_AFTER


def _update_ledger(
    task: Task, key: str, change: Callable[[dict[str, Any], datetime.datetime], Any]
) -> Any:
    """Apply `change(entry, now)` to the task's ledger entry under the process lock (the
    task is re-read inside it, as approvals.services does). None when the lock is busy."""
    try:
        with task.flow_task.flow_class.lock(task.process_id):
            locked = Task.objects.get(pk=task.pk)
            data = dict(locked.data or {})
            ledger = dict(data.get(LEDGER) or {})
            entry = dict(ledger.get(key) or {})
            entry.setdefault("to", {})
            result = change(entry, timezone.now())
            ledger[key] = entry
            data[LEDGER] = ledger
            locked.data = data
            locked.save(update_fields=["data"])
            task.data = data
            return result
    except FlowLockFailed:
        logger.info("event=mail_deferred task=%s mail=%s reason=process_locked", task.pk, key)
        return None


def _claim(task: Task, key: str, user_ids: list[int]) -> list[int]:
    """Mark the recipients still to be written to as `sending`; returns their ids."""

    def change(entry: dict[str, Any], now: datetime.datetime) -> list[int]:
        if entry.get("done"):
            return []
        claimed = []
        for uid in user_ids:
            row = entry["to"].get(str(uid))
            if _due(row, now):
                entry["to"][str(uid)] = {
                    "status": SENDING, "at": now.isoformat(),
                    "attempts": (row or {}).get("attempts", 0) + 1,
                }
                claimed.append(uid)
        _mark_done(entry, user_ids, now)
        return claimed

    return _update_ledger(task, key, change) or []


def _record(task: Task, key: str, user_ids: list[int], errors: dict[int, str | None]) -> None:
    def change(entry: dict[str, Any], now: datetime.datetime) -> None:
        for uid, error in errors.items():
            row = entry["to"].setdefault(str(uid), {"attempts": 1})
            row["at"] = now.isoformat()
            if error is None:
                row["status"] = SENT
                row.pop("error", None)
            else:
                row["status"] = FAILED
                row["error"] = error[:300]
        _mark_done(entry, user_ids, now)

    _update_ledger(task, key, change)


def _mark_done(entry: dict[str, Any], user_ids: list[int], now: datetime.datetime) -> None:
    rows = entry["to"]
    if all(str(uid) in rows and _final(rows[str(uid)], now) for uid in user_ids):
        entry["done"] = now.isoformat()


# -- sending --------------------------------------------------------------------------------

# Refusals of one message; anything else (connection refused, timeout, authentication, a
# dropped connection) means the server is unusable for the rest of the run.
_MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError)


@dataclass
class Mailer:
    """One connection for the run, opened at the first message."""

    connection: Any = None
    broken: str | None = None
    sent: int = 0
    failed: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def send(self, message: EmailMessage) -> str | None:
        """Send one message; the error text when it failed (never raises)."""
        if self.broken:
            return f"not attempted: {self.broken}"
        try:
            if self.connection is None:
                self.connection = get_connection(fail_silently=False)
                self.connection.open()
            message.connection = self.connection
            message.send()
        except Exception as exc:  # noqa: BLE001 — a mail failure must not stop run_due
            error = f"{type(exc).__name__}: {exc}"
            if not isinstance(exc, _MESSAGE_ERRORS):
                self.broken = error
            return error
        return None

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # noqa: BLE001
                logger.warning("event=mail_close_failed", exc_info=True)


def deliver(mailer: Mailer, *, task: Task, key: str, kind: str, recipients: list[Any],
            build: Callable[[list[Any]], dict[int, EmailMessage]]) -> None:
    """Send the e-mail `key` of a task to the recipients not yet served (claimed first)."""
    user_ids = [user.pk for user in recipients]
    if not user_ids:
        logger.warning("event=mail_no_recipient task=%s mail=%s", task.pk, key)
    claimed = set(_claim(task, key, user_ids))
    if not claimed:
        return
    messages = build([user for user in recipients if user.pk in claimed])
    errors: dict[int, str | None] = {}
    for uid, message in messages.items():
        errors[uid] = error = mailer.send(message)
        if error is None:
            mailer.sent += 1
            mailer.by_kind[kind] = mailer.by_kind.get(kind, 0) + 1
            logger.info("event=mail_sent task=%s mail=%s to=%s", task.pk, key, message.to[0])
        else:
            mailer.failed += 1
            logger.error("event=mail_failed task=%s mail=%s to=%s error=%s",
                         task.pk, key, message.to[0], error)
    _record(task, key, user_ids, errors)


def reminder_tasks(today: datetime.date):
    """Open tasks with an assignment due between today and TASK_REMIND_WORKING_DAYS working
    days from now, whose reminder is not done."""
    soon = add_working_days(today, int(settings.TASK_REMIND_WORKING_DAYS))
    due = TaskAssignment.objects.filter(due_on__gte=today, due_on__lte=soon).values("task_id")
    tasks = Task.objects.filter(pk__in=due, status__in=selectors.OPEN_STATUSES)
    return [
        t for t in tasks.select_related("owner").order_by("pk")
        if not _entry(t, REMINDER).get("done")
    ]


def escalation_assignments(today: datetime.date):
    """Overdue assignments of open tasks that run_due marked (reminded_on), not yet done."""
    rows = (
        TaskAssignment.objects.filter(
            due_on__lt=today, reminded_on__isnull=False,
            task__status__in=selectors.OPEN_STATUSES,
        )
        .select_related("task", "task__owner", "unit", "unit__supervisor", "unit__parent")
        .order_by("pk")
    )
    return [a for a in rows if not _entry(a.task, overdue_key(a)).get("done")]


# -- in-app (lifecycle.notifications) ---------------------------------------------------------


def _facts_params(task: Task) -> dict[str, Any]:
    process = AccountProcess.objects.select_related("account").get(pk=task.process_id)
    return {"account": process.account.name, "step": step_label(task)}


def notify_reminder(task: Task, *, today: datetime.date) -> None:
    """Once per task: the people who can act on it, e-mail or not."""
    due_on = min(a.due_on for a in TaskAssignment.objects.filter(task=task) if a.due_on)
    notifications.notify(
        recipients=selectors.candidates_for(task, on=today), kind=notifications.REMINDER,
        title=gettext_noop("即将到期：{account}（{step}），请于{due}前办理"),
        params={**_facts_params(task), "due": due_on.isoformat()},
        link=task_url(task), key=f"reminder:{task.pk}", email=False,
    )


def notify_overdue(assignment: TaskAssignment, *, today: datetime.date) -> None:
    """Once per overdue assignment: the heads it escalates to and the task's own people."""
    task = assignment.task
    params = {**_facts_params(task), "unit": assignment.unit.name,
              "days": (today - assignment.due_on).days}
    key = overdue_key(assignment)
    notifications.notify(
        recipients=escalation_people(assignment), kind=notifications.OVERDUE,
        title=gettext_noop("督办：{unit}办理的{account}（{step}）已超期{days}天"),
        params=params, link=task_url(task), key=key, email=False,
    )
    notifications.notify(
        recipients=selectors.candidates_for(task, on=today), kind=notifications.OVERDUE,
        title=gettext_noop("已超期：{account}（{step}）已超期{days}天，请尽快办理"),
        params=params, link=task_url(task), key=key, email=False,
    )


def send_due_mail(*, today: datetime.date) -> dict[str, int]:
    """The e-mail part of run_due. Returns counts of messages sent and failed."""
    global _heads_of_run
    mailer = Mailer()
    _heads_of_run = {}
    try:
        for task in reminder_tasks(today):
            notify_reminder(task, today=today)
            deliver(
                mailer, task=task, key=REMINDER, kind="reminders",
                recipients=reminder_recipients(task, today=today),
                build=lambda users, task=task: reminder_messages(task, users),
            )
        for assignment in escalation_assignments(today):
            notify_overdue(assignment, today=today)
            deliver(
                mailer, task=assignment.task, key=overdue_key(assignment), kind="escalations",
                recipients=escalation_recipients(assignment),
                build=lambda users, a=assignment: escalation_messages(a, users, today),
            )
    finally:
        _heads_of_run = None
        mailer.close()
    return {
        "reminders_sent": mailer.by_kind.get("reminders", 0),
        "escalations_sent": mailer.by_kind.get("escalations", 0),
        "failed": mailer.failed,
    }
