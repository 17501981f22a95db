"""Filing deadlines (issue 14 item 5; docs/review.md): an account's opening, change, closure
and deregistration are each filed on the provincial platform and the national 报送系统
within FILING_WORKING_DAYS working days (per province: FILING_WORKING_DAYS_BY_PROVINCE).

The flows open the filings at their events (approvals.flows: opening registered, change
applied, closure approved, deregistered); the owning unit records each (date, reference
number); run_due reminds before the due date and tells the unit heads once it is overdue.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from approvals.models import AccountProcess, Filing, FilingSystem
from lifecycle.models import Account, AccountTransition, Role, Unit
from lifecycle.selectors import accounts_for, sees_everything, user_units
from lifecycle.services import ACTION_LABELS
from lifecycle.types import RequestUser, User
from lifecycle.workdays import add_working_days

logger = logging.getLogger("govmedia.run_due")

# Who records a filing: the owning unit's own staff.
FILING_ROLES = (Role.APPLICANT, Role.UNIT_HEAD)
FILING_RECORDED = "filing_recorded"
ACTION_LABELS.setdefault(FILING_RECORDED, _("登记备案"))

ERR_FILING_FORBIDDEN = _("只有账号主办单位的填报员或负责人可以登记备案。")
ERR_FILING_DONE = _("该备案已于{day}登记（编号 {ref}）。")
ERR_FILED_ON = _("请填写备案日期（YYYY-MM-DD），不能早于事项发生日期 {event}，也不能晚于今天。")
ERR_REFERENCE = _("请填写报送系统给出的备案编号（不超过100字）。")


def province_of(unit: Unit) -> Unit | None:
    """The province-level unit at the top of ``unit``'s path (Unit.path is "/<pk>/…/")."""
    first = unit.path.strip("/").split("/")[0] if unit.path else ""
    top = Unit.objects.filter(pk=int(first)).first() if first.isdigit() else None
    return top if top is not None and top.level == "province" else None


def filing_working_days(unit: Unit) -> int:
    province = province_of(unit)
    overrides = getattr(settings, "FILING_WORKING_DAYS_BY_PROVINCE", {}) or {}
    if province is not None and province.code in overrides:
        return int(overrides[province.code])
    return int(settings.FILING_WORKING_DAYS)


def filings_open(
    *, account: Account, kind: str, event_on: datetime.date, process: AccountProcess | None = None,
) -> list[Filing]:
    """Open the filings of one event (one per reporting system), due FILING_WORKING_DAYS
    working days after it. Idempotent per process and kind (constraint
    filing_once_per_process_event): a replayed flow step opens nothing new."""
    due = add_working_days(event_on, filing_working_days(account.unit))
    opened = []
    for system in FilingSystem.values:
        if process is not None and Filing.objects.filter(process=process, kind=kind, system=system).exists():
            continue
        try:
            with transaction.atomic():
                opened.append(Filing.objects.create(
                    account=account, process=process, kind=kind, system=system,
                    event_on=event_on, due_on=due))
        except IntegrityError:
            continue
    if opened:
        logger.info("event=filings_opened account=%s kind=%s due=%s", account.pk, kind, due)
    return opened


def filing_may_record(*, filing: Filing, actor: RequestUser) -> bool:
    if sees_everything(actor):
        return True
    return any(u.pk == filing.account.unit_id for u in user_units(actor, roles=FILING_ROLES))


@transaction.atomic
def filing_record(
    *, filing: Filing, actor: User, filed_on: Any, reference: str, today: datetime.date | None = None,
) -> Filing:
    """The owning unit records a filing once: its date (not before the event, not in the
    future) and the reference number the reporting system gave. Audited on the account."""
    today = today or timezone.localdate()
    locked = Filing.objects.select_for_update().select_related("account").get(pk=filing.pk)
    if not filing_may_record(filing=locked, actor=actor):
        raise PermissionDenied(str(ERR_FILING_FORBIDDEN))
    if locked.filed_on is not None:
        raise ValidationError({"filed_on": str(ERR_FILING_DONE).format(
            day=locked.filed_on.isoformat(), ref=locked.reference)})
    errors: dict[str, Any] = {}
    day = filed_on
    if isinstance(day, str):
        try:
            day = datetime.date.fromisoformat(day.strip())
        except ValueError:
            day = None
    if not isinstance(day, datetime.date) or day < locked.event_on or day > today:
        errors["filed_on"] = str(ERR_FILED_ON).format(event=locked.event_on.isoformat())
    reference = (reference or "").strip()
    if not reference or len(reference) > 100:
        errors["reference"] = ERR_REFERENCE
    if errors:
        raise ValidationError(errors)
    locked.filed_on, locked.reference = day, reference
    locked.recorded_by, locked.recorded_at = actor, timezone.now()
    locked.save(update_fields=["filed_on", "reference", "recorded_by", "recorded_at"])
    account = locked.account
    AccountTransition.objects.create(
        account=account, from_state=account.state, to_state=account.state, name=FILING_RECORDED,
        actor=actor, reason=f"{locked.get_kind_display()} · {locked.get_system_display()} · {reference}",
        data={"filing_id": locked.pk, "filed_on": day.isoformat()},
    )
    filing.filed_on, filing.reference = locked.filed_on, locked.reference
    return locked


# -- reads -----------------------------------------------------------------------------------

FILING_STATES = ("pending", "overdue", "done", "all")


def filings_for(user: RequestUser, *, state: str = "pending", today: datetime.date | None = None,
                unit: Unit | None = None) -> QuerySet[Filing]:
    """Filings of accounts in the user's scope: ``pending`` (not filed, incl. overdue),
    ``overdue``, ``done`` or ``all``."""
    today = today or timezone.localdate()
    qs = Filing.objects.filter(account__in=accounts_for(user)).select_related(
        "account", "account__unit", "recorded_by")
    if unit is not None:
        qs = qs.filter(account__unit__path__startswith=unit.path)
    return in_state(qs, state=state, today=today)


def in_state(qs: QuerySet[Filing], *, state: str, today: datetime.date) -> QuerySet[Filing]:
    if state == "pending":
        qs = qs.filter(filed_on__isnull=True)
    elif state == "overdue":
        qs = qs.filter(filed_on__isnull=True, due_on__lt=today)
    elif state == "done":
        qs = qs.filter(filed_on__isnull=False)
    return qs.order_by("due_on", "account__unit__path", "pk")


EXPORT_COLUMNS = [
    "unit_code", "unit_name", "account", "platform", "platform_id", "kind", "system",
    "event_on", "due_on", "filed_on", "reference", "state",
]


def export_rows(filings: QuerySet[Filing], *, today: datetime.date) -> list[list[Any]]:
    return [
        [f.account.unit.code, f.account.unit.name, f.account.name, f.account.platform,
         f.account.platform_id, f.kind, f.system, f.event_on, f.due_on, f.filed_on, f.reference,
         f.state(today)]
        for f in filings
    ]


# -- due work (run_due) ------------------------------------------------------------------------


def filings_to_remind(today: datetime.date) -> QuerySet[Filing]:
    soon = add_working_days(today, int(settings.TASK_REMIND_WORKING_DAYS))
    return Filing.objects.filter(filed_on__isnull=True, reminded_on__isnull=True,
                                 due_on__gte=today, due_on__lte=soon)


def filings_overdue(today: datetime.date) -> QuerySet[Filing]:
    return Filing.objects.filter(filed_on__isnull=True, overdue_notified_on__isnull=True,
                                 due_on__lt=today)
