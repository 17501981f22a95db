"""The only writers of lifecycle state. Views, flows, API, commands and admin call these.

Every account state change: lock the row, check the transition, call it, save, write the
AccountTransition in the same transaction. Side effects are queued with on_commit by callers.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransition, can_proceed

from lifecycle import workdays
from lifecycle.errors import Conflict
from lifecycle.models import (
    LIVE_STATES,
    Account,
    AccountState,
    AccountTransition,
    ChannelKind,
    Membership,
    Role,
    Unit,
    UnitKind,
)
from lifecycle.types import User

UserModel = get_user_model()

ERR_INTERNAL_UNIT = _("内设机构不得开设政务新媒体账号。")
ERR_UNIT_MAY_NOT_OPEN = _("该单位按层级规定不得开设政务新媒体账号。")
ERR_ONE_PER_PLATFORM = _(
    "该单位在此平台已有账号（{name}）。原则上一个单位在同一平台只开设一个账号；"
    "确需多开请填写理由，审批将上提一级。"
)
ERR_TRANSITION = _("账号当前状态为「{state}」，不能执行「{action}」。")
ERR_CONFLICT = _("账号状态已被他人修改，请刷新后重试。")
ERR_SUCCESSOR_VAGUE = _(
    "必须至少指明一个具体的承接渠道（账号、网站、移动客户端或电话）；仅写“其他平台”不予接受。"
)
ERR_SUCCESSOR_ADDRESS_ONLY = _("仅提供地址时必须同时提供联系电话。")
ERR_SUCCESSOR_SELF = _("承接账号不能是本账号。")
ERR_SUCCESSOR_NOT_ACTIVE = _("承接账号必须处于运行状态（当前：{state}）。")
ERR_SUCCESSOR_CYCLE = _("承接关系不能形成循环。")
ERR_CHANNEL_KIND = _("承接渠道类型「{kind}」无效。")
ERR_CHANNEL_VALUE = _("承接渠道内容不能为空。")
ERR_CHANNEL_VAGUE_VALUE = _("请写明具体的承接渠道（名称、网址或号码），不能只写“其他平台”之类。")
ERR_CHANNEL_WEBSITE = _("网站须填写网址，如 https://www.example.gov.cn。")
ERR_CHANNEL_PHONE = _("电话须填写号码。")
# Words that point nowhere (BRIEF §1: "the information moves to other platforms").
VAGUE_CHANNEL_WORDS = ("其他", "其它", "相关", "官方", "平台", "渠道", "账号", "本单位", "请关注",
                       "新媒体", "政务", "发布", "等", "和", "及", "或", "的", "今后", "后续")
ERR_REQUIRED = _("此项为必填项。")


class TransitionError(Conflict):
    """A transition that the account's current state does not allow (API: 409)."""


class TransitionConflict(TransitionError):
    """A stale writer lost the race (API: 409)."""


# -- units and people -------------------------------------------------------------------


def default_supervisor(*, unit: Unit) -> Unit | None:
    """The government office of the area above: the nearest ancestor of kind government_office."""
    for ancestor in reversed(unit.ancestors()):
        if ancestor.kind == UnitKind.GOVERNMENT_OFFICE:
            return ancestor
    return None


@transaction.atomic
def unit_upsert(
    *,
    code: str,
    name: str,
    level: str,
    kind: str,
    parent: Unit | None,
    short_name: str = "",
    supervisor: Unit | None = None,
    may_open_accounts: bool | None = None,
) -> Unit:
    unit = Unit.objects.filter(code=code).first() or Unit(code=code)
    unit.name = name
    unit.short_name = short_name
    unit.level = level
    unit.kind = kind
    unit.parent = parent
    if may_open_accounts is not None:
        unit.may_open_accounts = may_open_accounts
    elif unit.pk is None:
        unit.may_open_accounts = kind != UnitKind.INTERNAL
    unit.full_clean(exclude=["path", "supervisor"])
    unit.save()
    unit.supervisor = supervisor or unit.supervisor or default_supervisor(unit=unit)
    unit.save(update_fields=["supervisor"])
    return unit


