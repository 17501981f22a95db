"""Scoped reads of review data shared by the workbench, the API and the commands."""

from __future__ import annotations

from django.db.models import QuerySet

from lifecycle.models import AccountTransition
from lifecycle.selectors import sees_everything, subtree_q, user_units
from lifecycle.types import RequestUser
from review.models import Feedback, FeedbackKind
from review.services import FEEDBACK_HANDLED

FEEDBACK_OPEN = "open"  # error reports not yet handled
FEEDBACK_HANDLED_STATE = "handled"


def feedback_for(
    user: RequestUser, *, kind: str = "", state: str = "", account_id: int | None = None
) -> QuerySet[Feedback]:
    """Feedback on accounts under the user's units, newest first. `state` filters error
    reports: "open" (unhandled) or "handled"."""
    qs = Feedback.objects.select_related("account__unit", "handled_by").order_by("-created", "-pk")
    if not sees_everything(user):
        qs = qs.filter(subtree_q(user_units(user), prefix="account__unit__"))
    if kind in FeedbackKind.values:
        qs = qs.filter(kind=kind)
    if state == FEEDBACK_OPEN:
        qs = qs.filter(kind=FeedbackKind.ERROR_REPORT, handled_at__isnull=True)
    elif state == FEEDBACK_HANDLED_STATE:
        qs = qs.filter(handled_at__isnull=False)
    if account_id is not None:
        qs = qs.filter(account_id=account_id)
    return qs


def feedback_notes(feedbacks: list[Feedback]) -> dict[int, str]:
    """feedback id → the handling note (the FEEDBACK_HANDLED audit row), one query."""
    handled = [f for f in feedbacks if f.handled_at is not None]
    if not handled:
        return {}
    rows = AccountTransition.objects.filter(
        name=FEEDBACK_HANDLED,
        account_id__in={f.account_id for f in handled},
        data__feedback_id__in=[f.pk for f in handled],
    ).values_list("data__feedback_id", "reason")
    return {int(pk): reason for pk, reason in rows}
