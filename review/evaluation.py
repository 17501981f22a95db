"""Periodic review: reads only — selectors (rule sets, review, zombie and low-reach lists).
Commands, the API and campaign views call these; the scoring rules themselves are pure
functions in review/scoring.py. The metrics import is checked in review.metrics and
written by review.services.metrics_import.

Everything that walks all accounts is set-based: one ``values_list`` query streamed with
``iterator()``, findings prefetched in two queries, no per-account query and no save.
"""

from __future__ import annotations

import calendar
import datetime
import gc
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, TypedDict, Unpack

from django.db import connections
from django.db.models import Case, CharField, Count, F, Q, QuerySet, When
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy

from lifecycle.models import Account, AccountState, Unit
from review import scoring
from review.models import (
    Feedback,
    FeedbackKind,
    Finding,
    Indicator,
    IndicatorPart,
    Inspection,
    RuleSet,
)

# Accounts a review covers (DESIGN §8).
REVIEW_STATES = (AccountState.ACTIVE, AccountState.RECTIFYING)
# Keeps IN (...) lists well under SQLite's and PostgreSQL's parameter limits.
CHUNK = 500


class ReviewError(Exception):
    """Bad review input (no active rule set, ratio out of range): a clear message."""


ERR_NO_RULE_SET = gettext_lazy("没有启用的指标体系：请在管理后台启用一个指标体系。")
ERR_RATIO = gettext_lazy("抽查比例必须大于 0 且不超过 1（当前：{ratio}）。")


# -- rule sets ----------------------------------------------------------------------------


def active_rule_set() -> RuleSet:
    rule_set = RuleSet.objects.filter(active=True).first()
    if rule_set is None:
        raise ReviewError(str(ERR_NO_RULE_SET))
    return rule_set


def rules_from_rule_set(rule_set: RuleSet) -> scoring.Rules:
    """The pure scoring view of a rule set (one query for its indicators)."""
    indicators = list(
        Indicator.objects.filter(rule_set=rule_set)
        .order_by("part", "position", "code")
        .values_list("part", "code", "max_points", "params")
    )
    params = rule_set.params or {}
    low = params.get("low_reach") or {}
    veto_params = {code: p or {} for part, code, _m, p in indicators if part == IndicatorPart.VETO}
    return scoring.Rules(
        max_points={
            code: int(points) for part, code, points, _p in indicators if part == IndicatorPart.DEDUCTION
        },
        veto_codes=tuple(veto_params),
        no_update_days=int(veto_params.get(scoring.NO_UPDATE, {}).get("days", 14)),
        zombie_days=int(params.get("zombie_days", 90)),
        pass_mark=int(params.get("pass_mark", 60)),
        check_no_update=scoring.NO_UPDATE in veto_params,
        check_interaction=scoring.NO_INTERACTION in veto_params,
        low_reach_followers_below=int(low.get("followers_below", 100)),
        low_reach_posts_per_year_below=int(low.get("posts_per_year_below", 12)),
        low_reach_window_days=int(low.get("window_days", 365)),
        warn_no_update_days=_warn_days(veto_params.get(scoring.NO_UPDATE, {})),
    )


def _warn_days(params: dict[str, Any]) -> int | None:
    """The early-warning threshold of the update veto: its ``warn_days`` parameter (default
    10 for the 14-day rule — the vendors' "more than 10 days" — scaled for other windows;
    null or 0 switches warnings off)."""
    if "warn_days" not in params:
        return max(round(int(params.get("days", 14)) * 10 / 14), 1)
    value = params.get("warn_days")
    return int(value) if value else None


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (restored on exit, also after an error).

    For code that builds and drops large numbers of acyclic containers (the review's rows
    and items): reference counting frees them, while each collection triggered meanwhile
    would walk all of them again — about a third of a review of 100,000 accounts
    (bench/review.py). Free such objects inside the pause, not after it: leaving it with
    them alive lets the next allocation trigger a collection over all of them."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _chunks(items: list[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# -- review -------------------------------------------------------------------------------


def review_scope(*, unit: Unit | None = None) -> QuerySet[Account]:
    """Accounts a review covers: active or rectifying, in ``unit``'s subtree if given."""
    qs = Account.objects.filter(state__in=REVIEW_STATES)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    return qs