# Role `admin` (DESIGN §8) is the operator of /admin/: staff status plus this group, whose
# permissions administer units, users, memberships, approval policies and rule sets; the
# register, its history, decisions and notices stay read-only. user_upsert keeps it in step
# with the role and creates the group on first use (no data migration: a test database's
# flush would remove it).
ADMIN_GROUP = "govmedia admins"
ADMIN_GROUP_PERMISSIONS = {
    ("auth", "user"): ("view", "add", "change"),
    ("lifecycle", "unit"): ("view", "add", "change"),
    # roles are the security administrator's (三员分立): the system administrator reads them
    ("lifecycle", "membership"): ("view",),
    ("approvals", "approvalpolicy"): ("view", "add", "change"),
    ("review", "ruleset"): ("view", "add", "change"),
    ("review", "indicator"): ("view", "add", "change"),
    ("lifecycle", "account"): ("view",),
    ("lifecycle", "accounttransition"): ("view",),
    ("approvals", "decision"): ("view",),
    ("notices", "notice"): ("view",),
    ("notices", "noticedownload"): ("view",),
    # issue 14: read-only screens, scoped to the administrator's units (review.admin)
    ("review", "earlywarning"): ("view",),
    ("review", "post"): ("view",),
    ("review", "contentfinding"): ("view",),
    ("review", "dictionary"): ("view",),
    ("review", "dictionaryentry"): ("view",),
    ("approvals", "filing"): ("view",),
}


ERR_ADMIN_NO_BUSINESS_ROLE = _("三员分立：安全管理员和安全审计员不能担任业务角色。")
ERR_OWN_ROLES = _("三员分立：不能修改自己的角色。")
ERR_ADMIN_ROLE_EXCLUSIVE = _(
    "三员分立：该用户已担任系统管理员或业务角色，不能再任命为安全管理员或安全审计员。")

# Never held by the system administrator, whatever an operator added: granting roles
# (memberships) is the security administrator's (三员分立, issue 12 item 2).
ADMIN_GROUP_FORBIDDEN = {("lifecycle", "membership"): ("add", "change", "delete")}

# The other two of the three administrators (三员分立). Granted by the installer (a
# superuser) with `manage.py admin_role`; a user holds at most one of the three.
SECURITY_ADMIN_GROUP = "govmedia security administrators"
SECURITY_ADMIN_GROUP_PERMISSIONS = {
    ("auth", "user"): ("view",),
    ("lifecycle", "unit"): ("view",),
    ("lifecycle", "membership"): ("view", "add", "change", "delete"),
    ("axes", "accessattempt"): ("view", "delete"),
    ("axes", "accessfailurelog"): ("view",),
    ("authtoken", "tokenproxy"): ("view", "delete"),
    ("otp_totp", "totpdevice"): ("view", "delete"),
}
AUDITOR_GROUP = "govmedia security auditors"
AUDITOR_GROUP_PERMISSIONS = {
    ("lifecycle", "securityevent"): ("view",),
    ("admin", "logentry"): ("view",),
    ("axes", "accessattempt"): ("view",),
    ("axes", "accessfailurelog"): ("view",),
    ("axes", "accesslog"): ("view",),
}
ADMIN_ROLES = {"security": SECURITY_ADMIN_GROUP, "audit": AUDITOR_GROUP}


def _perms_q(table: dict) -> Any:
    from django.db.models import Q

    wanted = Q(pk__in=[])
    for (app_label, model), actions in table.items():
        wanted |= Q(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{action}_{model}" for action in actions],
        )
    return wanted


def _group_ensure(name: str, table: dict) -> Any:
    from django.contrib.auth.models import Group, Permission

    group, _created = Group.objects.get_or_create(name=name)
    group.permissions.add(*Permission.objects.filter(_perms_q(table)))
    return group


