"""Writers of review data: citizens' feedback (纠错, 好评/差评) and the owning unit marking an
error report handled (with its audit row)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lifecycle.models import Account, AccountState, AccountTransition, Role
from lifecycle.selectors import sees_everything, user_units
from lifecycle.services import ACTION_LABELS
from review.models import Feedback, FeedbackKind

# AccountTransition.name of the audit row written when an error report is handled; its
# `reason` is the handling note and data.feedback_id the report (review.selectors
# .feedback_notes reads it back for the feedback page).
FEEDBACK_HANDLED = "feedback_handled"
# Who handles the owning unit's error reports: its own staff. Inspectors, reviewers and
# archivists are left out — unhandled reports count in their inspections (docs/review.md).
FEEDBACK_HANDLER_ROLES = (Role.APPLICANT, Role.UNIT_HEAD, Role.APPROVER)
FEEDBACK_NOTE_MAX = 2000
# The account page labels history rows from lifecycle.services.ACTION_LABELS; this row is
# written here, so its label is registered here (setdefault: a label there wins).
ACTION_LABELS.setdefault(FEEDBACK_HANDLED, _("处理公众纠错"))

FEEDBACK_TEXT_MAX = 2000
ERR_FEEDBACK_ACCOUNT = _("只能对运行中的账号提交纠错或评价。")
ERR_FEEDBACK_KIND = _("请选择纠错、好评或差评。")
ERR_FEEDBACK_TEXT_REQUIRED = _("纠错和差评请写明具体内容。")
ERR_FEEDBACK_TEXT_LONG = _("内容不能超过{n}字。")
ERR_FEEDBACK_CONTACT_LONG = _("联系方式不能超过200字。")
ERR_HANDLE_KIND = _("只有纠错需要标记处理；好评和差评无需处理。")
ERR_HANDLE_DONE = _("该纠错已于{at}由{user}标记为已处理。")
ERR_HANDLE_NOTE = _("请填写处理说明（如何核实、是否已更正）。")
ERR_HANDLE_NOTE_LONG = _("处理说明不能超过{n}字。")
ERR_HANDLE_FORBIDDEN = _("只有账号主办单位的填报员、负责人或审核人可以处理该纠错。")


@transaction.atomic
def feedback_submit(*, account: Account, kind: str, text: str, contact: str = "") -> Feedback:
    """Store one public 纠错/好评/差评 for an active account (rate limiting is the view's job)."""
    text = (text or "").strip()
    contact = (contact or "").strip()
    errors: dict[str, Any] = {}
    if account.state != AccountState.ACTIVE:
        errors["account"] = ERR_FEEDBACK_ACCOUNT
    if kind not in FeedbackKind.values:
        errors["kind"] = ERR_FEEDBACK_KIND
    elif kind != FeedbackKind.PRAISE and not text:
        errors["text"] = ERR_FEEDBACK_TEXT_REQUIRED
    if len(text) > FEEDBACK_TEXT_MAX:
        errors["text"] = str(ERR_FEEDBACK_TEXT_LONG).format(n=FEEDBACK_TEXT_MAX)
    if len(contact) > 200:
        errors["contact"] = ERR_FEEDBACK_CONTACT_LONG
    if errors:
        raise ValidationError(errors)
    feedback = Feedback(account=account, kind=kind, text=text, contact=contact)
    feedback.full_clean()
    feedback.save()
    return feedback


def feedback_may_handle(*, feedback: Feedback, actor: Any) -> bool:
    """An error report is handled by the staff of the account's owning unit (the unit
    itself, not its supervisors: they see the report, the unit answers it)."""
    if sees_everything(actor):
        return True
    units = user_units(actor, roles=FEEDBACK_HANDLER_ROLES)
    return feedback.account.unit_id in {u.pk for u in units}


@transaction.atomic
def feedback_handle(*, feedback: Feedback, actor: Any, note: str) -> Feedback:
    """Mark a public error report (纠错) handled, with the unit's note. Locks the row: of
    two concurrent clicks the second gets ERR_HANDLE_DONE. Writes the audit row
    (AccountTransition FEEDBACK_HANDLED, state unchanged) that carries the note."""
    note = (note or "").strip()
    locked = Feedback.objects.select_for_update().select_related("account").get(pk=feedback.pk)
    if not feedback_may_handle(feedback=locked, actor=actor):
        raise PermissionDenied(str(ERR_HANDLE_FORBIDDEN))
    if locked.kind != FeedbackKind.ERROR_REPORT:
        raise ValidationError({"feedback": ERR_HANDLE_KIND})
    if locked.handled_at is not None:
        who = locked.handled_by
        name = (who.get_full_name() or who.get_username()) if who else "—"
        at = timezone.localtime(locked.handled_at).strftime("%Y-%m-%d %H:%M")
        raise ValidationError({"feedback": str(ERR_HANDLE_DONE).format(at=at, user=name)})
    if not note:
        raise ValidationError({"note": ERR_HANDLE_NOTE})
    if len(note) > FEEDBACK_NOTE_MAX:
        raise ValidationError({"note": str(ERR_HANDLE_NOTE_LONG).format(n=FEEDBACK_NOTE_MAX)})
    locked.handled_at = timezone.now()
    locked.handled_by = actor
    locked.full_clean()
    locked.save(update_fields=["handled_at", "handled_by"])
    account = locked.account
    AccountTransition.objects.create(
        account=account, from_state=account.state, to_state=account.state,
        name=FEEDBACK_HANDLED, actor=actor, reason=note,
        data={"feedback_id": locked.pk, "kind": locked.kind},
    )
    feedback.handled_at, feedback.handled_by = locked.handled_at, locked.handled_by
    return locked
