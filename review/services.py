"""The only writers of review data (one function per state change; admin actions, the API,
commands and the approvals flows call these): citizens' feedback (纠错, 好评/差评) and the
owning unit marking an error report handled (with its audit row), the metrics import
(snapshots and, through lifecycle, the accounts' latest figures), rule-set activation and
the campaign state."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lifecycle.models import Account, AccountState, AccountTransition, Role, Unit
from lifecycle.selectors import sees_everything, user_units
from lifecycle.services import ACTION_LABELS, AccountMetrics, account_set_metrics
from lifecycle.types import User
from review.content import Matcher, link_hits
from review.metrics import CHUNK, MetricRow, metrics_check
from review.metrics import MetricsImportError as MetricsImportError  # callers import it here
from review.models import (
    Campaign,
    CampaignState,
    ContentFinding,
    Dictionary,
    DictionaryEntry,
    DictionaryKind,
    Feedback,
    FeedbackKind,
    Indicator,
    MetricSnapshot,
    Post,
    RuleSet,
)
from review.posts import PostsImportError as PostsImportError  # callers import it here
from review.posts import gov_suffixes, posts_check
from review.posts import matcher as content_matcher

# Rule sets and campaigns have no audit table: their changes are logged here, with the actor,
# after commit (the log pipeline keeps govmedia.* lines; see LOGGING in config/settings).
audit_log = logging.getLogger("govmedia.audit")

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


def feedback_may_handle(*, feedback: Feedback, actor: User) -> bool:
    """An error report is handled by the staff of the account's owning unit (the unit
    itself, not its supervisors: they see the report, the unit answers it)."""
    if sees_everything(actor):
        return True
    units = user_units(actor, roles=FEEDBACK_HANDLER_ROLES)
    return feedback.account.unit_id in {u.pk for u in units}


@transaction.atomic
def feedback_handle(*, feedback: Feedback, actor: User, note: str) -> Feedback:
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


# -- metrics import -------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricsImportResult:
    rows: int
    created: int
    updated: int
    accounts_updated: int


@transaction.atomic
def metrics_import(
    *,
    rows: list[tuple[int, dict[str, str]]],
    scope: QuerySet[Account] | None = None,
    today: datetime.date | None = None,
    actor: User | None = None,
    source: str = "",
) -> MetricsImportResult:
    """Import monitoring rows (DESIGN §4, §8): the only writer of MetricSnapshot and, through
    lifecycle.services.account_set_metrics, of the accounts' latest figures.

    Check: every row is checked first (review.metrics.metrics_check) and every bad row
    reported (MetricsImportError, nothing written). Lock: the named accounts, in pk order,
    so that two imports naming one account run one after the other and the second sees the
    first one's snapshots. Change: every row is a new MetricSnapshot (append-only, issue 12
    item 3: a second row for an account and as-of date is a correction — counted as
    ``updated`` — and, having the higher id, the current figures of that day; the earlier
    row stays as history with its writer, source and time), and each account's latest
    figures follow its newest row unless a newer snapshot already exists; blank figures keep
    the account's current value. No audit row: the snapshots are the record. ``scope``
    limits which accounts may be named (API: the user's subtree).
    Set-based (a few queries per 500 accounts): bulk writes, no per-row query."""
    good: list[MetricRow] = metrics_check(rows=rows, scope=scope, today=today)
    account_ids = sorted({p.account_id for p in good if p.account_id is not None})
    dates = sorted({p.as_of for p in good})
    latest_before: dict[int, datetime.date] = {}
    existing: set[tuple[int, datetime.date]] = set()
    for start in range(0, len(account_ids), CHUNK):
        chunk = account_ids[start : start + CHUNK]
        list(Account.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk"))
        latest_before.update(
            MetricSnapshot.objects.filter(account_id__in=chunk)
            .values("account_id")
            .annotate(latest=Max("as_of"))
            .values_list("account_id", "latest")
        )
        existing.update(
            MetricSnapshot.objects.filter(account_id__in=chunk, as_of__in=dates)
            .values_list("account_id", "as_of")
            .distinct()
        )
    written_at = timezone.now()
    to_create: list[MetricSnapshot] = []
    corrections = 0
    for p in good:
        if p.account_id is None:  # metrics_check resolves the account of every row it returns
            continue
        snap = MetricSnapshot(
            account_id=p.account_id,
            as_of=p.as_of,
            followers=p.followers,
            posts_total=p.posts_total,
            last_post_on=p.last_post_on,
            interaction_enabled=p.interaction_enabled,
            written_by=actor,
            source=source,
            written_at=written_at,
        )
        to_create.append(snap)
        corrections += (p.account_id, p.as_of) in existing
    MetricSnapshot.objects.bulk_create(to_create, batch_size=CHUNK)

    newest: dict[int, MetricRow] = {}
    for p in good:
        acc = p.account_id
        if acc is not None and (acc not in newest or p.as_of > newest[acc].as_of):
            newest[acc] = p
    figures = {
        acc: AccountMetrics(
            followers=p.followers,
            posts_total=p.posts_total,
            last_post_on=p.last_post_on,
            interaction_enabled=p.interaction_enabled,
        )
        for acc, p in newest.items()
        # An older snapshot is history only: the account keeps its newer figures.
        if acc not in latest_before or p.as_of >= latest_before[acc]
    }
    accounts_updated = account_set_metrics(metrics=figures)
    return MetricsImportResult(
        rows=len(good),
        created=len(to_create) - corrections,
        updated=corrections,
        accounts_updated=accounts_updated,
    )


# -- rule sets ------------------------------------------------------------------------------

ERR_RULE_SET_FORBIDDEN = _("只有有权修改指标体系的管理员可以启用或停用指标体系。")
ERR_RULE_SET_ACTIVE = _("指标体系「{name}」已经是启用状态。")
ERR_RULE_SET_INACTIVE = _("指标体系「{name}」未启用，无需停用。")


def _rule_set_check_actor(actor: User | None) -> None:
    if actor is None or not actor.has_perm("review.change_ruleset"):
        raise PermissionDenied(str(ERR_RULE_SET_FORBIDDEN))


@transaction.atomic
def rule_set_activate(*, rule_set: RuleSet, actor: User) -> RuleSet:
    """Make ``rule_set`` the one active rule set (constraint ruleset_one_active; `review` and
    new campaigns use it): lock it and the active one, check, deactivate the old one first
    (the constraint allows no moment with two), activate the new one. The admin's action and
    its change form both call this. No audit table exists for rule sets: the change is
    logged to govmedia.audit with the actor after commit."""
    locked = list(
        RuleSet.objects.select_for_update().filter(Q(active=True) | Q(pk=rule_set.pk)).order_by("pk")
    )
    target = next((r for r in locked if r.pk == rule_set.pk), None)
    if target is None:
        raise RuleSet.DoesNotExist(rule_set.pk)
    _rule_set_check_actor(actor)
    if target.active:
        raise ValidationError({"active": str(ERR_RULE_SET_ACTIVE).format(name=target)})
    if target.effective_to is not None and target.effective_to < timezone.localdate():
        raise ValidationError({"active": str(ERR_RULE_SET_EXPIRED).format(
            name=target, day=target.effective_to.isoformat())})
    previous = [r.pk for r in locked if r.active]
    RuleSet.objects.filter(pk__in=previous).update(active=False)
    target.active = True
    target.save(update_fields=["active"])
    rule_set.active = True
    actor_id = actor.pk
    transaction.on_commit(
        lambda: audit_log.info(
            "event=rule_set_activated rule_set=%s previous=%s actor=%s", target.pk, previous, actor_id
        )
    )
    return target


@transaction.atomic
def rule_set_deactivate(*, rule_set: RuleSet, actor: User) -> RuleSet:
    """Leave no rule set active (the admin's change form, unticking 启用); `review` and new
    campaigns then refuse to run until one is activated. Logged like rule_set_activate."""
    target = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
    _rule_set_check_actor(actor)
    if not target.active:
        raise ValidationError({"active": str(ERR_RULE_SET_INACTIVE).format(name=target)})
    target.active = False
    target.save(update_fields=["active"])
    rule_set.active = False
    actor_id = actor.pk
    transaction.on_commit(
        lambda: audit_log.info("event=rule_set_deactivated rule_set=%s actor=%s", target.pk, actor_id)
    )
    return target


ERR_RULE_SET_EXPIRED = _("指标体系「{name}」已于{day}失效，不能启用。")
ERR_RULE_SET_VERSION = _("该指标体系已有版本「{version}」。")
ERR_RULE_SET_VERSION_REQUIRED = _("请填写新版本号。")


@transaction.atomic
def rule_set_copy(*, rule_set: RuleSet, version: str, actor: User,
                  effective_from: datetime.date | None = None) -> RuleSet:
    """A new, inactive version of ``rule_set`` with copies of its indicators (sources
    included) — how a rule set is edited without changing what running campaigns use."""
    _rule_set_check_actor(actor)
    version = (version or "").strip()
    if not version:
        raise ValidationError({"version": ERR_RULE_SET_VERSION_REQUIRED})
    if RuleSet.objects.filter(name=rule_set.name, version=version).exists():
        raise ValidationError({"version": str(ERR_RULE_SET_VERSION).format(version=version)})
    copy = RuleSet(name=rule_set.name, version=version, note=rule_set.note,
                   params=rule_set.params, effective_from=effective_from)
    copy.full_clean()
    copy.save()
    Indicator.objects.bulk_create(
        Indicator(
            rule_set=copy, part=i.part, code=i.code, name=i.name, max_points=i.max_points,
            automatic=i.automatic, params=i.params, position=i.position,
            source_document=i.source_document, source_article=i.source_article,
            source_url=i.source_url, value_status=i.value_status,
        )
        for i in rule_set.indicators.all()
    )
    actor_id = actor.pk
    transaction.on_commit(
        lambda: audit_log.info("event=rule_set_copied from=%s to=%s actor=%s", rule_set.pk, copy.pk, actor_id)
    )
    return copy


# -- campaigns ------------------------------------------------------------------------------

# The moves Campaign.state may make: a campaign is closed once and never reopened (its
# results and 通报 are published on close).
CAMPAIGN_TRANSITIONS: dict[str, frozenset[str]] = {
    CampaignState.OPEN: frozenset({CampaignState.CLOSED}),
    CampaignState.CLOSED: frozenset(),
}
ERR_CAMPAIGN_CLOSED = _("检查活动已结束。")
ERR_CAMPAIGN_STATE = _("检查活动当前状态为「{state}」，不能改为「{to}」。")
ERR_CAMPAIGN_CLOSE_FORBIDDEN = _("只有检查单位（或其上级单位）的检查员可以结束检查活动。")


def campaign_may_close(*, campaign: Campaign, actor: User) -> bool:
    """Inspectors of the inspecting unit (or of a unit above it) close a campaign."""
    if sees_everything(actor):
        return True
    unit = campaign.inspecting_unit or campaign.scope_unit
    return any(unit.is_within(u) for u in user_units(actor, roles=(Role.INSPECTOR,)))


@transaction.atomic
def campaign_mark_closed(*, campaign: Campaign, actor: User, results: dict[str, Any]) -> Campaign:
    """The data side of closing a campaign: lock it, check the move (CAMPAIGN_TRANSITIONS)
    and the actor, then store the published ``results`` with state CLOSED and closed_at.
    The caller (approvals' campaign close) checks that every inspection is recorded and
    issues the 通报 in the same transaction, then calls this. No audit table exists for
    campaigns: the change is logged to govmedia.audit with the actor after commit."""
    # of=("self",): PostgreSQL cannot lock the nullable side of an outer join.
    locked = Campaign.objects.select_for_update(of=("self",)).get(pk=campaign.pk)
    to = CampaignState.CLOSED
    if to not in CAMPAIGN_TRANSITIONS.get(locked.state, frozenset()):
        if locked.state == CampaignState.CLOSED:
            raise ValidationError({"campaign": ERR_CAMPAIGN_CLOSED})
        raise ValidationError(
            {"campaign": str(ERR_CAMPAIGN_STATE).format(state=locked.get_state_display(), to=to.label)}
        )
    if not campaign_may_close(campaign=locked, actor=actor):
        raise PermissionDenied(str(ERR_CAMPAIGN_CLOSE_FORBIDDEN))
    old = locked.state
    locked.results = results
    locked.state = to
    locked.closed_at = timezone.now()
    locked.full_clean()
    locked.save(update_fields=["results", "state", "closed_at"])
    campaign.results, campaign.state, campaign.closed_at = locked.results, locked.state, locked.closed_at
    actor_id = getattr(actor, "pk", None)
    transaction.on_commit(
        lambda: audit_log.info(
            "event=campaign_state campaign=%s from=%s to=%s actor=%s", locked.pk, old, to, actor_id
        )
    )
    return locked


# -- posts and content dictionaries (issue 14 item 3; docs/review.md) -----------------------


@dataclass(frozen=True)
class PostsImportResult:
    rows: int
    created: int
    skipped: int
    findings: int
    accounts_updated: int


def content_hits(
    posts: Iterable[tuple[int, int, str, str, str]], *, matcher: Matcher, suffixes: tuple[str, ...],
) -> Iterator[ContentFinding]:
    """Unsaved ContentFinding rows for (post id, account id, unit path, title, text) — the
    dictionaries over title and text, the link check over the text. Pure apart from the
    model class (bench/review.py runs it over a million posts)."""
    for post_id, account_id, unit_path, title, text in posts:
        body = f"{title}\n{text}" if title else text
        for hit in matcher.hits(body, unit_path=unit_path):
            yield ContentFinding(
                post_id=post_id, account_id=account_id, kind=hit.kind, matched=hit.matched,
                suggestion=hit.suggestion, entry_id=hit.entry_id, source_note=hit.source_note,
                dictionary_version=hit.version, excerpt=hit.excerpt[:300],
            )
        for hit in link_hits(text, gov_suffixes=suffixes):
            yield ContentFinding(
                post_id=post_id, account_id=account_id, kind=hit.kind, matched=hit.matched,
                excerpt=hit.excerpt[:300],
            )


@transaction.atomic
def posts_import(
    *,
    rows: list[tuple[int, dict[str, str]]],
    scope: QuerySet[Account] | None = None,
    actor: User | None = None,
    now: datetime.datetime | None = None,
) -> PostsImportResult:
    """Import posts (import_posts, POST /api/posts/): every row checked first
    (review.posts.posts_check, nothing written on any error); the named accounts locked in pk
    order; a post already stored (same account and link) is skipped; new posts are checked
    against the active dictionaries and for external links (ContentFinding: candidate
    evidence, never a veto); an account's last post date follows its newest imported post
    (lifecycle.services.account_set_metrics). The writer (``actor``) is recorded."""
    good = posts_check(rows=rows, scope=scope, now=now)
    account_ids = sorted({p.account_id for p in good if p.account_id is not None})
    existing: set[tuple[int, str]] = set()
    current: dict[int, tuple[datetime.date | None, bool, str]] = {}
    for start in range(0, len(account_ids), CHUNK):
        chunk = account_ids[start : start + CHUNK]
        for pk, last, interaction, path in (
            Account.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
            .values_list("pk", "last_post_on", "interaction_enabled", "unit__path")
        ):
            current[pk] = (last, interaction, path)
        urls = {p.url for p in good if p.account_id in set(chunk)}
        existing.update(
            Post.objects.filter(account_id__in=chunk, url__in=urls).values_list("account_id", "url")
        )
    # posts_check resolves the account of every row it returns.
    new = [p for p in good if p.account_id is not None and (p.account_id, p.url) not in existing]
    posts = Post.objects.bulk_create(
        [
            Post(account_id=int(p.account_id or 0), published_at=p.published_at, title=p.title, text=p.text,
                 url=p.url, imported_by=actor if getattr(actor, "pk", None) else None)
            for p in new
        ],
        batch_size=CHUNK,
    )
    found = ContentFinding.objects.bulk_create(
        content_hits(
            ((post.pk, post.account_id, current[post.account_id][2], post.title, post.text)
             for post in posts),
            matcher=content_matcher(), suffixes=gov_suffixes(),
        ),
        batch_size=CHUNK,
    )
    tz = timezone.get_current_timezone()
    newest: dict[int, datetime.date] = {}
    for p in new:
        day = p.published_at.astimezone(tz).date()
        if p.account_id is not None and day > newest.get(p.account_id, datetime.date.min):
            newest[p.account_id] = day
    figures = {
        pk: AccountMetrics(followers=None, posts_total=None, last_post_on=day,
                           interaction_enabled=current[pk][1])
        for pk, day in newest.items()
        if (last := current[pk][0]) is None or day > last
    }
    updated = account_set_metrics(metrics=figures) if figures else 0
    return PostsImportResult(rows=len(good), created=len(posts), skipped=len(good) - len(new),
                             findings=len(found), accounts_updated=updated)


def posts_content_check(*, posts: QuerySet[Post], chunk: int = 10_000, replace: bool = True) -> int:
    """(Re)check stored posts against the active dictionaries and for links — after a
    dictionary change, or at scale (bench/review.py: a million posts). The posts are read as
    plain rows (no model instances), ``chunk`` at a time by primary key (keyset: no cursor
    left open across writes, no query per post); each chunk's findings are written in one
    transaction with bulk_create, so memory stays flat and a failure loses at most one
    chunk. A post's earlier findings are replaced (``replace=False`` skips that for posts
    never checked). The matcher is built once per set of dictionary versions. Returns how
    many findings were written."""
    rows = posts.order_by("pk").values_list("pk", "account_id", "account__unit__path", "title", "text")
    check = content_matcher()
    suffixes = gov_suffixes()
    written, last = 0, 0
    while batch := list(rows.filter(pk__gt=last)[:chunk]):
        last = batch[-1][0]
        with transaction.atomic():
            if replace:
                ContentFinding.objects.filter(post_id__in=[row[0] for row in batch]).delete()
            written += len(ContentFinding.objects.bulk_create(
                content_hits(batch, matcher=check, suffixes=suffixes), batch_size=2000))
    return written


DICTIONARY_EDITOR_ROLES = (Role.SUPERVISOR_REVIEWER, Role.INSPECTOR, Role.ADMIN)
ERR_DICTIONARY_FORBIDDEN = _("只有词库维护单位（或其上级单位）的主管复核人、检查员或管理员可以修改词库。")
ERR_DICTIONARY_NAME = _("请填写词库名称（不超过200字）。")
ERR_DICTIONARY_EXISTS = _("该单位已有名为「{name}」的词库。")
ERR_ENTRY_TERM = _("请填写词语（不超过200字）。")
ERR_ENTRY_KIND = _("请选择词条类型。")
ERR_ENTRY_REPLACEMENT = _("错误表述和领导人姓名须填写正确写法（不超过200字），且不能与错误写法相同。")
ERR_ENTRY_SOURCE = _("请填写依据（来源说明，不超过500字）。")
ERR_ENTRY_EXISTS = _("词库中已有词语「{term}」。")
ERR_ENTRY_REMOVED = _("该词条已在第 {version} 版移除。")


def dictionary_may_edit(*, unit: Unit, actor: User) -> bool:
    """The supervising unit edits its dictionaries: its reviewers, inspectors and admins (or
    those of a unit above it)."""
    if sees_everything(actor):
        return True
    return any(unit.is_within(u) for u in user_units(actor, roles=DICTIONARY_EDITOR_ROLES))


def _check_editor(unit: Unit, actor: User) -> None:
    if not dictionary_may_edit(unit=unit, actor=actor):
        raise PermissionDenied(str(ERR_DICTIONARY_FORBIDDEN))


@transaction.atomic
def dictionary_create(*, unit: Unit, name: str, actor: User, note: str = "") -> Dictionary:
    _check_editor(unit, actor)
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise ValidationError({"name": ERR_DICTIONARY_NAME})
    if Dictionary.objects.filter(unit=unit, name=name).exists():
        raise ValidationError({"name": str(ERR_DICTIONARY_EXISTS).format(name=name)})
    dictionary = Dictionary(unit=unit, name=name, note=(note or "").strip())
    dictionary.full_clean()
    dictionary.save()
    actor_id = actor.pk
    transaction.on_commit(lambda: audit_log.info(
        "event=dictionary_created dictionary=%s unit=%s actor=%s", dictionary.pk, unit.code, actor_id))
    return dictionary


@transaction.atomic
def dictionary_entry_add(
    *, dictionary: Dictionary, kind: str, term: str, replacement: str = "", source_note: str,
    actor: User,
) -> DictionaryEntry:
    """Add one entry: the dictionary's version goes up by one and the entry is part of it
    from that version on. Checked: kind, term, a right form for wrong terms and leader names,
    a source note, no second live entry of the same term."""
    locked = Dictionary.objects.select_for_update().select_related("unit").get(pk=dictionary.pk)
    _check_editor(locked.unit, actor)
    term, replacement = (term or "").strip(), (replacement or "").strip()
    source_note = (source_note or "").strip()
    errors: dict[str, Any] = {}
    if kind not in DictionaryKind.values:
        errors["kind"] = ERR_ENTRY_KIND
    if not term or len(term) > 200:
        errors["term"] = ERR_ENTRY_TERM
    elif locked.entries.filter(term=term, removed_in__isnull=True).exists():
        errors["term"] = str(ERR_ENTRY_EXISTS).format(term=term)
    needs_right = kind in (DictionaryKind.WRONG_TERM, DictionaryKind.LEADER_NAME)
    if (needs_right and (not replacement or replacement == term)) or len(replacement) > 200:
        errors["replacement"] = ERR_ENTRY_REPLACEMENT
    if not source_note or len(source_note) > 500:
        errors["source_note"] = ERR_ENTRY_SOURCE
    if errors:
        raise ValidationError(errors)
    locked.version += 1
    locked.save(update_fields=["version", "updated"])
    entry = DictionaryEntry.objects.create(
        dictionary=locked, kind=kind, term=term, replacement=replacement,
        source_note=source_note, added_in=locked.version,
    )
    dictionary.version = locked.version
    actor_id = actor.pk
    transaction.on_commit(lambda: audit_log.info(
        "event=dictionary_entry_added dictionary=%s version=%s entry=%s actor=%s",
        locked.pk, locked.version, entry.pk, actor_id))
    return entry


@transaction.atomic
def dictionary_entry_remove(*, entry: DictionaryEntry, actor: User) -> DictionaryEntry:
    """Remove an entry from the next version on (it stays in the history)."""
    locked = Dictionary.objects.select_for_update().select_related("unit").get(pk=entry.dictionary_id)
    _check_editor(locked.unit, actor)
    current = DictionaryEntry.objects.get(pk=entry.pk)
    if current.removed_in is not None:
        raise ValidationError({"entry": str(ERR_ENTRY_REMOVED).format(version=current.removed_in)})
    locked.version += 1
    locked.save(update_fields=["version", "updated"])
    current.removed_in = locked.version
    current.save(update_fields=["removed_in"])
    actor_id = actor.pk
    transaction.on_commit(lambda: audit_log.info(
        "event=dictionary_entry_removed dictionary=%s version=%s entry=%s actor=%s",
        locked.pk, locked.version, current.pk, actor_id))
    return current