def admin_group_ensure() -> Any:
    """The ADMIN_GROUP with at least ADMIN_GROUP_PERMISSIONS (idempotent; permissions an
    operator added in /admin/ are kept, except ADMIN_GROUP_FORBIDDEN)."""
    from django.contrib.auth.models import Permission

    group = _group_ensure(ADMIN_GROUP, ADMIN_GROUP_PERMISSIONS)
    group.permissions.remove(*Permission.objects.filter(_perms_q(ADMIN_GROUP_FORBIDDEN)))
    return group


@transaction.atomic
def admin_role_grant(*, user: User, role: str, actor: User | None = None) -> None:
    """Make `user` the security administrator (`security`) or the security auditor
    (`audit`), or remove both (`none`). Only the installer (a superuser, or the command
    line: actor None) does this; a user holds at most one of the three administrator roles
    and an administrator of security or audit holds no business role. Logged."""
    from lifecycle import security
    from lifecycle.models import SecurityEventKind

    if actor is not None and not actor.is_superuser:
        raise ValidationError({"role": _("只有系统安装者（超级用户）可以任命安全管理员或安全审计员。")})
    if role not in (*ADMIN_ROLES, "none"):
        raise ValidationError({"role": _("未知管理角色：{role}").format(role=role)})
    if role != "none" and Membership.objects.filter(user=user).exists():
        raise ValidationError({"role": ERR_ADMIN_ROLE_EXCLUSIVE})
    user.groups.remove(*user.groups.filter(name__in=ADMIN_ROLES.values()))
    if role != "none":
        table = SECURITY_ADMIN_GROUP_PERMISSIONS if role == "security" else AUDITOR_GROUP_PERMISSIONS
        user.groups.add(_group_ensure(ADMIN_ROLES[role], table))
    user.is_staff = role != "none" or user.is_superuser or \
        Membership.objects.filter(user=user, role=Role.ADMIN).exists()
    user.save(update_fields=["is_staff"])
    security.record(kind=SecurityEventKind.ROLE_CHANGE, user=actor, action=f"admin_role:{role}",
                    target=f"user:{user.pk}", username=user.get_username())


def holds_admin_role(user: User) -> bool:
    """A security administrator or auditor (who may hold no business role)."""
    return user.groups.filter(name__in=ADMIN_ROLES.values()).exists()


@transaction.atomic
def user_upsert(
    *,
    username: str,
    full_name: str = "",
    email: str = "",
    password: str | None = None,
    memberships: Iterable[tuple[Unit, str]] = (),
) -> User:
    """Create or update a user and replace their memberships. Blank password → unusable.

    The `admin` role makes the user staff and a member of ADMIN_GROUP; without it the user
    leaves the group and loses staff status (a superuser keeps it)."""
    memberships = list(memberships)
    is_admin = any(role == Role.ADMIN for _unit, role in memberships)
    user = UserModel.objects.filter(username=username).first() or UserModel(username=username)
    user.first_name = full_name[:150]
    user.email = email
    if password:
        user.set_password(password)
    elif user.pk is None or not password:
        user.set_unusable_password()
    user.is_staff = is_admin or user.is_superuser
    user.full_clean(exclude=["password"])
    user.save()
    wanted = {(unit.pk, role) for unit, role in memberships}
    Membership.objects.filter(user=user).exclude(
        pk__in=[
            m.pk for m in Membership.objects.filter(user=user) if (m.unit_id, m.role) in wanted
        ]
    ).delete()
    for unit_id, role in wanted:
        Membership.objects.get_or_create(user=user, unit_id=unit_id, role=role)
    if is_admin:
        user.groups.add(admin_group_ensure())
    else:
        user.groups.remove(*user.groups.filter(name=ADMIN_GROUP))
    return user


def membership_add(*, user: User, unit: Unit, role: str) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": _("未知角色：{role}").format(role=role)})
    if holds_admin_role(user):
        raise ValidationError({"role": ERR_ADMIN_NO_BUSINESS_ROLE})
    membership, _created = Membership.objects.get_or_create(user=user, unit=unit, role=role)
    return membership


# -- rules ------------------------------------------------------------------------------


def existing_on_platform(*, unit: Unit, platform: str, exclude_pk: int | None = None):
    qs = Account.objects.filter(unit=unit, platform=platform, state__in=LIVE_STATES)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.first()


