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

In bulk (issue 15): BATCH reminders or escalations at a time — their people, processes and
preferences read in a few queries, the processes locked together (SKIP LOCKED; a busy one
then with its flow's own lock, one at a time), the ledgers re-read and claimed in one
UPDATE with the in-app notifications in one notify_many, the messages sent after that
commit and the results recorded in one more locked UPDATE: a fixed number of statements
per batch, whatever it holds.
"""

from __future__ import annotations

import datetime
import functools
import logging
import smtplib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, models, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_noop
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task

from approvals import selectors
from approvals.models import AccountProcess, TaskAssignment
from approvals.nodes import step_label, task_url
from lifecycle import notifications
from lifecycle.models import Membership, Platform, Role, Unit
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


def _reachable(users: Iterable[Any], *, task: Task, key: str, wanted: set[int]) -> list[Any]:
    """Active users with an e-mail address who keep e-mail on for the kind (`wanted`: the
    ids that do, read for the whole batch); the ones without an address are logged."""
    found = []
    for user in users:
        if not user.is_active or user.pk not in wanted:
            continue
        if not (user.email or "").strip():
            logger.info("event=mail_skipped_no_address task=%s mail=%s user=%s",
                        task.pk, key, user.get_username())
            continue
        found.append(user)
    return found


def _heads_by_unit(unit_ids: set[int]) -> dict[int, list[Any]]:
    """The active heads (unit_head) of each unit, by user id (one query for a batch)."""
    heads: dict[int, list[Any]] = {uid: [] for uid in unit_ids}
    for membership in (
        Membership.objects.filter(unit_id__in=unit_ids, role=Role.UNIT_HEAD,
                                  user__is_active=True)
        .select_related("user").order_by("user_id", "pk")
    ):
        heads[membership.unit_id].append(membership.user)
    return heads


def _above(unit: Unit) -> Unit | None:
    """Where an escalation goes up to: the supervisor unit (主管单位), else the parent."""
    return unit.supervisor or unit.parent


def escalation_people(assignment: TaskAssignment, heads: dict[int, list[Any]]) -> list[Any]:
    """Whom an overdue assignment concerns in-app: the heads of the late unit, or of its
    supervisor unit when the task is the heads' own or the unit has no active head."""
    unit, above = assignment.unit, _above(assignment.unit)
    own = heads.get(unit.pk, []) if assignment.role != Role.UNIT_HEAD else []
    return own or (heads.get(above.pk, []) if above else [])


def escalation_recipients(assignment: TaskAssignment, heads: dict[int, list[Any]],
                          wanted: set[int]) -> list[Any]:
    """The heads of the late unit; the heads of its supervisor unit when the task is the
    heads' own or none of them has an e-mail address."""
    key = overdue_key(assignment)
    unit, above = assignment.unit, _above(assignment.unit)
    if assignment.role != Role.UNIT_HEAD:
        found = _reachable(heads.get(unit.pk, []), task=assignment.task, key=key, wanted=wanted)
        if found:
            return found
    return _reachable(heads.get(above.pk, []) if above else [], task=assignment.task, key=key,
                      wanted=wanted)


# -- messages -------------------------------------------------------------------------------


def _date(day: datetime.date) -> str:
    return cn_date(day)


@functools.lru_cache(maxsize=256)
def _label(choices: type[models.Choices], value: str, language: str | None) -> str:
    """get_FOO_display() for a run of thousands of messages: the label of `value` in the
    active language, translated once (the display method re-hashes every choice per call)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _processes(tasks: Iterable[Task]) -> dict[int, AccountProcess]:
    """The tasks' processes with account and applicant unit (one query for a batch)."""
    return AccountProcess.objects.select_related("account", "unit").in_bulk(
        {task.process_id for task in tasks})


def _task_facts(task: Task, process: AccountProcess, path: str) -> dict[str, Any]:
    return {
        "title": f"{process.flow_class.process_title}（{step_label(task, process)}）",
        "account_name": process.account.name,
        "platform": _label(Platform, process.account.platform, translation.get_language()),
        "applicant_unit": process.unit.name,
        "link": settings.GOVMEDIA_BASE_URL.rstrip("/") + path,  # path: task_url(task)
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


def reminder_messages(task: Task, recipients: list[Any], *, process: AccountProcess, path: str,
                      assignments: list[TaskAssignment]) -> dict[int, EmailMessage]:
    with translation.override("zh-hans"):
        due_on = min(a.due_on for a in assignments if a.due_on)
        facts = {
            **_task_facts(task, process, path),
            "units": "、".join(a.unit.name for a in assignments),
            "due_on": _date(due_on),
        }
        return {
            user.pk: _render("task_reminder", {**facts, "recipient_name": _name(user)},
                             user.email.strip())
            for user in recipients
        }


def escalation_messages(assignment: TaskAssignment, recipients: list[Any], *, path: str,
                        process: AccountProcess, today: datetime.date) -> dict[int, EmailMessage]:
    task = assignment.task
    with translation.override("zh-hans"):
        facts = {
            **_task_facts(task, process, path),
            "unit": assignment.unit.name,
            "role": _label(Role, assignment.role, translation.get_language()),
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


def _claim_entry(entry: dict[str, Any], user_ids: list[int], now: datetime.datetime) -> list[int]:
    """Mark the recipients still to be written to as `sending`; returns their ids."""
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


def _record_entry(entry: dict[str, Any], user_ids: list[int], errors: dict[int, str | None],
                  now: datetime.datetime) -> None:
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


def _mark_done(entry: dict[str, Any], user_ids: list[int], now: datetime.datetime) -> None:
    rows = entry["to"]
    if all(str(uid) in rows and _final(rows[str(uid)], now) for uid in user_ids):
        entry["done"] = now.isoformat()


def _with_entry(data: dict[str, Any] | None, key: str,
                change: Callable[[dict[str, Any]], Any]) -> tuple[dict[str, Any], Any]:
    """A copy of a task's data with `change` applied to the ledger entry `key`."""
    data = dict(data or {})
    ledger = dict(data.get(LEDGER) or {})
    entry = dict(ledger.get(key) or {})
    entry["to"] = dict(entry.get("to") or {})
    result = change(entry)
    ledger[key] = entry
    data[LEDGER] = ledger
    return data, result


def _claim(task: Task, key: str, user_ids: list[int]) -> list[int]:
    """Claim one task's recipients under its process lock (what _claim_locked does for a
    batch); [] when the lock is busy."""
    now = timezone.now()
    try:
        with task.flow_task.flow_class.lock(task.process_id):
            locked = Task.objects.get(pk=task.pk)
            locked.data, claimed = _with_entry(
                locked.data, key, lambda entry: _claim_entry(entry, user_ids, now))
            locked.save(update_fields=["data"])
            task.data = locked.data
            return claimed
    except FlowLockFailed:
        logger.info("event=mail_deferred task=%s mail=%s reason=process_locked", task.pk, key)
        return []


# -- a batch of once-only mails ------------------------------------------------------------------

# Reminders and escalations are handled this many at a time: a batch's reads, its claim
# and its record are a fixed number of statements, whatever the batch holds.
BATCH = 250


@dataclass
class Due:
    """One once-only mail of the run: a task's reminder or an overdue assignment's escalation,
    with its in-app notifications (lifecycle.notifications.notify_many messages)."""

    task: Task
    key: str
    kind: str  # "reminders" or "escalations" (the summary's counts)
    notes: list[dict[str, Any]]
    recipients: list[Any]
    build: Callable[[list[Any]], dict[int, EmailMessage]]
    claimed: list[int] = field(default_factory=list)


def _rewrite_ledgers(dues: list[Due], change: Callable[[Due, dict[str, Any]], Any]) -> None:
    """Apply `change(due, entry)` to each due's ledger entry; the caller holds the locks of
    their processes. The tasks are re-read (one query) and written back (one UPDATE)."""
    fresh = Task.objects.only("pk", "data").in_bulk({due.task.pk for due in dues})
    for due in dues:
        locked = fresh.get(due.task.pk)
        if locked is None:  # gone with its process meanwhile
            continue
        locked.data, _result = _with_entry(locked.data, due.key,
                                           lambda entry, due=due: change(due, entry))
        due.task.data = locked.data
    _write_data(list(fresh.values()))


def _write_data(tasks: list[Task]) -> None:
    """Write the tasks' `data` in one UPDATE … FROM (VALUES …) (bulk_update's CASE per row
    costs more to build than the rest of a batch; SQLite ≥ 3.33 and PostgreSQL both take it)."""
    if not tasks:
        return
    field = Task._meta.get_field("data")
    quote = connection.ops.quote_name
    table, pk, column = quote(Task._meta.db_table), quote("id"), quote(field.column)
    rows = ", ".join(["(%s, %s)"] * len(tasks))
    params: list[Any] = []
    for task in tasks:
        params += [task.pk, field.get_db_prep_save(task.data, connection)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = v.column2 FROM (VALUES {rows}) AS v "
            f"WHERE {table}.{pk} = v.column1", params)


def _claim_locked(dues: list[Due]) -> None:
    """Claim the dues' recipients and write their in-app notifications (once per key): the
    caller holds their processes' locks, so a concurrent run sees it all or nothing."""
    if not dues:
        return
    now = timezone.now()

    def claim(due: Due, entry: dict[str, Any]) -> None:
        due.claimed = _claim_entry(entry, [user.pk for user in due.recipients], now)

    _rewrite_ledgers(dues, claim)
    notifications.notify_many([note for due in dues for note in due.notes])


def _by_process(dues: list[Due]) -> dict[int, list[Due]]:
    groups: dict[int, list[Due]] = {}
    for due in dues:
        groups.setdefault(due.task.process_id, []).append(due)
    return groups


def _claim_all(dues: list[Due]) -> None:
    """Claim a batch under its processes' locks. The processes nobody holds are locked
    at once, skipping the held ones (PostgreSQL SKIP LOCKED; SQLite has no row locks and
    serialises writers); each held one — a decision running, or another run_due claiming
    the same mail — is then taken with its flow's own lock, which waits and retries, so a
    busy process delays its mail (logged `mail_deferred`) but never sends it twice."""
    groups = _by_process(dues)
    with transaction.atomic():
        locked = set(
            AccountProcess.objects.filter(pk__in=groups).order_by("pk")
            .select_for_update(skip_locked=True).values_list("pk", flat=True)
        )
        _claim_locked([due for pid in sorted(locked) for due in groups[pid]])
    for pid in sorted(set(groups) - locked):
        group = groups[pid]
        try:
            with group[0].task.flow_task.flow_class.lock(pid):
                _claim_locked(group)
        except FlowLockFailed:
            for due in group:
                logger.info("event=mail_deferred task=%s mail=%s reason=process_locked",
                            due.task.pk, due.key)


def _record_all(sent: list[tuple[Due, dict[int, str | None]]]) -> None:
    """Record what was sent and what failed, under the processes' locks (waited for, in
    process order)."""
    if not sent:
        return
    errors_of = {id(due): errors for due, errors in sent}
    now = timezone.now()

    def record(due: Due, entry: dict[str, Any]) -> None:
        _record_entry(entry, [user.pk for user in due.recipients], errors_of[id(due)], now)

    with transaction.atomic():
        list(
            AccountProcess.objects.filter(pk__in=_by_process([d for d, _e in sent]))
            .order_by("pk").select_for_update().values_list("pk", flat=True)
        )
        _rewrite_ledgers([due for due, _errors in sent], record)


def _send(mailer: Mailer, due: Due) -> dict[int, str | None]:
    claimed = set(due.claimed)
    messages = due.build([user for user in due.recipients if user.pk in claimed])
    errors: dict[int, str | None] = {}
    for uid, message in messages.items():
        errors[uid] = error = mailer.send(message)
        if error is None:
            mailer.sent += 1
            mailer.by_kind[due.kind] = mailer.by_kind.get(due.kind, 0) + 1
            logger.info("event=mail_sent task=%s mail=%s to=%s", due.task.pk, due.key,
                        message.to[0])
        else:
            mailer.failed += 1
            logger.error("event=mail_failed task=%s mail=%s to=%s error=%s",
                         due.task.pk, due.key, message.to[0], error)
    return errors


def deliver(mailer: Mailer, dues: list[Due]) -> None:
    """A batch: claim (with the in-app notifications), send after the claim is committed,
    record."""
    for due in dues:
        if not due.recipients:
            logger.warning("event=mail_no_recipient task=%s mail=%s", due.task.pk, due.key)
    _claim_all(dues)
    _record_all([(due, _send(mailer, due)) for due in dues if due.claimed])


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


# -- what is due ----------------------------------------------------------------------------


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
    rows = [
        a for a in TaskAssignment.objects.filter(
            due_on__lt=today, reminded_on__isnull=False,
            task__status__in=selectors.OPEN_STATUSES,
        ).select_related("task", "task__owner").order_by("pk")
        if not _entry(a.task, overdue_key(a)).get("done")
    ]
    # The units (with supervisor and parent) once each, not once per assignment.
    units = Unit.objects.select_related("supervisor", "parent").in_bulk({a.unit_id for a in rows})
    for a in rows:
        a.unit = units[a.unit_id]
    return rows


def reminder_dues(tasks: list[Task], *, today: datetime.date) -> list[Due]:
    """The reminders of a batch of tasks, read in bulk: once per task, in-app to the people
    who can act on it (e-mail or not), by e-mail to those of them who are reachable."""
    processes = _processes(tasks)
    assignments: dict[int, list[TaskAssignment]] = {}
    for row in TaskAssignment.objects.filter(task__in=tasks).select_related("unit").order_by("pk"):
        assignments.setdefault(row.task_id, []).append(row)
    candidates = selectors.candidates_by_task(tasks, on=today)
    wanted = notifications.email_wanted(
        {user for people in candidates.values() for user in people}, notifications.REMINDER)
    dues = []
    for task in tasks:
        process, rows, people = processes[task.process_id], assignments[task.pk], candidates[task.pk]
        due_on = min(a.due_on for a in rows if a.due_on)
        path = task_url(task)
        note = dict(
            recipients=people, kind=notifications.REMINDER,
            title=gettext_noop("即将到期：{account}（{step}），请于{due}前办理"),
            params={"account": process.account.name, "step": step_label(task, process),
                    "due": due_on.isoformat()},
            link=path, key=f"reminder:{task.pk}", email=False,
        )
        dues.append(Due(
            task=task, key=REMINDER, kind="reminders", notes=[note],
            recipients=_reachable(people, task=task, key=REMINDER, wanted=wanted),
            build=partial(reminder_messages, task, process=process, path=path, assignments=rows),
        ))
    return dues


def escalation_dues(rows: list[TaskAssignment], *, today: datetime.date) -> list[Due]:
    """The escalations of a batch of overdue assignments, read in bulk: once per assignment,
    in-app to the heads it escalates to and to the task's own people, by e-mail to the
    heads (escalation_recipients)."""
    tasks = list({a.task_id: a.task for a in rows}.values())
    processes = _processes(tasks)
    candidates = selectors.candidates_by_task(tasks, on=today)
    units = {a.unit_id for a in rows} | {above.pk for a in rows if (above := _above(a.unit))}
    heads = _heads_by_unit(units)
    wanted = notifications.email_wanted(
        {user for people in heads.values() for user in people}, notifications.OVERDUE)
    dues = []
    for assignment in rows:
        task, key = assignment.task, overdue_key(assignment)
        process = processes[task.process_id]
        params = {"account": process.account.name, "step": step_label(task, process),
                  "unit": assignment.unit.name, "days": (today - assignment.due_on).days}
        path = task_url(task)
        common = dict(kind=notifications.OVERDUE, params=params, link=path, key=key,
                      email=False)
        notes = [
            dict(common, recipients=escalation_people(assignment, heads),
                 title=gettext_noop("督办：{unit}办理的{account}（{step}）已超期{days}天")),
            dict(common, recipients=candidates[task.pk],
                 title=gettext_noop("已超期：{account}（{step}）已超期{days}天，请尽快办理")),
        ]
        dues.append(Due(
            task=task, key=key, kind="escalations", notes=notes,
            recipients=escalation_recipients(assignment, heads, wanted),
            build=partial(escalation_messages, assignment, path=path, process=process,
                          today=today),
        ))
    return dues


def _batches(rows: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start:start + BATCH]


def send_due_mail(*, today: datetime.date) -> dict[str, int]:
    """The e-mail part of run_due, BATCH reminders or escalations at a time (a fixed number
    of statements per batch). Returns counts of messages sent and failed."""
    mailer = Mailer()
    try:
        for tasks in _batches(reminder_tasks(today)):
            deliver(mailer, reminder_dues(tasks, today=today))
        for rows in _batches(escalation_assignments(today)):
            deliver(mailer, escalation_dues(rows, today=today))
    finally:
        mailer.close()
    return {
        "reminders_sent": mailer.by_kind.get("reminders", 0),
        "escalations_sent": mailer.by_kind.get("escalations", 0),
        "failed": mailer.failed,
    }
