"""Writers behind the public portal: the announcement record that the portal and the
successor lookup read, and citizens' feedback (纠错, 好评/差评).

lifecycle imports neither approvals nor notices: the closure flow hands the announcement's
number in, and the portal reads it back from the AccountTransition row written here.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .models import Account, AccountState, AccountTransition, Feedback, FeedbackKind

# AccountTransition.name of the announcement row (lifecycle.public_views reads it).
ANNOUNCE = "announce"

FEEDBACK_TEXT_MAX = 2000
ERR_FEEDBACK_ACCOUNT = _("只能对运行中的账号提交纠错或评价。")
ERR_FEEDBACK_KIND = _("请选择纠错、好评或差评。")
ERR_FEEDBACK_TEXT_REQUIRED = _("纠错和差评请写明具体内容。")
ERR_FEEDBACK_TEXT_LONG = _("内容不能超过{n}字。")
ERR_FEEDBACK_CONTACT_LONG = _("联系方式不能超过200字。")


@transaction.atomic
def account_record_announcement(
    *,
    account: Account,
    actor: Any,
    kind: str,
    number: str,
    notice_id: int | None,
    reason: str,
    stop_on: str,
    announced_on: str,
    process_id: int | None = None,
) -> AccountTransition:
    """The public record of a closure/merger announcement: an audit row (state unchanged)
    carrying the notice number, so the portal can list and link it without the notices app."""
    return AccountTransition.objects.create(
        account=account, from_state=account.state, to_state=account.state, name=ANNOUNCE,
        actor=actor if getattr(actor, "pk", None) else None, reason=reason,
        process_id=process_id,
        data={"kind": kind, "number": number, "notice_id": notice_id, "stop_on": stop_on,
              "announced_on": announced_on},
    )


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