def check_may_apply(*, unit: Unit, platform: str, exemption_reason: str = "") -> None:
    """Opening rules of DESIGN §4. Raises ValidationError naming the field."""
    if unit.kind == UnitKind.INTERNAL:
        raise ValidationError({"unit": ERR_INTERNAL_UNIT})
    if not unit.may_open_accounts:
        raise ValidationError({"unit": ERR_UNIT_MAY_NOT_OPEN})
    other = existing_on_platform(unit=unit, platform=platform)
    if other and not exemption_reason.strip():
        raise ValidationError(
            {"exemption_reason": str(ERR_ONE_PER_PLATFORM).format(name=other.name)}
        )


def _channel_value_problem(kind: str, value: str) -> Any:
    """A channel value must point somewhere: not only vague words, a website with a host,
    a phone with digits. Otherwise free text (a WeChat id, an app's name, an address)."""
    import re

    rest = re.sub(r"[\s，,。.、；;：:！!（）()「」“”\"'《》<>·…\-—_/]+", "", value)
    for word in VAGUE_CHANNEL_WORDS:
        rest = rest.replace(word, "")
    if not rest and kind != ChannelKind.OTHER:  # `other` alone is refused as a whole below
        return ERR_CHANNEL_VAGUE_VALUE
    if kind == ChannelKind.WEBSITE and not re.search(r"[A-Za-z0-9-]\.[A-Za-z]{2,}|://", value):
        return ERR_CHANNEL_WEBSITE
    if kind == ChannelKind.PHONE and len(re.findall(r"\d", value)) < 3:
        return ERR_CHANNEL_PHONE
    return None


def clean_successor_channels(
    *, channels: list[dict[str, str]], successor: Account | None, account: Account | None
) -> list[dict[str, str]]:
    """Closure/merger successors (DESIGN §4): at least one concrete channel."""
    cleaned: list[dict[str, str]] = []
    for i, channel in enumerate(channels or []):
        kind = str((channel or {}).get("kind", "")).strip()
        value = str((channel or {}).get("value", "")).strip()
        if kind not in ChannelKind.values:
            raise ValidationError(
                {"successor_channels": f"[{i}] " + str(ERR_CHANNEL_KIND).format(kind=kind)}
            )
        if not value:
            raise ValidationError({"successor_channels": f"[{i}] " + str(ERR_CHANNEL_VALUE)})
        problem = _channel_value_problem(kind, value)
        if problem:
            raise ValidationError({"successor_channels": f"[{i}] " + str(problem)})
        cleaned.append({"kind": kind, "value": value})
    if successor is not None:
        if account is not None and successor.pk == account.pk:
            raise ValidationError({"successor_account": ERR_SUCCESSOR_SELF})
        if successor.state != AccountState.ACTIVE:
            raise ValidationError(
                {
                    "successor_account": str(ERR_SUCCESSOR_NOT_ACTIVE).format(
                        state=successor.get_state_display()
                    )
                }
            )
        # Following successors from the new one must never come back to this account.
        seen = set()
        node: Account | None = successor
        while node is not None and node.pk not in seen:
            if account is not None and node.pk == account.pk:
                raise ValidationError({"successor_account": ERR_SUCCESSOR_CYCLE})
            seen.add(node.pk)
            node = node.successor
    kinds = {c["kind"] for c in cleaned}
    concrete = kinds & {ChannelKind.ACCOUNT, ChannelKind.WEBSITE, ChannelKind.APP, ChannelKind.PHONE}
    if successor is None and not concrete:
        if ChannelKind.ADDRESS in kinds:
            raise ValidationError({"successor_channels": ERR_SUCCESSOR_ADDRESS_ONLY})
        raise ValidationError({"successor_channels": ERR_SUCCESSOR_VAGUE})
    return cleaned


# -- account state changes --------------------------------------------------------------