def manual_findings(
    *, as_of: datetime.date, unit: Unit | None = None
) -> dict[int, tuple[list[str], list[tuple[str, int]], dict[str, int]]]:
    """Per account: (manual veto codes, manual deductions, max points of their indicators)
    from its latest inspection on or before ``as_of`` — two queries for any number of
    accounts. Automatic findings are ignored: the review recomputes them for its date.
    Accounts are scoped by unit only (a join on the unit path); callers look their own
    accounts up — filtering by an account subquery costs more than it saves."""
    inspections = Inspection.objects.filter(as_of__lte=as_of)
    if unit is not None:
        inspections = inspections.filter(account__unit__path__startswith=unit.path)
    latest: dict[int, int] = {}
    for pk, account_id in (
        inspections.order_by("account_id", "as_of", "pk")
        .values_list("pk", "account_id")
        .iterator(chunk_size=5000)
    ):
        latest[account_id] = pk  # ordered ascending: the last one seen is the latest
    if not latest:
        return {}
    latest_ids = set(latest.values())
    findings = Finding.objects.filter(automatic=False, inspection__as_of__lte=as_of)
    if unit is not None:
        findings = findings.filter(inspection__account__unit__path__startswith=unit.path)
    out: dict[int, tuple[list[str], list[tuple[str, int]], dict[str, int]]] = {}
    for insp, account_id, code, part, max_points, points in (
        findings.order_by("inspection_id", "pk")
        .values_list(
            "inspection_id",
            "inspection__account_id",
            "indicator__code",
            "indicator__part",
            "indicator__max_points",
            "points",
        )
        .iterator(chunk_size=5000)
    ):
        if insp not in latest_ids:
            continue
        vetoes, deductions, caps = out.setdefault(account_id, ([], [], {}))
        if part == IndicatorPart.VETO:
            vetoes.append(code)
        else:
            deductions.append((code, points))
            caps[code] = max_points
    return out


class ReviewOptions(TypedDict, total=False):
    """review()'s and review_chunks()'s options besides the date."""

    unit: Unit | None  # only accounts in this unit's subtree
    ratio: float | None  # a stratified sample of this ratio (None: every account)
    seed: int  # the sample's seed (default 0)
    rule_set: RuleSet | None  # default: the active one
    progress: Callable[[int, int], None] | None  # told (done, total) between chunks


def review(*, as_of: datetime.date, **options: Unpack[ReviewOptions]) -> list[dict[str, Any]]:
    """Evaluate every account in scope (or a stratified sample of them) on ``as_of``; items
    have exactly the DESIGN §8 JSON shape, ordered by unit code, account name and id.
    Their ``vetoes`` and ``deductions`` are tuples, shared by accounts judged alike."""
    items: list[dict[str, Any]] = []
    with gc_paused():  # the rows and items hold no cycles
        for chunk in review_chunks(as_of=as_of, **options):
            items += chunk
    return items


# Items per chunk of review_chunks: the JSON output is written chunk by chunk.
REVIEW_CHUNK = 5000


def review_chunks(
    *, as_of: datetime.date, **options: Unpack[ReviewOptions]
) -> Iterator[list[dict[str, Any]]]:
    """review()'s items in order, in lists of up to REVIEW_CHUNK, each built when asked for
    (so a writer can encode and free one before the next is built). Checks the ratio and
    the rule set before the first chunk. Callers iterating over a whole province should
    pause the cyclic GC meanwhile (gc_paused): the rows and items hold no cycles."""
    ratio = options.get("ratio")
    if ratio is not None:
        try:
            ratio = scoring.check_ratio(ratio)
        except ValueError as exc:
            raise ReviewError(str(ERR_RATIO).format(ratio=ratio)) from exc
    rules = rules_from_rule_set(options.get("rule_set") or active_rule_set())
    return _review_chunks(
        as_of=as_of, unit=options.get("unit"), ratio=ratio, seed=options.get("seed", 0),
        rules=rules, progress=options.get("progress"),
    )


