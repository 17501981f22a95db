"""The early-warning step of run_due (issue 14 item 1, docs/review.md): record the day's
threshold crossings (review.warnings.warnings_record), then tell each unit once per crossing
— one e-mail per reachable applicant or unit head of the account's own unit, listing its new
warnings. A warning row is claimed (notified_at set) before the message goes out, so two
runs never both send it; when every message of a unit failed the claim is released and the
next run tries again. Every applicant and head of the unit also gets one in-app
notification per warning (lifecycle.notifications, kind `warning`, once per warning by its
key; e-mail is sent here, so the centre sends none). The unit sees its open warnings on
/work/review/warnings/, the dashboard and the account pages.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from approvals.claims import claim_unset
from approvals.filing_mail import members, members_by_unit
from approvals.run_due_mail import Mailer
from lifecycle.models import Role
from lifecycle.notifications import WARNING, notify_many
from notices.rendering import cn_date
from review.evaluation import ReviewError
from review.models import EarlyWarning
from review.warnings import unnotified_warnings, warnings_record

logger = logging.getLogger("govmedia.run_due")

# Who hears about a unit's warnings: its own staff, who can post and fix the account.
WARNING_ROLES = (Role.APPLICANT, Role.UNIT_HEAD)


def warning_recipients(people: list[Any]) -> list[Any]:
    """Those of a unit's people with an e-mail address."""
    return [user for user in people if user.email]


WARNING_TITLE = gettext_noop("预警：{account}（{platform}）{label}，剩余{days}天，触线日期{line}")


def _in_app(warning: EarlyWarning, people: list[Any]) -> dict[str, Any]:
    """One notification per warning to each of the unit's people (once per warning by its
    key): a notify_many message."""
    return dict(
        recipients=people, kind=WARNING, title=WARNING_TITLE,
        params={"account": warning.account.name, "platform": warning.account.get_platform_display(),
                "label": warning.get_code_display(), "days": warning.days_left,
                "line": warning.line_on.isoformat()},
        link=reverse("work:warnings") + f"?unit={warning.account.unit.code}",
        key=f"warning:{warning.pk}", email=False,
    )


def _message(user: Any, unit_name: str, rows: list[EarlyWarning]) -> EmailMessage:
    context = {
        "recipient_name": user.get_full_name() or user.get_username(),
        "unit_name": unit_name,
        "count": len(rows),
        "link": settings.GOVMEDIA_BASE_URL.rstrip("/") + reverse("work:warnings"),
        "warnings": [
            {
                "account_name": w.account.name,
                "platform": w.account.get_platform_display(),
                "label": w.get_code_display(),
                "judged_days": w.judged_days,
                "days_left": w.days_left,
                "line_on": cn_date(w.line_on),
            }
            for w in rows
        ],
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("approvals/email/early_warning/subject.txt", context)
        body = render_to_string("approvals/email/early_warning/body.txt", context)
    return EmailMessage(
        subject=" ".join(subject.split()), body=body.strip() + "\n",
        from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email],
        headers={"Auto-Submitted": "auto-generated"},
    )


# Units whose warnings are claimed, notified and recorded together (a fixed number of
# statements per batch).
BATCH = 200


def _handle(mailer: Mailer, by_unit: dict[int, list[EarlyWarning]]) -> int:
    """A batch of units: claim their warnings (one UPDATE … RETURNING), tell their people
    in-app (one notify_many), e-mail each unit once listing its warnings, release the
    warnings of a unit none of whose messages went out, record who was written to. A unit
    some of whose warnings another run holds is left to that run. Returns how many
    warnings were notified."""
    claimed = claim_unset(EarlyWarning, [w.pk for rows in by_unit.values() for w in rows],
                          "notified_at", timezone.now())
    mine = {unit_id: rows for unit_id, rows in by_unit.items()
            if all(w.pk in claimed for w in rows)}
    found = members_by_unit(set(mine), WARNING_ROLES) if mine else {}
    people = {unit_id: members(found, [unit_id], WARNING_ROLES, with_email=False)
              for unit_id in mine}
    notify_many([_in_app(w, people[unit_id]) for unit_id, rows in mine.items() for w in rows])
    notified, released, recorded = 0, [], []
    for unit_id, rows in mine.items():
        users = warning_recipients(people[unit_id])
        if not users:
            logger.warning("event=warning_no_recipient unit=%s warnings=%s", unit_id, len(rows))
        sent_to = []
        for user in users:
            error = mailer.send(_message(user, rows[0].account.unit.name, rows))
            if error is None:
                mailer.sent += 1
                sent_to.append(user.get_username())
            else:
                mailer.failed += 1
                logger.error("event=warning_mail_failed unit=%s to=%s error=%s",
                             unit_id, user.email, error)
        if users and not sent_to:
            released += [w.pk for w in rows]
            continue
        for w in rows:
            w.notified_to = ";".join(sent_to)
        recorded += rows
        notified += len(rows)
    if released:  # the next run tries again
        EarlyWarning.objects.filter(pk__in=released).update(notified_at=None)
    if recorded:
        EarlyWarning.objects.bulk_update(recorded, ["notified_to"])
    return notified


def send_warning_mail(*, today: datetime.date) -> dict[str, int]:
    """Record the crossings of ``today`` and send every unnotified open warning once."""
    try:
        recorded = warnings_record(today=today)
    except ReviewError as exc:  # no active rule set: nothing to warn about, run_due goes on
        logger.warning("event=warnings_skipped reason=%s", exc)
        recorded = {"opened": 0, "cleared": 0}
    by_unit: dict[int, list[EarlyWarning]] = defaultdict(list)
    for warning in unnotified_warnings():
        by_unit[warning.account.unit_id].append(warning)
    mailer = Mailer()
    notified = 0
    units = list(by_unit)
    try:
        for i in range(0, len(units), BATCH):
            notified += _handle(mailer, {u: by_unit[u] for u in units[i:i + BATCH]})
    finally:
        mailer.close()
    return {**recorded, "notified": notified, "sent": mailer.sent, "failed": mailer.failed}
