"""The filing step of run_due (issue 14 item 5): a reminder to the owning unit's applicants
and heads before a filing's due date (TASK_REMIND_WORKING_DAYS working days, like tasks), and
one overdue notice to its heads (and those of its supervisor unit) after it — each once per
filing (Filing.reminded_on / overdue_notified_on, claimed by compare-and-swap before
sending). A failed send releases the claim, so the next run tries again. The same reminder
and overdue notice also go to the notification centre (kinds reminder / overdue, once per
filing by key; e-mail is sent here, not by the centre)."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_noop

from approvals.claims import claim_unset
from approvals.filings import filings_overdue, filings_to_remind
from approvals.models import Filing
from approvals.run_due_mail import Mailer
from lifecycle.models import Membership, Role
from lifecycle.notifications import OVERDUE, REMINDER, notify_many
from notices.rendering import cn_date

logger = logging.getLogger("govmedia.run_due")


def members_by_unit(unit_ids: set[int], roles: tuple[str, ...]) -> dict[tuple[int, str], list[Any]]:
    """The active members of each (unit, role) of a batch (one query; run_due's filings and
    early warnings)."""
    found: dict[tuple[int, str], list[Any]] = {}
    for membership in Membership.objects.filter(
            unit_id__in=unit_ids, role__in=roles, user__is_active=True).select_related("user"):
        found.setdefault((membership.unit_id, membership.role), []).append(membership.user)
    return found


def members(found: dict[tuple[int, str], list[Any]], unit_ids: list[int],
            roles: tuple[str, ...], *, with_email: bool = True) -> list[Any]:
    """The members holding one of `roles` in one of `unit_ids`, each once, by id (those with
    an e-mail address unless `with_email` is False)."""
    users = {user.pk: user for unit in unit_ids for role in roles
             for user in found.get((unit, role), [])}
    return [users[uid] for uid in sorted(users) if not with_email or users[uid].email]


REMIND_TITLE = gettext_noop("备案提醒：{account}（{system}）{kind}，{due}到期")
OVERDUE_TITLE = gettext_noop("备案逾期：{account}（{system}）{kind}，期限{due}")


def _in_app(filing: Filing, people: list[Any], *, overdue: bool) -> dict[str, Any]:
    """The same news in the notification centre, once per filing and kind (e-mail: here):
    one notify_many message."""
    return dict(
        recipients=people, kind=OVERDUE if overdue else REMINDER,
        title=OVERDUE_TITLE if overdue else REMIND_TITLE,
        params={"account": filing.account.name, "system": filing.get_system_display(),
                "kind": filing.get_kind_display(), "due": filing.due_on.isoformat()},
        link=reverse("work:filings") + ("?state=overdue" if overdue else ""),
        key=f"filing-{'overdue' if overdue else 'remind'}:{filing.pk}", email=False,
    )


def _message(filing: Filing, user: Any, *, overdue: bool) -> EmailMessage:
    account = filing.account
    context = {
        "recipient_name": user.get_full_name() or user.get_username(),
        "overdue": overdue,
        "account_name": account.name,
        "platform": account.get_platform_display(),
        "unit_name": account.unit.name,
        "kind": filing.get_kind_display(),
        "system": filing.get_system_display(),
        "event_on": cn_date(filing.event_on),
        "due_on": cn_date(filing.due_on),
        "link": settings.GOVMEDIA_BASE_URL.rstrip("/") + reverse("work:filings"),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("approvals/email/filing_due/subject.txt", context)
        body = render_to_string("approvals/email/filing_due/body.txt", context)
    return EmailMessage(subject=" ".join(subject.split()), body=body.strip() + "\n",
                        from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email],
                        headers={"Auto-Submitted": "auto-generated"})


def _send(mailer: Mailer, filing: Filing, users: list[Any], *, overdue: bool) -> bool:
    """False when every message failed (the claim is then released: the next run retries)."""
    sent = 0
    for user in users:
        error = mailer.send(_message(filing, user, overdue=overdue))
        if error is None:
            sent += 1
            mailer.sent += 1
        else:
            mailer.failed += 1
            logger.error("event=filing_mail_failed filing=%s to=%s error=%s", filing.pk, user.email, error)
    return not users or sent > 0


# Filings are claimed, notified and released this many at a time (a fixed number of
# statements per batch).
BATCH = 500


def _units(filing: Filing, *, overdue: bool) -> list[int]:
    """Whose heads hear of an overdue filing: the account's unit and its supervisor unit
    (the parent when none is set); a reminder goes to the account's unit."""
    unit = filing.account.unit
    if not overdue:
        return [unit.pk]
    return [unit.pk] + [u for u in (unit.supervisor_id, unit.parent_id) if u][:1]


def _handle(mailer: Mailer, filings: list[Filing], *, field: str, overdue: bool,
            today: datetime.date) -> int:
    """A batch: claim (compare-and-swap, one UPDATE), tell in-app (one notify_many), e-mail,
    release the claims of the filings none of whose messages went out. Returns how many
    were handled."""
    claimed = claim_unset(Filing, [f.pk for f in filings], field, today)
    mine = [f for f in filings if f.pk in claimed]
    roles = (Role.UNIT_HEAD,) if overdue else (Role.APPLICANT, Role.UNIT_HEAD)
    units = {f.pk: _units(f, overdue=overdue) for f in mine}
    found = members_by_unit({u for f in mine for u in units[f.pk]}, roles) if mine else {}
    notify_many([_in_app(f, members(found, units[f.pk], roles, with_email=False), overdue=overdue)
                 for f in mine])
    handled, released = 0, []
    for filing in mine:
        if _send(mailer, filing, members(found, units[filing.pk], roles), overdue=overdue):
            handled += 1
        else:
            released.append(filing.pk)
        if overdue:
            logger.info("event=filing_overdue filing=%s account=%s due=%s",
                        filing.pk, filing.account_id, filing.due_on)
    if released:
        Filing.objects.filter(pk__in=released).update(**{field: None})  # the next run retries
    return handled


def send_filing_mail(*, today: datetime.date) -> dict[str, int]:
    mailer = Mailer()
    counts: dict[str, int] = {}
    try:
        for name, pending, field, overdue in (
            ("reminded", filings_to_remind(today), "reminded_on", False),
            ("overdue", filings_overdue(today), "overdue_notified_on", True),
        ):
            rows = list(pending.select_related("account__unit"))
            counts[name] = sum(
                _handle(mailer, rows[i:i + BATCH], field=field, overdue=overdue, today=today)
                for i in range(0, len(rows), BATCH))
    finally:
        mailer.close()
    return {**counts, "sent": mailer.sent, "failed": mailer.failed}