def _review_chunks(
    *,
    as_of: datetime.date,
    unit: Unit | None,
    ratio: float | None,
    seed: int,
    rules: scoring.Rules,
    progress: Callable[[int, int], None] | None,
) -> Iterator[list[dict[str, Any]]]:
    query = _review_rows(review_scope(unit=unit))
    sql, params = query.query.sql_with_params()
    manual = manual_findings(as_of=as_of, unit=unit)
    with connections[query.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if ratio is not None:
        strata: dict[str, list[int]] = defaultdict(list)
        for row in rows:
            strata[row[4]].append(row[0])
        picks = scoring.stratified_sample(strata, ratio=ratio, seed=seed)
        chosen = {pk for sample in picks.values() for pk in sample}
        rows = [row for row in rows if row[0] in chosen]
    evaluate = _Evaluator(as_of=as_of, rules=rules, manual=manual)
    total = len(rows)
    for start in range(0, total, REVIEW_CHUNK):
        if start and progress is not None:
            progress(start, total)
        yield evaluate(rows[start : start + REVIEW_CHUNK])
    if progress is not None:
        progress(total, total)


def _review_rows(accounts: QuerySet[Account]) -> QuerySet[Any, Any]:
    """The review's rows: (pk, name, platform, platform_id, unit code, last post date,
    go-live date when it counts, interaction), ordered by unit code, name and id — the
    database sorts faster than Python.

    Speed (bench/review.py): the rows are read straight from the cursor — Django's per-row
    converters would cost more than the query itself for 100,000 accounts. The dates are
    cast to ISO text so SQLite's declared-type converter stays out too. The go-live date is
    only selected when the fair window applies (opened after the last post, or no post
    known), NULL otherwise: then an account's automatic verdict depends on the last three
    columns alone, and accounts judged alike share one dictionary lookup."""
    return (
        accounts.order_by("unit__code", "name", "pk")
        .annotate(
            _last=Cast("last_post_on", output_field=CharField()),
            _fair=Case(
                When(
                    Q(last_post_on__isnull=True) | Q(opened_on__gt=F("last_post_on")),
                    then=Cast("opened_on", output_field=CharField()),
                ),
                default=None,
                output_field=CharField(),
            ),
        )
        .values_list(
            "pk", "name", "platform", "platform_id", "unit__code", "_last", "_fair",
            "interaction_enabled",
        )
    )


class _Evaluator:
    """Turns review rows into items. An account without manual findings is judged by (last
    post, fair go-live date, interaction) — its row's last three columns — alone: each row
    costs one lookup of that triple, each verdict is evaluated once per distinct (days,
    judged days, interaction), and its item copied; the lists in it are tuples, so the
    copies can share them."""

    def __init__(
        self,
        *,
        as_of: datetime.date,
        rules: scoring.Rules,
        manual: dict[int, tuple[list[str], list[tuple[str, int]], dict[str, int]]],
    ) -> None:
        self.as_of, self.rules, self.manual = as_of, rules, manual
        self.by_dates: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.verdicts: dict[tuple[int | None, int | None, bool], dict[str, Any]] = {}

    def __call__(self, rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        append = items.append
        manual_get = self.manual.get
        by_dates = self.by_dates
        by_dates_get = by_dates.get
        for pk, name, platform, platform_id, unit_code, last, fair, interaction in rows:
            key = (last, fair, interaction)
            found = manual_get(pk)
            if found is None:
                template = by_dates_get(key)
                if template is None:
                    template = by_dates[key] = self.template(key)
                item = template.copy()
            else:
                item = _manual_item(found, key, as_of=self.as_of, rules=self.rules)
            item["account"] = {
                "name": name,
                "platform": platform,
                "platform_id": platform_id,
                "unit_code": unit_code,
            }
            append(item)
        return items

    def template(self, key: tuple[Any, ...]) -> dict[str, Any]:
        last, fair, interaction = key
        last_on, fair_on = _as_date(last), _as_date(fair)
        days = scoring.days_since(self.as_of, last_on)
        judged = scoring.judged_days(self.as_of, last_on, fair_on)
        verdict = (days, judged, bool(interaction))
        if verdict not in self.verdicts:
            self.verdicts[verdict] = _item(
                scoring.evaluate(
                    as_of=self.as_of,
                    last_post_on=last_on,
                    opened_on=fair_on,
                    interaction_enabled=bool(interaction),
                    rules=self.rules,
                )
            )
        return self.verdicts[verdict]


def _manual_item(
    found: tuple[list[str], list[tuple[str, int]], dict[str, int]],
    key: tuple[Any, ...],
    *,
    as_of: datetime.date,
    rules: scoring.Rules,
) -> dict[str, Any]:
    """The item of an account with manual findings (its latest inspection's)."""
    manual_vetoes, deductions, caps = found
    last, fair, interaction = key
    if caps and not caps.keys() <= rules.max_points.keys():
        # Findings recorded under an older rule set keep that set's caps.
        rules = replace(rules, max_points={**caps, **rules.max_points})
    return _item(
        scoring.evaluate(
            as_of=as_of,
            last_post_on=_as_date(last),
            opened_on=_as_date(fair),
            interaction_enabled=bool(interaction),
            manual_vetoes=manual_vetoes,
            deductions=deductions,
            rules=rules,
        )
    )


def _item(result: scoring.Evaluation) -> dict[str, Any]:
    """A review item without its account (first key, filled in by the caller): the DESIGN
    §8 shape, vetoes and deductions as tuples (JSON arrays)."""
    return {
        "account": None,
        "vetoes": result.vetoes,
        "deductions": tuple({"code": code, "points": points} for code, points in result.deductions),
        "score": result.score,
        "verdict": result.verdict,
        "zombie": result.zombie,
        "days_since_last_post": result.days_since_last_post,
    }


def _as_date(value: Any) -> datetime.date | None:
    """A raw DATE column value (date object or ISO text, depending on the backend)."""
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value)[:10])