ACTION_LABELS = {
    "import": _("导入"),
    "change": _("变更"),
    "announce": _("发布关停公告"),
    "closure_plan": _("登记承接账号/渠道"),
    "submit": _("提交申请"),
    "reject": _("退回不予批准"),
    "withdraw": _("撤回申请"),
    "approve_opening": _("批准开设"),
    "register": _("注册备案"),
    "order_rectification": _("责令整改"),
    "pass_recheck": _("复核通过"),
    "fail_recheck": _("复核不通过"),
    "start_closure": _("启动关停"),
    "deregister": _("注销"),
    "merge_into": _("整合"),
}


def _transition(
    *,
    account: Account,
    name: str,
    actor: User | None,
    reason: str = "",
    process_id: int | None = None,
    task_id: int | None = None,
    data: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Account:
    """Lock, check, move, save, audit — the one path every account transition takes."""
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        if locked.state != account.state and account.state != "":
            # The caller's copy is stale: someone moved the account meanwhile.
            raise TransitionConflict(str(ERR_CONFLICT))
        method = getattr(locked, name)
        if not can_proceed(method):
            raise TransitionError(
                str(ERR_TRANSITION).format(
                    state=locked.get_state_display(), action=ACTION_LABELS.get(name, name)
                )
            )
        old = locked.state
        method(**kwargs)
        try:
            locked.save()
        except ConcurrentTransition as exc:
            raise TransitionConflict(str(ERR_CONFLICT)) from exc
        AccountTransition.objects.create(
            account=locked,
            from_state=old,
            to_state=locked.state,
            name=name,
            actor=actor,
            reason=reason,
            process_id=process_id,
            task_id=task_id,
            data=data or {},
        )
    _hand_back(account, locked)
    return account


def _hand_back(account: Account, locked: Account) -> None:
    """Hand the fresh state back on the caller's object: the row as read under the lock,
    moved and saved above — as refresh_from_db would, without reading it again. Related
    rows the caller had loaded stay when their key did not change."""
    for field in Account._meta.concrete_fields:
        value = getattr(locked, field.attname)
        if field.is_relation and field.is_cached(account) and getattr(account, field.attname) != value:
            field.delete_cached_value(account)
        account.__dict__[field.attname] = value  # the state field is protected from setattr
    for rel in Account._meta.related_objects:
        if rel.is_cached(account):
            rel.delete_cached_value(account)
    account.__dict__.pop("_prefetched_objects_cache", None)
    account._update_initial_state()


@transaction.atomic
def account_apply(
    *,
    unit: Unit,
    platform: str,
    name: str,
    actor: User,
    purpose: str = "",
    operator: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    exemption_reason: str = "",
    plan: Any = None,
    reopens: Account | None = None,
) -> Account:
    """Create the account record of an opening application and submit it (draft → applying)."""
    errors: dict[str, Any] = {}
    for field, value in (("name", name), ("platform", platform)):
        if not str(value or "").strip():
            errors[field] = ERR_REQUIRED
    if errors:
        raise ValidationError(errors)
    check_may_apply(unit=unit, platform=platform, exemption_reason=exemption_reason)
    if reopens is None:
        # Re-opening a closed account is a new application linked to the old record.
        reopens = (
            Account.objects.filter(unit=unit, platform=platform, name=name.strip())
            .exclude(state__in=LIVE_STATES)
            .exclude(state=AccountState.DRAFT)
            .order_by("-closed_on", "-pk")
            .first()
        )
    account = Account(
        name=name.strip(),
        platform=platform,
        unit=unit,
        supervisor_unit=unit.supervisor,
        operator=operator.strip(),
        contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(),
        contact_email=contact_email.strip(),
        purpose=purpose.strip(),
        exemption_reason=exemption_reason.strip(),
        reopens=reopens,
    )
    if plan:
        account.plan = plan
    account.full_clean(exclude=["state", "successor_channels"])
    account.save()
    return _transition(account=account, name="submit", actor=actor, reason=purpose)


def account_reject(*, account: Account, actor: User, reason: str, **audit: Any) -> Account:
    return _transition(account=account, name="reject", actor=actor, reason=reason, **audit)


def account_withdraw(*, account: Account, actor: User, reason: str = "", **audit: Any) -> Account:
    return _transition(account=account, name="withdraw", actor=actor, reason=reason, **audit)


def account_approve_opening(
    *, account: Account, actor: User, reason: str = "", **audit: Any
) -> Account:
    return _transition(account=account, name="approve_opening", actor=actor, reason=reason, **audit)


ERR_PLATFORM_ID_TAKEN = _("该平台上已有账号「{name}」使用此账号ID，请核对。")
ERR_DATE_FUTURE = _("日期不能晚于{day}（一年以内）。")
# Registration and deregistration dates may be planned ahead, but not beyond this horizon
# (a typo such as 2099 must not become an account's opening or closing date).
DATE_HORIZON = datetime.timedelta(days=366)
ERR_DEREGISTERED_BEFORE = _("注销日期不能早于{what}（{day}）。")


def check_registration(*, account: Account, platform_id: str, verified_subject: str,
                       live_on: Any) -> None:
    """Registration data (DESIGN §6): all given, the platform id not used by another account
    in service on the same platform, the go-live date within DATE_HORIZON. Raises
    ValidationError naming the fields."""
    errors: dict[str, Any] = {}
    platform_id = (platform_id or "").strip()
    if not platform_id:
        errors["platform_id"] = ERR_REQUIRED
    else:
        in_service = (AccountState.APPROVED, AccountState.ACTIVE, AccountState.RECTIFYING,
                      AccountState.CLOSING)
        other = (Account.objects.filter(platform=account.platform, platform_id=platform_id,
                                        state__in=in_service)
                 .exclude(pk=account.pk).first())
        if other is not None:
            errors["platform_id"] = str(ERR_PLATFORM_ID_TAKEN).format(name=other.name)
    if not (verified_subject or "").strip():
        errors["verified_subject"] = ERR_REQUIRED
    if not live_on:
        errors["live_on"] = ERR_REQUIRED
    elif live_on > workdays.today() + DATE_HORIZON:
        errors["live_on"] = str(ERR_DATE_FUTURE).format(
            day=(workdays.today() + DATE_HORIZON).isoformat())
    if errors:
        raise ValidationError(errors)


def check_deregistration(*, account: Account, deregistered_on: Any) -> None:
    """The platform deregistration date: not before the account opened, within
    DATE_HORIZON (records of closures from before the system may carry old dates)."""
    if not deregistered_on:
        raise ValidationError({"deregistered_on": ERR_REQUIRED})
    if deregistered_on > workdays.today() + DATE_HORIZON:
        raise ValidationError({"deregistered_on": str(ERR_DATE_FUTURE).format(
            day=(workdays.today() + DATE_HORIZON).isoformat())})
    if account.opened_on and deregistered_on < account.opened_on:
        raise ValidationError({"deregistered_on": str(ERR_DEREGISTERED_BEFORE).format(
            what=_("开设日期"), day=account.opened_on.isoformat())})


def account_register(
    *,
    account: Account,
    actor: User,
    platform_id: str,
    verified_subject: str,
    live_on: datetime.date,
    **audit: Any,
) -> Account:
    check_registration(account=account, platform_id=platform_id,
                       verified_subject=verified_subject, live_on=live_on)
    return _transition(
        account=account,
        name="register",
        actor=actor,
        reason="",
        platform_id=platform_id.strip(),
        verified_subject=verified_subject.strip(),
        live_on=live_on,
        data={"platform_id": platform_id.strip(), "verified_subject": verified_subject.strip(),
              "live_on": live_on.isoformat()},
        **audit,
    )


def account_order_rectification(
    *, account: Account, actor: User | None, reason: str, **audit: Any
) -> Account:
    return _transition(
        account=account, name="order_rectification", actor=actor, reason=reason, **audit
    )


def account_pass_recheck(
    *, account: Account, actor: User, reason: str = "", **audit: Any
) -> Account:
    return _transition(account=account, name="pass_recheck", actor=actor, reason=reason, **audit)


def account_fail_recheck(
    *, account: Account, actor: User | None, reason: str = "", **audit: Any
) -> Account:
    return _transition(account=account, name="fail_recheck", actor=actor, reason=reason, **audit)


def account_start_closure(
    *, account: Account, actor: User, reason: str = "", **audit: Any
) -> Account:
    return _transition(account=account, name="start_closure", actor=actor, reason=reason, **audit)


def account_deregister(
    *, account: Account, actor: User, deregistered_on: datetime.date, reason: str = "", **audit: Any
) -> Account:
    check_deregistration(account=account, deregistered_on=deregistered_on)
    return _transition(
        account=account, name="deregister", actor=actor, reason=reason,
        deregistered_on=deregistered_on, **audit,
    )


def account_merge(
    *,
    account: Account,
    actor: User,
    successor: Account,
    deregistered_on: datetime.date,
    reason: str = "",
    **audit: Any,
) -> Account:
    clean_successor_channels(channels=[], successor=successor, account=account)
    check_deregistration(account=account, deregistered_on=deregistered_on)
    return _transition(
        account=account, name="merge_into", actor=actor, reason=reason, successor=successor,
        deregistered_on=deregistered_on, data={"successor": successor.pk}, **audit,
    )


CHANGEABLE_FIELDS = (
    "name", "purpose", "operator", "verified_subject", "contact_name", "contact_phone",
)


@transaction.atomic
def account_change(
    *, account: Account, actor: User, changes: dict[str, str], reason: str = "", **audit: Any
) -> Account:
    """Apply an approved change (ChangeFlow) or a revised application; the history row keeps
    before/after values. Nothing that differs → nothing written (no empty history rows)."""
    locked = Account.objects.select_for_update().get(pk=account.pk)
    before, after = {}, {}
    for field, value in changes.items():
        if field not in CHANGEABLE_FIELDS:
            raise ValidationError({field: _("该字段不能通过变更修改。")})
        if getattr(locked, field) != value:
            before[field] = getattr(locked, field)
            after[field] = value
            setattr(locked, field, value)
    if not before:
        account.refresh_from_db()
        return account
    locked.full_clean(exclude=["state", "successor_channels"])
    locked.save()
    AccountTransition.objects.create(
        account=locked, from_state=locked.state, to_state=locked.state, name="change",
        actor=actor, reason=reason, data={"before": before, "after": after},
        process_id=audit.get("process_id"), task_id=audit.get("task_id"),
    )
    account.refresh_from_db()
    return account


@transaction.atomic
def account_import(
    *,
    name: str,
    platform: str,
    platform_id: str,
    unit: Unit,
    opened_on: datetime.date | None,
    followers: int | None,
    posts_total: int | None,
    last_post_on: datetime.date | None,
    interaction_enabled: bool,
    actor: User | None = None,
) -> Account:
    """A pre-existing account enters the register directly as active (DESIGN §8)."""
    account = Account(
        name=name,
        platform=platform,
        platform_id=platform_id,
        unit=unit,
        supervisor_unit=unit.supervisor,
        opened_on=opened_on,
        followers=followers,
        posts_total=posts_total,
        last_post_on=last_post_on,
        interaction_enabled=interaction_enabled,
        state=AccountState.ACTIVE,
    )
    # full_clean() assigns cleaned values back; the protected FSM field refuses that.
    account.full_clean(exclude=["state", "successor_channels"])
    account.save()
    AccountTransition.objects.create(
        account=account, from_state="", to_state=AccountState.ACTIVE, name="import",
        actor=actor, reason=str(_("导入既有账号")),
    )
    return account


@dataclass(frozen=True)
class AccountMetrics:
    """An account's latest monitoring figures; a None count or date keeps the current value."""

    followers: int | None
    posts_total: int | None
    last_post_on: datetime.date | None
    interaction_enabled: bool


# Keeps IN (...) lists well under SQLite's and PostgreSQL's parameter limits.
METRICS_CHUNK = 500


@transaction.atomic
def account_set_metrics(*, metrics: Mapping[int, AccountMetrics]) -> int:
    """Set the latest monitoring figures of many accounts (account pk → figures), the only
    writer of those fields (review.services.metrics_import calls it). Set-based for imports
    of 100,000 rows: per chunk one locking read and one bulk update, no per-account query.
    Not a state change, so no AccountTransition: the review app's MetricSnapshot rows are
    the history. Returns how many accounts were updated."""
    now = timezone.now()
    written = 0
    ids = sorted(metrics)  # one lock order for every writer: no deadlock between imports
    for start in range(0, len(ids), METRICS_CHUNK):
        chunk = ids[start : start + METRICS_CHUNK]
        current = (
            Account.objects.select_for_update()
            .filter(pk__in=chunk)
            .order_by("pk")
            .values_list("pk", "followers", "posts_total", "last_post_on")
        )
        accounts = []
        for pk, followers, posts_total, last_post_on in current:
            m = metrics[pk]
            accounts.append(
                Account(
                    pk=pk,
                    followers=m.followers if m.followers is not None else followers,
                    posts_total=m.posts_total if m.posts_total is not None else posts_total,
                    last_post_on=m.last_post_on if m.last_post_on is not None else last_post_on,
                    interaction_enabled=m.interaction_enabled,
                    updated=now,
                )
            )
        Account.objects.bulk_update(
            accounts,
            ["followers", "posts_total", "last_post_on", "interaction_enabled", "updated"],
            batch_size=METRICS_CHUNK,
        )
        written += len(accounts)
    return written


# AccountTransition.name of the row that records a closure's successor plan.
CLOSURE_PLAN = "closure_plan"
ERR_NOT_CLOSING = _("账号当前状态为「{state}」，只有关停程序中的账号可以登记承接渠道或发布关停公告。")


def _write_closure_plan(
    account: Account, *, successor: Account | None, channels: list[dict[str, str]]
) -> Account:
    """Lock the account, check it is in the closure procedure (else TransitionError) and
    write its successor plan; the callers add their audit row."""
    locked = Account.objects.select_for_update().get(pk=account.pk)
    if locked.state != AccountState.CLOSING:
        raise TransitionError(str(ERR_NOT_CLOSING).format(state=locked.get_state_display()))
    locked.successor = successor
    locked.successor_channels = channels
    locked.save(update_fields=["successor", "successor_channels", "updated"])
    return locked


@transaction.atomic
def account_set_closure_plan(
    *,
    account: Account,
    actor: User | None,
    successor: Account | None,
    channels: list[dict[str, str]],
    process_id: int | None = None,
) -> Account:
    """Record the named successor and channels of a closure/merger (cleaned by
    clean_successor_channels) on an account in the closure procedure, with its audit row."""
    locked = _write_closure_plan(account, successor=successor, channels=channels)
    AccountTransition.objects.create(
        account=locked, from_state=locked.state, to_state=locked.state, name=CLOSURE_PLAN,
        actor=actor if getattr(actor, "pk", None) else None, process_id=process_id,
        data={"successor": successor.pk if successor else None, "channels": channels},
    )
    return locked


# -- closure announcements (the public record) ---------------------------------------------

# AccountTransition.name of the announcement row (lifecycle.selectors_public reads it).
ANNOUNCE = "announce"


@transaction.atomic
def account_announce_closure(
    *,
    account: Account,
    actor: User | None,
    successor: Account | None,
    channels: list[dict[str, str]],
    kind: str,
    number: str,
    notice_id: int | None,
    reason: str,
    stop_on: str,
    announced_on: str,
    process_id: int | None = None,
) -> Account:
    """Announce a closure/merger: record its successor plan (cleaned by
    clean_successor_channels) on the account and the public record of the announcement — an
    audit row (state unchanged) carrying the notice number, so the portal can list and link
    it without the notices app. Only for an account in the closure procedure."""
    locked = _write_closure_plan(account, successor=successor, channels=channels)
    AccountTransition.objects.create(
        account=locked, from_state=locked.state, to_state=locked.state, name=ANNOUNCE,
        actor=actor if getattr(actor, "pk", None) else None, reason=reason,
        process_id=process_id,
        data={"kind": kind, "number": number, "notice_id": notice_id, "stop_on": stop_on,
              "announced_on": announced_on},
    )
    return locked
