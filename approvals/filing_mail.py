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
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_noop

from approvals.filings import claim, filings_overdue, filings_to_remind
from approvals.models import Filing
from approvals.run_due_mail import Mailer
from lifecycle.models import Role
from lifecycle.notifications import OVERDUE, REMINDER, notify
from notices.rendering import cn_date

logger = logging.getLogger("govmedia.run_due")


def _people(unit_ids: list[int], roles: tuple[str, ...], *, with_email: bool = True) -> list[Any]:
    qs = get_user_model().objects.filter(
        memberships__unit_id__in=unit_ids, memberships__role__in=roles, is_active=True,
    )
    if with_email:
        qs = qs.exclude(Q(email="") | Q(email__isnull=True))
    return list(qs.distinct().order_by("pk"))


REMIND_TITLE = gettext_noop("备案提醒：{account}（{system}）{kind}，{due}到期")
OVERDUE_TITLE = gettext_noop("备案逾期：{account}（{system}）{kind}，期限{due}")


def _in_app(filing: Filing, unit_ids: list[int], roles: tuple[str, ...], *, overdue: bool) -> None:
    """The same news in the notification centre, once per filing and kind (e-mail: here)."""
    notify(
        recipients=_people(unit_ids, roles, with_email=False), kind=OVERDUE if overdue else REMINDER,
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


def _send(mailer: Mailer, filing: Filing, users: list[Any], *, field: str, overdue: bool) -> bool:
    sent = 0
    for user in users:
        error = mailer.send(_message(filing, user, overdue=overdue))
        if error is None:
            sent += 1
            mailer.sent += 1
        else:
            mailer.failed += 1
            logger.error("event=filing_mail_failed filing=%s to=%s error=%s", filing.pk, user.email, error)
    if users and not sent:
        Filing.objects.filter(pk=filing.pk).update(**{field: None})  # retried by the next run
        return False
    return True


def send_filing_mail(*, today: datetime.date) -> dict[str, int]:
    mailer = Mailer()
    reminded = overdue = 0
    try:
        for filing in filings_to_remind(today).select_related("account__unit"):
            if claim(filing, field="reminded_on", today=today):
                roles = (Role.APPLICANT, Role.UNIT_HEAD)
                _in_app(filing, [filing.account.unit_id], roles, overdue=False)
                users = _people([filing.account.unit_id], roles)
                reminded += _send(mailer, filing, users, field="reminded_on", overdue=False)
        for filing in filings_overdue(today).select_related("account__unit"):
            if claim(filing, field="overdue_notified_on", today=today):
                unit = filing.account.unit
                units = [unit.pk] + [u for u in (unit.supervisor_id, unit.parent_id) if u][:1]
                _in_app(filing, units, (Role.UNIT_HEAD,), overdue=True)
                users = _people(units, (Role.UNIT_HEAD,))
                overdue += _send(mailer, filing, users, field="overdue_notified_on", overdue=True)
                logger.info("event=filing_overdue filing=%s account=%s due=%s",
                            filing.pk, filing.account_id, filing.due_on)
    finally:
        mailer.close()
    return {"reminded": reminded, "overdue": overdue, "sent": mailer.sent, "failed": mailer.failed}