# -- public feedback in reviews -------------------------------------------------------------

# The deduction indicator under which a campaign shows an account's public feedback as
# evidence (an automatic finding with 0 points: the inspector decides whether to deduct).
# Rule sets may name another one in params["feedback_indicator"]. 纠错 (the "啄木鸟"
# error reports of BRIEF §1) mostly point at wrong or mistyped content.
DEFAULT_FEEDBACK_INDICATOR = "TYPOS_SENSITIVE"


def feedback_indicator_code(rule_set: RuleSet) -> str:
    return str((rule_set.params or {}).get("feedback_indicator") or DEFAULT_FEEDBACK_INDICATOR)


def period_bounds(period: str) -> tuple[datetime.date, datetime.date] | None:
    """First and last day of a campaign period: 2026, 2026H1, 2026Q4, 2026M06."""
    match = re.fullmatch(r"(\d{4})(?:([HQM])(\d{1,2}))?", (period or "").strip().upper())
    if match is None:
        return None
    year = int(match.group(1))
    part, n = match.group(2), int(match.group(3) or 0)
    months = {None: (1, 12), "H": (6 * n - 5, 6 * n), "Q": (3 * n - 2, 3 * n), "M": (n, n)}[part]
    if not (1 <= months[0] <= months[1] <= 12):
        return None
    last = calendar.monthrange(year, months[1])[1]
    return datetime.date(year, months[0], 1), datetime.date(year, months[1], last)


def feedback_evidence(
    *, account_ids: Iterable[int], start: datetime.date, end: datetime.date
) -> dict[int, tuple[int, int]]:
    """Per account: (error reports received in [start, end] and still unhandled, complaints
    received in [start, end]) — one grouped query; accounts with neither are left out."""
    ids = list(account_ids)
    if not ids or start > end:
        return {}
    out: dict[int, tuple[int, int]] = {}
    for chunk in _chunks(ids):
        rows = (
            Feedback.objects.filter(
                account_id__in=chunk, created__date__gte=start, created__date__lte=end
            )
            .filter(
                Q(kind=FeedbackKind.ERROR_REPORT, handled_at__isnull=True)
                | Q(kind=FeedbackKind.COMPLAINT)
            )
            .values("account_id")
            .annotate(
                errors=Count("pk", filter=Q(kind=FeedbackKind.ERROR_REPORT)),
                complaints=Count("pk", filter=Q(kind=FeedbackKind.COMPLAINT)),
            )
            .values_list("account_id", "errors", "complaints")
        )
        out.update({pk: (errors, complaints) for pk, errors, complaints in rows})
    return out


# -- zombie and low-reach lists -----------------------------------------------------------


LIST_COLUMNS = [
    "unit_code",
    "unit_name",
    "name",
    "platform",
    "platform_id",
    "state",
    "followers",
    "posts_total",
    "opened_on",
    "last_post_on",
    "days_since_last_post",
    "posts_per_year",
    "zombie",
    "low_reach",
]


