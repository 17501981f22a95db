"""The scoring engine: pure functions, no ORM (国办秘函〔2019〕19号 as summarised in BRIEF §2).

- any veto (单项否决) → fail, nothing else is scored (score None, no deductions);
- otherwise score = 100 − Σ deductions, each indicator's deduction capped at its max points;
- score below the pass mark (default 60) → fail.

Automatic checks (DESIGN §8): ``days_since_last_post`` = as-of − last post date (None when
unknown); ``NO_UPDATE_14D`` when it is more than 14 (the indicator's ``days`` parameter) or
None; zombie when more than 90 (the rule set's ``zombie_days``) or None; ``NO_INTERACTION``
when the account offers no interaction function.

Fair windows (docs/review.md): an account is never blamed for time before it went live. The
update checks count from the later of its last post and its go-live date (``judged_days``):
an account opened 5 days ago without a post is neither ``NO_UPDATE_14D`` nor a zombie until
the window has passed since it went live; it is not low-reach before ``low_reach_window_days``
(default 365, the posts-per-year window). ``days_since_last_post`` itself stays as DESIGN §8
defines it (null when no post is known).

Also here: the stratified, seeded sampling shared by ``review --sample`` and campaigns.
"""

from __future__ import annotations

import datetime
import math
import random
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

NO_UPDATE = "NO_UPDATE_14D"
NO_INTERACTION = "NO_INTERACTION"
VETO_CODES = (
    NO_UPDATE,
    NO_INTERACTION,
    "SERIOUS_ERROR",
    "SECRET_LEAK",
    "HARMFUL_CONTENT",
    "BOUGHT_FOLLOWERS",
    "FORCED_LIKES",
)
FULL_MARKS = 100
PASS = "pass"
FAIL = "fail"


@dataclass(frozen=True)
class Rules:
    """What scoring needs from a RuleSet (review.evaluation.rules_from_rule_set builds it)."""

    # Deduction indicator code → max points.
    max_points: Mapping[str, int] = field(default_factory=dict)
    # Veto codes in the rule set, in display order (automatic and manual).
    veto_codes: Sequence[str] = VETO_CODES
    no_update_days: int = 14
    zombie_days: int = 90
    pass_mark: int = 60
    # False disables an automatic check (its indicator was removed from the rule set).
    check_no_update: bool = True
    check_interaction: bool = True
    low_reach_followers_below: int = 100
    low_reach_posts_per_year_below: int = 12
    # An account younger than this is not judged low-reach yet (fair window, item 2).
    low_reach_window_days: int = 365
    # Early warnings (预警) before the veto: warn when judged days exceed this (None: off).
    warn_no_update_days: int | None = 10


@dataclass(frozen=True)
class Evaluation:
    vetoes: tuple[str, ...]
    deductions: tuple[tuple[str, int], ...]  # (code, capped points), points > 0 only
    score: int | None
    verdict: str
    zombie: bool
    days_since_last_post: int | None

    def as_dict(self) -> dict:
        return {
            "vetoes": list(self.vetoes),
            "deductions": [{"code": c, "points": p} for c, p in self.deductions],
            "score": self.score,
            "verdict": self.verdict,
            "zombie": self.zombie,
            "days_since_last_post": self.days_since_last_post,
        }


def days_since(as_of: datetime.date, last_post_on: datetime.date | None) -> int | None:
    """Days from the last post to the as-of date; None when no post is known."""
    if last_post_on is None:
        return None
    return (as_of - last_post_on).days


def judged_days(
    as_of: datetime.date, last_post_on: datetime.date | None, opened_on: datetime.date | None
) -> int | None:
    """The days the update rules judge: since the last post, but never counting days before
    the account went live (fair window). None only when neither date is known."""
    days = days_since(as_of, last_post_on)
    if opened_on is None:
        return days
    live = (as_of - opened_on).days
    if days is None or live < days:
        return max(live, 0)
    return days


def no_update(days: int | None, *, limit: int = 14) -> bool:
    return days is None or days > limit


def is_zombie(days: int | None, *, limit: int = 90) -> bool:
    return days is None or days > limit


def automatic_vetoes(
    *, days_since_last_post: int | None, interaction_enabled: bool, rules: Rules = Rules()
) -> list[str]:
    vetoes = []
    if rules.check_no_update and no_update(days_since_last_post, limit=rules.no_update_days):
        vetoes.append(NO_UPDATE)
    if rules.check_interaction and not interaction_enabled:
        vetoes.append(NO_INTERACTION)
    return vetoes


def capped_deductions(
    deductions: Mapping[str, int] | Iterable[tuple[str, int]], max_points: Mapping[str, int]
) -> list[tuple[str, int]]:
    """Sum the points per indicator, cap each at its max; unknown codes and zero/negative
    totals are dropped. Order: the order the codes first appear."""
    items = deductions.items() if isinstance(deductions, Mapping) else deductions
    totals: dict[str, int] = {}
    for code, points in items:
        if code in max_points:
            totals[code] = totals.get(code, 0) + max(int(points), 0)
    capped = [(code, min(total, max_points[code])) for code, total in totals.items()]
    return [(code, points) for code, points in capped if points > 0]


