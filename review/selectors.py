"""Scoped reads of review data shared by the workbench, the API and the commands."""

from __future__ import annotations

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet

from lifecycle.models import Account, AccountTransition, Membership, Role
from lifecycle.selectors import sees_everything, subtree_q, user_units
from lifecycle.types import RequestUser
from review.models import ContentFinding, Dictionary, Feedback, FeedbackKind, MetricSnapshot
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


# Who writes review inputs (metrics, posts) — DESIGN §8: inspectors and supervisor reviewers
# of a unit above the account's unit; never the account's own unit.
REVIEW_INPUT_ROLES = (Role.INSPECTOR, Role.SUPERVISOR_REVIEWER)


INTEGRATION_PERMISSION = "review.add_metricsnapshot"


def snapshot_superseded() -> Exists:
    """True for a snapshot row a later correction of the same account and day replaced."""
    return Exists(
        MetricSnapshot.objects.filter(
            account_id=OuterRef("account_id"), as_of=OuterRef("as_of"), pk__gt=OuterRef("pk")
        )
    )


def current_snapshots(qs: QuerySet[MetricSnapshot] | None = None) -> QuerySet[MetricSnapshot]:
    """Snapshots are append-only (a correction is a new row): the current figures of an
    account for a day are its row with the highest id. One query, whatever the count."""
    qs = qs if qs is not None else MetricSnapshot.objects.all()
    return qs.filter(~snapshot_superseded())


def review_input_accounts(user: RequestUser) -> QuerySet[Account]:
    """Accounts the user may push metrics and posts for (issue 12 item 3): strictly below a
    unit where they inspect or review, never an account of any of their own units;
    superusers and integration accounts (a service user holding review.add_metricsnapshot,
    granted by the installer): all."""
    if sees_everything(user) or (getattr(user, "is_authenticated", False)
                                 and user.has_perm(INTEGRATION_PERMISSION)):
        return Account.objects.all()
    units = user_units(user, roles=REVIEW_INPUT_ROLES)
    if not units:
        return Account.objects.none()
    q = Q()
    for unit in units:
        q |= Q(unit__path__startswith=unit.path) & ~Q(unit_id=unit.pk)
    own = Membership.objects.filter(user_id=int(user.pk or 0)).values("unit_id")
    return Account.objects.filter(q).exclude(unit_id__in=own)


def dictionaries_for(user: RequestUser) -> QuerySet[Dictionary]:
    """Dictionaries of the user's units, the units below them and above them (a province's
    dictionary applies to a city's accounts, so its staff may read it)."""
    qs = Dictionary.objects.select_related("unit")
    if sees_everything(user):
        return qs
    units = user_units(user)
    if not units:
        return qs.none()
    # Unit.path is "/<pk>/<pk>/…/": its segments are the unit and its ancestors.
    above = {int(pk) for u in units for pk in u.path.strip("/").split("/") if pk}
    return qs.filter(subtree_q(units, prefix="unit__") | Q(unit__pk__in=above))


def content_findings_for(account: Account, *, start: datetime.date | None = None,
                         end: datetime.date | None = None) -> QuerySet[ContentFinding]:
    """An account's content-check candidates, by the posts' publication day."""
    qs = ContentFinding.objects.filter(account=account).select_related("post")
    if start is not None:
        qs = qs.filter(post__published_at__date__gte=start)
    if end is not None:
        qs = qs.filter(post__published_at__date__lte=end)
    return qs.order_by("-post__published_at", "pk")
