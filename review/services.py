"""The only writers of review data (one function per state change; admin actions, the API,
commands and the approvals flows call these): citizens' feedback (纠错, 好评/差评) and the
owning unit marking an error report handled (with its audit row), the metrics import
(snapshots and, through lifecycle, the accounts' latest figures), rule-set activation and
the campaign state."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lifecycle.models import Account, AccountState, AccountTransition, Role
from lifecycle.selectors import sees_everything, user_units
from lifecycle.services import ACTION_LABELS, AccountMetrics, account_set_metrics
from lifecycle.types import User
from review.metrics import CHUNK, MetricRow, metrics_check
from review.metrics import MetricsImportError as MetricsImportError  # callers import it here
from review.models import (
    Campaign,
    CampaignState,
    Feedback,
    FeedbackKind,
    Indicator,
    MetricSnapshot,
    RuleSet,
)

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
) -> MetricsImportResult:
    """Import monitoring rows (DESIGN §4, §8): the only writer of MetricSnapshot and, through
    lifecycle.services.account_set_metrics, of the accounts' latest figures.

    Check: every row is checked first (review.metrics.metrics_check) and every bad row
    reported (MetricsImportError, nothing written). Lock: the named accounts, in pk order,
    so that two imports naming one account run one after the other and the second sees the
    first one's snapshots. Change: a MetricSnapshot is upserted per account and as-of date,
    and each account's latest figures follow its newest row unless a newer snapshot already
    exists; blank figures keep the account's current value. No audit row: the snapshots
    are the record. ``scope`` limits which accounts may be named (API: the user's subtree).
    Set-based (a few queries per 500 accounts): bulk writes, no per-row query."""
    good: list[MetricRow] = metrics_check(rows=rows, scope=scope, today=today)
    account_ids = sorted({p.account_id for p in good if p.account_id is not None})
    dates = sorted({p.as_of for p in good})
    latest_before: dict[int, datetime.date] = {}
    existing: dict[tuple[int, datetime.date], int] = {}
    for start in range(0, len(account_ids), CHUNK):
        chunk = account_ids[start : start + CHUNK]
        list(Account.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk"))
        latest_before.update(
            MetricSnapshot.objects.filter(account_id__in=chunk)
            .values("account_id")
            .annotate(latest=Max("as_of"))
            .values_list("account_id", "latest")
        )
        for snap_pk, snap_account, day in MetricSnapshot.objects.filter(
            account_id__in=chunk, as_of__in=dates
        ).values_list("pk", "account_id", "as_of"):
            existing[(snap_account, day)] = snap_pk
    to_create: list[MetricSnapshot] = []
    to_update: list[MetricSnapshot] = []
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
        )
        pk = existing.get((p.account_id, p.as_of))
        if pk is None:
            to_create.append(snap)
        else:
            snap.pk = pk
            to_update.append(snap)
    MetricSnapshot.objects.bulk_create(to_create, batch_size=CHUNK)
    MetricSnapshot.objects.bulk_update(
        to_update,
        ["followers", "posts_total", "last_post_on", "interaction_enabled"],
        batch_size=CHUNK,
    )

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
        created=len(to_create),
        updated=len(to_update),
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