def score_of(
    *, vetoes: Iterable[str], deductions: Iterable[tuple[str, int]], pass_mark: int = 60
) -> tuple[int | None, str]:
    """(score, verdict) from vetoes and already-capped deductions."""
    if any(True for _ in vetoes):
        return None, FAIL
    score = max(FULL_MARKS - sum(points for _code, points in deductions), 0)
    return score, (FAIL if score < pass_mark else PASS)


def evaluate(
    *,
    as_of: datetime.date,
    last_post_on: datetime.date | None,
    interaction_enabled: bool,
    manual_vetoes: Iterable[str] = (),
    deductions: Mapping[str, int] | Iterable[tuple[str, int]] = (),
    rules: Rules = Rules(),
    opened_on: datetime.date | None = None,
) -> Evaluation:
    """The whole verdict for one account on one date (the update checks from the go-live
    date when the account is younger than the window)."""
    days = days_since(as_of, last_post_on)
    judged = judged_days(as_of, last_post_on, opened_on)
    found = set(
        automatic_vetoes(
            days_since_last_post=judged, interaction_enabled=interaction_enabled, rules=rules
        )
    )
    found.update(manual_vetoes)
    order = {code: i for i, code in enumerate(rules.veto_codes)}
    vetoes = tuple(sorted(found, key=lambda c: (order.get(c, len(order)), c)))
    capped = () if vetoes else tuple(capped_deductions(deductions, rules.max_points))
    score, verdict = score_of(vetoes=vetoes, deductions=capped, pass_mark=rules.pass_mark)
    return Evaluation(
        vetoes=vetoes,
        deductions=capped,
        score=score,
        verdict=verdict,
        zombie=is_zombie(judged, limit=rules.zombie_days),
        days_since_last_post=days,
    )


def posts_per_year(
    *, posts_total: int | None, opened_on: datetime.date | None, as_of: datetime.date
) -> float | None:
    """Average posts per year since opening; an account younger than a year (or with an
    unknown opening date) counts its total as one year's output."""
    if posts_total is None:
        return None
    years = 1.0
    if opened_on is not None:
        years = max((as_of - opened_on).days / 365.25, 1.0)
    return posts_total / years


def is_low_reach(
    *,
    followers: int | None,
    posts_total: int | None,
    opened_on: datetime.date | None,
    as_of: datetime.date,
    rules: Rules = Rules(),
) -> bool:
    """Few followers and few posts (the 浦口疾控 pattern: 20 followers, 29 posts in 3 years).
    Unknown figures never make an account low-reach on their own; an account live for less
    than ``low_reach_window_days`` is not judged yet (fair window)."""
    if opened_on is not None and (as_of - opened_on).days < rules.low_reach_window_days:
        return False
    if followers is None or followers >= rules.low_reach_followers_below:
        return False
    rate = posts_per_year(posts_total=posts_total, opened_on=opened_on, as_of=as_of)
    return rate is not None and rate < rules.low_reach_posts_per_year_below


# -- sampling -----------------------------------------------------------------------------

T = TypeVar("T", bound=Hashable)


def check_ratio(ratio: float) -> float:
    """Raise ValueError unless 0 < ratio ≤ 1."""
    try:
        value = float(ratio)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"ratio must be a number in (0, 1], got {ratio!r}") from exc
    if not (0 < value <= 1) or math.isnan(value):
        raise ValueError(f"ratio must be in (0, 1], got {ratio!r}")
    return value


def stratified_sample(
    strata: Mapping[str, Sequence[T]], *, ratio: float, seed: int
) -> dict[str, list[T]]:
    """Sample ``ratio`` of all items, allocated to strata (units) in proportion to their
    size by largest remainder, so the total is ceil(ratio × N) and every stratum gets its
    share. Reproducible: the same strata, ratio and seed always give the same sample, and
    each stratum's draw depends only on its own key, items and size (adding accounts to
    one unit does not reshuffle another unit's picks unless its quota changes).
    """
    ratio = check_ratio(ratio)
    keys = sorted(strata)
    sizes = {k: len(strata[k]) for k in keys}
    total = sum(sizes.values())
    if total == 0:
        return {}
    want = min(math.ceil(ratio * total - 1e-9), total)
    exact = {k: ratio * sizes[k] for k in keys}
    quota = {k: min(math.floor(exact[k] + 1e-9), sizes[k]) for k in keys}
    left = want - sum(quota.values())
    if left > 0:
        tie = random.Random(f"govmedia-sample:{seed}:ties")
        order = sorted(
            (k for k in keys if quota[k] < sizes[k]),
            key=lambda k: (-(exact[k] - quota[k]), tie.random()),
        )
        for k in order[:left]:
            quota[k] += 1
    picked: dict[str, list[T]] = {}
    for k in keys:
        if quota[k] <= 0:
            continue
        items = sorted(strata[k])  # type: ignore[type-var]
        rng = random.Random(f"govmedia-sample:{seed}:{k}")
        picked[k] = sorted(rng.sample(items, quota[k]))  # type: ignore[type-var]
    return picked
