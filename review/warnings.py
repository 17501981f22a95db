"""Early warnings (预警, issue 14 item 1; docs/review.md): the accounts about to cross a rule,
and the one writer that records each threshold crossing once.

* ``NO_UPDATE_14D``: the judged days without an update (review.scoring.judged_days, the fair
  window included) exceed the veto's ``warn_days`` (default 10) but not yet its ``days``
  (14): days left = days − judged days; the veto applies on ``as_of + days left + 1``.
* ``LOW_REACH``: an account whose fair window (``low_reach.window_days``) ends within
  ``LOW_REACH_WARN_DAYS`` and whose figures would put it on the low-reach list then.
* ``NO_INTERACTION`` has no metric that precedes it (the monitoring feed only says on/off):
  it is a veto at once, so there is no warning for it.

Selection is one query on indexed dates (bench/review.py: 100,000 accounts); the writer
``warnings_record`` opens a row for each new crossing and clears the rows of accounts that
recovered, so the run_due mail step (approvals.run_due_mail.send_warning_mail) sends each
crossing once.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, QuerySet

from lifecycle.models import Account, Unit
from review import scoring
from review.evaluation import active_rule_set, review_scope, rules_from_rule_set
from review.models import EarlyWarning, WarningCode

logger = logging.getLogger("govmedia.review")

# A low-reach warning is given this many days before the account's window ends.
LOW_REACH_WARN_DAYS = 30


@dataclass(frozen=True)
class AtRisk:
    account_id: int
    code: str
    days_left: int
    line_on: datetime.date
    judged_days: int | None


def _no_update_q(as_of: datetime.date, rules: scoring.Rules) -> Q | None:
    warn = rules.warn_no_update_days
    if warn is None or not rules.check_no_update or warn >= rules.no_update_days:
        return None
    warn_cut = as_of - datetime.timedelta(days=warn)
    line_cut = as_of - datetime.timedelta(days=rules.no_update_days)
    # judged = min(days since last post, days since go-live); warn < judged ≤ days, i.e.
    # both dates (where set) before warn_cut and one of them on or after line_cut. Written
    # as two date ranges of a few days each, so that PostgreSQL ORs a range scan of
    # account_last_post_on_idx with one of account_opened_on_idx instead of reading every
    # active account (the same set: tests/review/test_early_warnings.py compares them).
    last_in = Q(last_post_on__gte=line_cut, last_post_on__lt=warn_cut) & (
        Q(opened_on__lt=warn_cut) | Q(opened_on__isnull=True))
    opened_in = Q(opened_on__gte=line_cut, opened_on__lt=warn_cut) & (
        Q(last_post_on__lt=warn_cut) | Q(last_post_on__isnull=True))
    return last_in | opened_in


def accounts_at_risk(
    *, as_of: datetime.date, unit: Unit | None = None, rules: scoring.Rules | None = None,
    accounts: QuerySet[Account] | None = None,
) -> list[AtRisk]:
    """The accounts past a warning threshold and not yet past the line, ordered by days
    left. ``accounts`` narrows the scope further (a user's subtree)."""
    rules = rules or rules_from_rule_set(active_rule_set())
    scope = review_scope(unit=unit)
    if accounts is not None:
        scope = scope.filter(pk__in=accounts.values("pk"))
    out: list[AtRisk] = []
    q = _no_update_q(as_of, rules)
    if q is not None:
        # Unordered (sorted below): the scope's default order by name, through a server-side
        # cursor, had PostgreSQL walk the name index over every account of the province.
        for pk, last, opened in scope.filter(q).order_by().values_list(
            "pk", "last_post_on", "opened_on"
        ).iterator(chunk_size=5000):
            judged = scoring.judged_days(as_of, last, opened)
            assert judged is not None  # the filter needs a date within the line
            left = rules.no_update_days - judged
            out.append(
                AtRisk(pk, WarningCode.NO_UPDATE, left, as_of + datetime.timedelta(days=left + 1), judged)
            )
    window = rules.low_reach_window_days
    young_from = as_of - datetime.timedelta(days=window - 1)
    young_to = as_of - datetime.timedelta(days=window - LOW_REACH_WARN_DAYS)
    for pk, followers, posts, opened in (
        scope.filter(
            opened_on__gte=young_from, opened_on__lte=young_to,
            followers__lt=rules.low_reach_followers_below,
        ).order_by().values_list("pk", "followers", "posts_total", "opened_on")
    ):
        line_on = opened + datetime.timedelta(days=window)
        if scoring.is_low_reach(followers=followers, posts_total=posts, opened_on=opened,
                                as_of=line_on, rules=rules):
            out.append(AtRisk(pk, WarningCode.LOW_REACH, (line_on - as_of).days - 1, line_on, None))
    out.sort(key=lambda r: (r.days_left, r.account_id))
    return out


def _still_past_line(account: Account, code: str, as_of: datetime.date, rules: scoring.Rules) -> bool:
    """An open warning whose account is no longer at risk stays open while the account is
    past the line (vetoed / listed); it clears once the account recovered."""
    if code == WarningCode.NO_UPDATE:
        judged = scoring.judged_days(as_of, account.last_post_on, account.opened_on)
        return scoring.no_update(judged, limit=rules.no_update_days)
    return scoring.is_low_reach(followers=account.followers, posts_total=account.posts_total,
                                opened_on=account.opened_on, as_of=as_of, rules=rules)


@transaction.atomic
def warnings_record(*, today: datetime.date) -> dict[str, int]:
    """Open a warning for every new threshold crossing on ``today`` and clear the warnings
    of accounts that recovered (or left review). Idempotent for a day."""
    rules = rules_from_rule_set(active_rule_set())
    at_risk = {(r.account_id, r.code): r for r in accounts_at_risk(as_of=today, rules=rules)}
    open_rows = {
        (w.account_id, w.code): w
        for w in EarlyWarning.objects.select_for_update().filter(cleared_on__isnull=True)
        .select_related("account")
    }
    created = EarlyWarning.objects.bulk_create(
        [
            EarlyWarning(account_id=r.account_id, code=r.code, crossed_on=today, line_on=r.line_on,
                         days_left=r.days_left, judged_days=r.judged_days)
            for key, r in at_risk.items() if key not in open_rows
        ],
        ignore_conflicts=True,  # a concurrent run opened it: one open row per account × code
    )
    in_review = set(review_scope().filter(pk__in={k[0] for k in open_rows}).values_list("pk", flat=True))
    cleared = [
        w.pk for key, w in open_rows.items()
        if key not in at_risk
        and (w.account_id not in in_review or not _still_past_line(w.account, w.code, today, rules))
    ]
    EarlyWarning.objects.filter(pk__in=cleared).update(cleared_on=today)
    logger.info("event=warnings_recorded opened=%s cleared=%s", len(created), len(cleared))
    return {"opened": len(created), "cleared": len(cleared)}


def warnings_of(account: Account, *, before: datetime.date | None = None) -> QuerySet[EarlyWarning]:
    """An account's warnings (newest first), those given on or before ``before`` if set —
    the inspection sheet shows them as "warned on …"."""
    qs = EarlyWarning.objects.filter(account=account)
    if before is not None:
        qs = qs.filter(crossed_on__lte=before)
    return qs.order_by("-crossed_on", "-pk")


def unnotified_warnings() -> QuerySet[EarlyWarning]:
    return (
        EarlyWarning.objects.filter(cleared_on__isnull=True, notified_at__isnull=True)
        .select_related("account", "account__unit").order_by("account__unit_id", "pk")
    )