def zombie_accounts(
    *, as_of: datetime.date, unit: Unit | None = None, rules: scoring.Rules | None = None
) -> QuerySet[Account]:
    """Accounts (active or rectifying) with no post for more than ``zombie_days`` before
    ``as_of``, or no known post at all (僵尸号), in ``unit``'s subtree if given — and live
    for more than ``zombie_days`` (fair window: a new account is judged from going live)."""
    rules = rules or rules_from_rule_set(active_rule_set())
    cutoff = as_of - datetime.timedelta(days=rules.zombie_days)
    return (
        review_scope(unit=unit)
        .filter(Q(last_post_on__lt=cutoff) | Q(last_post_on__isnull=True))
        # Fair window: not a zombie before zombie_days have passed since it went live.
        .filter(Q(opened_on__lt=cutoff) | Q(opened_on__isnull=True))
        .select_related("unit")
        .order_by("unit__path", "name", "pk")
    )


def low_reach_accounts(
    *, as_of: datetime.date, unit: Unit | None = None, rules: scoring.Rules | None = None
) -> list[Account]:
    """Accounts with few followers and few posts per year (rule-set ``low_reach``)."""
    rules = rules or rules_from_rule_set(active_rule_set())
    candidates = (
        review_scope(unit=unit)
        .filter(followers__lt=rules.low_reach_followers_below)
        .select_related("unit")
        .order_by("unit__path", "name", "pk")
    )
    return [
        a
        for a in candidates
        if scoring.is_low_reach(
            followers=a.followers,
            posts_total=a.posts_total,
            opened_on=a.opened_on,
            as_of=as_of,
            rules=rules,
        )
    ]


def attention_list_rows(
    *,
    as_of: datetime.date,
    unit: Unit | None = None,
    only: str | None = None,
) -> list[list[Any]]:
    """Rows (LIST_COLUMNS) of the zombie and/or low-reach lists, one row per account with
    both flags, for export. ``only`` is None, "zombie" or "low_reach"."""
    rules = rules_from_rule_set(active_rule_set())
    by_pk: dict[int, Account] = {}
    zombies: set[int] = set()
    low: set[int] = set()
    if only in (None, "zombie"):
        for a in zombie_accounts(as_of=as_of, unit=unit, rules=rules):
            by_pk[a.pk] = a
            zombies.add(a.pk)
    if only in (None, "low_reach"):
        for a in low_reach_accounts(as_of=as_of, unit=unit, rules=rules):
            by_pk.setdefault(a.pk, a)
            low.add(a.pk)
    out = []
    for a in sorted(by_pk.values(), key=lambda a: (a.unit.path, a.name, a.pk)):
        rate = scoring.posts_per_year(posts_total=a.posts_total, opened_on=a.opened_on, as_of=as_of)
        out.append(
            [
                a.unit.code,
                a.unit.name,
                a.name,
                a.platform,
                a.platform_id,
                a.state,
                a.followers,
                a.posts_total,
                a.opened_on,
                a.last_post_on,
                scoring.days_since(as_of, a.last_post_on),
                None if rate is None else round(rate, 1),
                a.pk in zombies
                or scoring.is_zombie(
                    scoring.judged_days(as_of, a.last_post_on, a.opened_on), limit=rules.zombie_days
                ),
                a.pk in low
                or scoring.is_low_reach(
                    followers=a.followers,
                    posts_total=a.posts_total,
                    opened_on=a.opened_on,
                    as_of=as_of,
                    rules=rules,
                ),
            ]
        )
    return out


REVIEW_CSV_COLUMNS = [
    "unit_code",
    "name",
    "platform",
    "platform_id",
    "vetoes",
    "deductions",
    "score",
    "verdict",
    "zombie",
    "days_since_last_post",
]


def review_csv_rows(items: Iterable[dict[str, Any]]) -> Iterator[list[Any]]:
    """Review items flattened for CSV: vetoes ``;``-joined, deductions as ``code:points``."""
    for item in items:
        acc = item["account"]
        yield [
            acc["unit_code"],
            acc["name"],
            acc["platform"],
            acc["platform_id"],
            ";".join(item["vetoes"]),
            ";".join(f"{d['code']}:{d['points']}" for d in item["deductions"]),
            item["score"],
            item["verdict"],
            item["zombie"],
            item["days_since_last_post"],
        ]
