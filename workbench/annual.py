"""Annual statistics (年度统计, issue 14 item 7; docs/review.md) of a unit's subtree for one
year — ready for the annual report due by 31 January (国办函〔2018〕12号: 政府网站工作年度报表
including 移动新媒体). The official template's fields were not available: the columns are our
own, named clearly, and ``COLUMNS`` below is the one table that says what each one counts.

Every figure is one aggregate query (or a small grouped one) over the subtree — no query per
account.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from approvals.models import Filing
from lifecycle.models import Account, AccountState, AccountTransition, Platform, Unit
from review.models import Feedback, FeedbackKind, Inspection, Verdict


@dataclass(frozen=True)
class Column:
    code: str
    section: Any
    label: Any
    counts: str  # what the figure counts (the mapping; shown on the page and in the XLSX)


# The mapping: code → section, label, what it counts. Per-platform / per-state / per-veto rows
# are added after these with codes `accounts.<platform>.<state>` (COUNTS_BY_PLATFORM) and
# `vetoes.<code>` (COUNTS_VETO).
COLUMNS = [
    Column("accounts.total", _("账号"), _("账号总数（年末）"),
           "Account in the subtree that existed on 31 Dec (created or opened by then), any state"),
    Column("accounts.live", _("账号"), _("运行中账号数（年末）"),
           "… state on 31 Dec (from the transition history) active or rectifying"),
    Column("opened", _("开设、变更、关停"), _("本年开设"), "Account.opened_on in the year"),
    Column("changed", _("开设、变更、关停"), _("本年变更"), "AccountTransition 'change' in the year"),
    Column("closed", _("开设、变更、关停"), _("本年关停注销"), "state closed, closed_on in the year"),
    Column("merged", _("开设、变更、关停"), _("本年整合"), "state merged, closed_on in the year"),
    Column("inspections", _("检查"), _("检查账号次数"), "Inspection with a verdict, as_of in the year"),
    Column("inspections.passed", _("检查"), _("检查合格"), "… verdict pass"),
    Column("inspections.pass_rate", _("检查"), _("合格率（%）"), "passed / inspections × 100"),
    Column("rectifications.ordered", _("整改"), _("下发整改"),
           "AccountTransition 'order_rectification' in the year"),
    Column("rectifications.on_time", _("整改"), _("整改按期办结（复核通过）"),
           "'pass_recheck' in the year (a late report is escalated, so a pass is on time)"),
    Column("rectifications.failed", _("整改"), _("整改未通过（转强制关停）"), "'fail_recheck' in the year"),
    Column("feedback.received", _("公众反馈"), _("收到纠错、评价"), "Feedback created in the year"),
    Column("feedback.error_reports", _("公众反馈"), _("其中纠错"), "… kind error_report"),
    Column("feedback.handled", _("公众反馈"), _("纠错已处理"), "… error reports with handled_at"),
    Column("filings.due", _("备案"), _("应备案（期限在本年）"), "Filing with due_on in the year"),
    Column("filings.on_time", _("备案"), _("按期备案"), "… filed_on ≤ due_on"),
    Column("filings.late", _("备案"), _("逾期备案"), "… filed_on > due_on"),
    Column("filings.missing", _("备案"), _("逾期未备案"), "… not filed and due before the report day"),
]
SECTION_ACCOUNTS = _("账号（按平台、年末状态）")
COUNTS_BY_PLATFORM = "Account by platform and its state on 31 Dec (see year_end_states)"
COUNTS_VETO = "Inspection.vetoes in the year containing the code"
SECTION_VETOES = _("否决项（按代码）")


@dataclass(frozen=True)
class Row:
    code: str
    section: Any
    label: Any
    value: Any
    counts: str


def year_end_states(accounts: QuerySet[Account], *, end: datetime.date) -> Counter[tuple[str, str]]:
    """(platform, state) → accounts, with each account's state at the end of ``end`` (local
    time) taken from its transition history (AccountTransition, append-only):
    - the to_state of its last transition on or before that day;
    - else, if it has later transitions only, the from_state of the first of them — an import
      (from_state empty: a pre-existing account entered the register as active) counts as
      active;
    - else (no transitions at all: rows written directly) its current state.
    An account that did not exist by then — created after the day and not opened by it — is
    left out. One query: two correlated subqueries on the (account, at) index, grouped."""
    history = AccountTransition.objects.filter(account=OuterRef("pk")).order_by()
    last_to = history.filter(at__date__lte=end).order_by("-at", "-pk").values("to_state")[:1]
    next_from = history.filter(at__date__gt=end).order_by("at", "pk").values("from_state")[:1]
    existed = Q(created__date__lte=end) | Q(opened_on__lte=end)
    grouped = (
        accounts.order_by()
        .annotate(last_to=Subquery(last_to), next_from=Subquery(next_from))
        .values("platform", "state", "last_to", "next_from")
        .annotate(n=Count("pk"), existed=Count("pk", filter=existed))
        .values_list("platform", "state", "last_to", "next_from", "n", "existed")
    )
    counts: Counter[tuple[str, str]] = Counter()
    for platform, state, last, following, n, existed_n in grouped:
        if last:
            counts[(platform, last)] += n
        elif following is None:
            if existed_n:
                counts[(platform, state)] += existed_n
        elif existed_n:
            counts[(platform, following or AccountState.ACTIVE)] += existed_n
    return counts


def annual_statistics(*, unit: Unit, year: int, today: datetime.date) -> list[Row]:
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    accounts = Account.objects.filter(unit__path__startswith=unit.path).order_by()
    in_year = Q(closed_on__gte=start, closed_on__lte=end)
    states_at_end = year_end_states(accounts, end=end)
    figures: dict[str, Any] = accounts.aggregate(
        opened=Count("pk", filter=Q(opened_on__gte=start, opened_on__lte=end)),
        closed=Count("pk", filter=in_year & Q(state=AccountState.CLOSED)),
        merged=Count("pk", filter=in_year & Q(state=AccountState.MERGED)),
    )
    moves = dict(
        AccountTransition.objects.filter(
            account__unit__path__startswith=unit.path, at__date__gte=start, at__date__lte=end,
            name__in=("change", "order_rectification", "pass_recheck", "fail_recheck"),
        ).order_by().values("name").annotate(n=Count("pk")).values_list("name", "n")
    )
    inspections = Inspection.objects.filter(
        account__unit__path__startswith=unit.path, as_of__gte=start, as_of__lte=end,
    ).exclude(verdict="")
    checked = inspections.aggregate(n=Count("pk"), passed=Count("pk", filter=Q(verdict=Verdict.PASS)))
    vetoes: Counter = Counter()
    for codes in inspections.values_list("vetoes", flat=True).iterator(chunk_size=2000):
        vetoes.update(codes or [])
    feedback = Feedback.objects.filter(
        account__unit__path__startswith=unit.path, created__date__gte=start, created__date__lte=end,
    ).aggregate(
        received=Count("pk"),
        errors=Count("pk", filter=Q(kind=FeedbackKind.ERROR_REPORT)),
        handled=Count("pk", filter=Q(kind=FeedbackKind.ERROR_REPORT, handled_at__isnull=False)),
    )
    filings = Filing.objects.filter(
        account__unit__path__startswith=unit.path, due_on__gte=start, due_on__lte=end,
    ).aggregate(
        due=Count("pk"),
        on_time=Count("pk", filter=Q(filed_on__isnull=False, filed_on__lte=F("due_on"))),
        late=Count("pk", filter=Q(filed_on__isnull=False, filed_on__gt=F("due_on"))),
        missing=Count("pk", filter=Q(filed_on__isnull=True, due_on__lt=today)),
    )
    passed, total = checked["passed"], checked["n"]
    values = {
        "accounts.total": sum(states_at_end.values()),
        "accounts.live": sum(n for (_p, state), n in states_at_end.items()
                             if state in (AccountState.ACTIVE, AccountState.RECTIFYING)),
        "opened": figures["opened"], "changed": moves.get("change", 0),
        "closed": figures["closed"], "merged": figures["merged"],
        "inspections": total, "inspections.passed": passed,
        "inspections.pass_rate": round(passed * 100 / total, 1) if total else None,
        "rectifications.ordered": moves.get("order_rectification", 0),
        "rectifications.on_time": moves.get("pass_recheck", 0),
        "rectifications.failed": moves.get("fail_recheck", 0),
        "feedback.received": feedback["received"], "feedback.error_reports": feedback["errors"],
        "feedback.handled": feedback["handled"],
        "filings.due": filings["due"], "filings.on_time": filings["on_time"],
        "filings.late": filings["late"], "filings.missing": filings["missing"],
    }
    rows = [Row(c.code, c.section, c.label, values[c.code], c.counts) for c in COLUMNS]
    platforms = dict(Platform.choices)
    states = dict(AccountState.choices)
    for (platform, state), n in sorted(states_at_end.items()):
        rows.append(Row(f"accounts.{platform}.{state}", SECTION_ACCOUNTS,
                        f"{platforms.get(platform, platform)} · {states.get(state, state)}", n,
                        COUNTS_BY_PLATFORM))
    for code, n in sorted(vetoes.items()):
        rows.append(Row(f"vetoes.{code}", SECTION_VETOES, code, n, COUNTS_VETO))
    return rows


EXPORT_HEADER = ["code", "section", "label", "value", "counts"]


def export_rows(rows: list[Row]) -> list[list[Any]]:
    return [[r.code, str(r.section), str(r.label), r.value, r.counts] for r in rows]
