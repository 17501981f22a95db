"""Units, people and accounts. State lives here; every write goes through services.py."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition


class UnitLevel(models.TextChoices):
    PROVINCE = "province", _("省级")
    CITY = "city", _("市级")
    COUNTY = "county", _("县级")
    TOWNSHIP = "township", _("乡镇（街道）")
    COMMUNITY = "community", _("村（社区）")


class UnitKind(models.TextChoices):
    GOVERNMENT_OFFICE = "government_office", _("政府办公厅（室）")
    DEPARTMENT = "department", _("部门")
    INSTITUTION = "institution", _("事业单位")
    INTERNAL = "internal", _("内设机构")
    COMMUNITY_COMMITTEE = "community_committee", _("村（居）委会")


class Role(models.TextChoices):
    APPLICANT = "applicant", _("填报员")
    UNIT_HEAD = "unit_head", _("单位负责人")
    APPROVER = "approver", _("审核人")
    SUPERVISOR_REVIEWER = "supervisor_reviewer", _("主管复核人")
    INSPECTOR = "inspector", _("检查员")
    ARCHIVIST = "archivist", _("档案员")
    ADMIN = "admin", _("管理员")


class Platform(models.TextChoices):
    WECHAT_OFFICIAL = "wechat_official", _("微信公众号")
    WECHAT_CHANNELS = "wechat_channels", _("微信视频号")
    MINI_PROGRAM = "mini_program", _("小程序")
    WEIBO = "weibo", _("微博")
    DOUYIN = "douyin", _("抖音")
    KUAISHOU = "kuaishou", _("快手")
    TOUTIAO = "toutiao", _("今日头条")
    BAIJIAHAO = "baijiahao", _("百家号")
    XIAOHONGSHU = "xiaohongshu", _("小红书")
    BILIBILI = "bilibili", _("哔哩哔哩")
    APP = "app", _("移动客户端")
    QUICK_APP = "quick_app", _("快应用")
    OTHER = "other", _("其他")


class AccountState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    APPLYING = "applying", _("申请中")
    APPROVED = "approved", _("已批准待注册")
    ACTIVE = "active", _("运行中")
    RECTIFYING = "rectifying", _("整改中")
    CLOSING = "closing", _("关停中")
    CLOSED = "closed", _("已关停")
    MERGED = "merged", _("已整合")


# States in which an account still occupies its unit's slot on a platform
# (lifecycle.services.check_one_per_platform reads it).
LIVE_STATES = (
    AccountState.APPLYING,
    AccountState.APPROVED,
    AccountState.ACTIVE,
    AccountState.RECTIFYING,
    AccountState.CLOSING,
)
ENDED_STATES = (AccountState.CLOSED, AccountState.MERGED)


class ChannelKind(models.TextChoices):
    ACCOUNT = "account", _("账号")
    WEBSITE = "website", _("网站")
    APP = "app", _("移动客户端")
    PHONE = "phone", _("电话")
    ADDRESS = "address", _("地址")
    OTHER = "other", _("其他")


class UnitQuerySet(models.QuerySet):
    def subtree(self, unit: Unit) -> UnitQuerySet:
        """The unit and everything under it: one indexed prefix query on `path`."""
        return self.filter(path__startswith=unit.path)


class Unit(models.Model):
    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=200)
    short_name = models.CharField(_("发文机关代字"), max_length=20, blank=True)
    level = models.CharField(_("层级"), max_length=16, choices=UnitLevel.choices)
    kind = models.CharField(_("类别"), max_length=32, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级单位"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    supervisor = models.ForeignKey(
        "self", verbose_name=_("主管单位"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="supervised",
        help_text=_("默认为同级政府办公厅（室）"),
    )
    may_open_accounts = models.BooleanField(_("可开设账号"), default=True)
    # Materialized path "/<pk>/<pk>/…/": every "units under X" list is
    # Unit.objects.subtree(x) == path LIKE 'x.path%' (index below, selectors.scope_*).
    path = models.CharField(max_length=512, editable=False, default="")

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["path"]
        indexes = [
            # Prefix scans for subtree scoping (lifecycle.selectors).
            # varchar_pattern_ops lets PostgreSQL use it for LIKE 'prefix%' in any collation.
            models.Index(fields=["path"], name="unit_path_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1

    def ancestors(self) -> list[Unit]:
        """Ancestors from the root down, excluding self (one query)."""
        ids = [int(p) for p in self.path.strip("/").split("/")[:-1] if p]
        by_id = {u.pk: u for u in Unit.objects.filter(pk__in=ids)}
        return [by_id[i] for i in ids if i in by_id]

    def is_within(self, other: Unit) -> bool:
        return self.path.startswith(other.path)

    def save(self, *args, **kwargs) -> None:
        """Keep `path` consistent: computed from the parent, rewritten for descendants on a move."""
        old_path = self.path
        if self.pk is None:
            super().save(*args, **kwargs)
            kwargs = {}
        parent_path = self.parent.path if self.parent_id else "/"
        self.path = f"{parent_path}{self.pk}/"
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            for child in Unit.objects.filter(path__startswith=old_path).exclude(pk=self.pk):
                child.path = self.path + child.path[len(old_path):]
                super(Unit, child).save(update_fields=["path"])


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("角色"), max_length=32, choices=Role.choices)

    class Meta:
        verbose_name = _("岗位")
        verbose_name_plural = _("岗位")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique"),
        ]
        indexes = [
            # Candidate lookup for a chain step (approvals.selectors.candidates_for).
            models.Index(fields=["unit", "role"], name="membership_unit_role_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.unit} ({self.get_role_display()})"


class Account(ConcurrentTransitionMixin, models.Model):
    name = models.CharField(_("账号名称"), max_length=200)
    platform = models.CharField(_("平台"), max_length=32, choices=Platform.choices)
    platform_id = models.CharField(_("平台账号ID"), max_length=200, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("主办单位"), on_delete=models.PROTECT, related_name="accounts"
    )
    supervisor_unit = models.ForeignKey(
        Unit, verbose_name=_("主管单位"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="supervised_accounts",
    )
    operator = models.CharField(_("运维单位"), max_length=200, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=100, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=50, blank=True)
    contact_email = models.EmailField(_("联系邮箱"), max_length=254, blank=True)
    purpose = models.TextField(_("开设用途"), blank=True)
    verified_subject = models.CharField(_("认证主体"), max_length=200, blank=True)
    interaction_enabled = models.BooleanField(_("互动功能"), default=True)
    exemption_reason = models.TextField(_("同平台多账号理由"), blank=True)
    plan = models.FileField(_("实施方案"), upload_to="plans/%Y/", blank=True)
    opened_on = models.DateField(_("开设日期"), null=True, blank=True)
    closed_on = models.DateField(_("关停日期"), null=True, blank=True)
    successor = models.ForeignKey(
        "self", verbose_name=_("承接账号"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="predecessors",
    )
    successor_channels = models.JSONField(_("承接渠道"), default=list, blank=True)
    reopens = models.ForeignKey(
        "self", verbose_name=_("重新开设自"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="reopened_by",
    )
    followers = models.PositiveIntegerField(_("粉丝数"), null=True, blank=True)
    posts_total = models.PositiveIntegerField(_("发文总数"), null=True, blank=True)
    last_post_on = models.DateField(_("最近发文日期"), null=True, blank=True)
    state = FSMField(
        _("状态"), max_length=16, choices=AccountState.choices,
        default=AccountState.DRAFT, protected=True,
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("账号")
        verbose_name_plural = _("账号")
        ordering = ["name", "pk"]
        indexes = [
            # One-per-platform rule and metrics import look-ups (lifecycle.services); with
            # `id` it also answers the dashboard's accounts by state × level × platform
            # (workbench dashboard, COUNT(id) per group) and the register's state/platform
            # filters from the index alone, without reading the table (issue 15 item 4).
            models.Index(fields=["unit", "platform", "state", "id"],
                         name="account_unit_platform_st_idx"),
            # The dashboard's openings and closings per month of the year (date ranges).
            models.Index(fields=["opened_on"], name="account_opened_on_idx"),
            models.Index(fields=["closed_on"], name="account_closed_on_idx"),
            models.Index(fields=["platform", "platform_id"], name="account_platform_id_idx"),
            models.Index(fields=["state"], name="account_state_idx"),
            models.Index(fields=["name"], name="account_name_idx"),
            # `/api/accounts/` (lifecycle.api_accounts, paged by key): the page's ids of the
            # reader's accounts in name order, `SELECT id … JOIN unit … WHERE unit.path LIKE
            # 'scope%' ORDER BY name, id LIMIT n`, index-only per unit of the subtree and a
            # top-n sort, instead of walking account_name_idx over the whole province.
            models.Index(fields=["unit", "name", "id"], name="account_unit_name_idx"),
            # Accounts at risk of the no-update line (review.warnings.accounts_at_risk: the
            # dashboard's panel, the warnings page, run_due's early warnings): the accounts
            # whose last post falls in the few days between the warning and the line, a
            # range on this index OR'd with the same range on account_opened_on_idx, instead
            # of every active account of the province.
            models.Index(fields=["last_post_on"], name="account_last_post_on_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_platform_display()}）"

    @classmethod
    def field_label(cls, name: str) -> str:
        """A field's label for people (history, change requests); the code of a field since
        removed."""
        try:
            return str(cls._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            return name

    # -- transitions (DESIGN §5). Pure: services lock, save and audit. -------------

    @transition(field=state, source=AccountState.DRAFT, target=AccountState.APPLYING)
    def submit(self) -> None:
        pass

    @transition(field=state, source=AccountState.APPLYING, target=AccountState.DRAFT)
    def reject(self) -> None:
        pass

    @transition(field=state, source=AccountState.APPLYING, target=AccountState.DRAFT)
    def withdraw(self) -> None:
        pass

    @transition(field=state, source=AccountState.APPLYING, target=AccountState.APPROVED)
    def approve_opening(self) -> None:
        pass

    @transition(field=state, source=AccountState.APPROVED, target=AccountState.ACTIVE)
    def register(self, *, platform_id: str, verified_subject: str, live_on) -> None:
        self.platform_id = platform_id
        self.verified_subject = verified_subject
        self.opened_on = live_on

    @transition(field=state, source=AccountState.ACTIVE, target=AccountState.RECTIFYING)
    def order_rectification(self) -> None:
        pass

    @transition(field=state, source=AccountState.RECTIFYING, target=AccountState.ACTIVE)
    def pass_recheck(self) -> None:
        pass

    @transition(field=state, source=AccountState.RECTIFYING, target=AccountState.CLOSING)
    def fail_recheck(self) -> None:
        pass

    @transition(field=state, source=AccountState.ACTIVE, target=AccountState.CLOSING)
    def start_closure(self) -> None:
        pass

    @transition(field=state, source=AccountState.CLOSING, target=AccountState.CLOSED)
    def deregister(self, *, deregistered_on) -> None:
        self.closed_on = deregistered_on

    @transition(field=state, source=AccountState.CLOSING, target=AccountState.MERGED)
    def merge_into(self, *, successor: Account, deregistered_on) -> None:
        self.successor = successor
        self.closed_on = deregistered_on


class AccountTally(models.Model):
    """How many accounts lie under `unit` (itself or any unit below it) per level of their
    own unit × platform × state: the dashboard's accounts by state, level and platform
    read these rows for the reader's top units — a few hundred rows at most, whatever the
    number of accounts (issue 15 item 4).

    Derived data, never written by Python: database triggers on lifecycle_account and
    lifecycle_unit (lifecycle.tallies, migration 0008) change it in the same statement
    as any account row (create, every transition, merge, close, import, bulk inserts,
    deletes) or unit move, so it is exact in every transaction. `manage.py
    rebuild_account_tallies` rebuilds it from the accounts and can check it."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=16, choices=UnitLevel.choices)
    platform = models.CharField(max_length=32, choices=Platform.choices)
    state = models.CharField(max_length=16, choices=AccountState.choices)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "level", "platform", "state"],
                                    name="account_tally_key"),
        ]


class AccountDayTally(models.Model):
    """How many accounts under `unit` (itself or below) opened (`kind` "opened",
    Account.opened_on) or closed ("closed", Account.closed_on) on `day`: the dashboard's
    openings and closings per month read at most a year of days per top unit. Kept by
    the same triggers as AccountTally."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8)
    day = models.DateField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "kind", "day"], name="account_day_tally_key"),
        ]


class AccountTransition(models.Model):
    """Append-only audit row, written in the same transaction as the state change."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    name = models.CharField(_("操作"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(blank=True)
    process_id = models.BigIntegerField(null=True, blank=True)
    task_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)
    # No outbox stamp: a transition's side effects (the notice it issues, e-mail) run after
    # commit, and what must not be lost is retried by its own owner (render_notices for
    # notices, run_due's mail attempts), so nothing ever consumed a `processed` column.

    class Meta:
        verbose_name = _("状态变更记录")
        verbose_name_plural = _("状态变更记录")
        ordering = ["at", "pk"]
        indexes = [
            # Account history endpoint (lifecycle.selectors.account_history).
            models.Index(fields=["account", "at"], name="transition_account_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.from_state or '∅'} → {self.to_state} ({self.name})"


class Notification(models.Model):
    """One in-app message to one user (lifecycle.notifications writes them; the workbench
    shows them). `kind` is a code of lifecycle.notifications.KINDS — a plain string, so a
    higher layer may register a kind without a migration. `link` is a site-local path."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("类别"), max_length=40)
    # `title` is a source-language (Chinese) template, translated when shown and filled
    # with `params` (names, numbers): the same row reads in either language.
    title = models.CharField(_("标题"), max_length=200)
    params = models.JSONField(default=dict, blank=True)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # Once-only key: a second notify() with the same (recipient, key) writes nothing.
    key = models.CharField(max_length=120, blank=True)
    created = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读于"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=~models.Q(key=""),
                name="notification_once_per_key",
            ),
        ]
        indexes = [
            # The list page and the unread badge (lifecycle.selectors.notifications_for).
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
            models.Index(fields=["recipient", "created"], name="notification_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.kind} {self.text}"

    @property
    def text(self) -> str:
        """The title in the active language, filled with its params."""
        try:
            return gettext(self.title).format(**(self.params or {}))
        except (KeyError, IndexError, ValueError):
            return self.title


class NotificationPreference(models.Model):
    """A user's choice for one kind; without a row the kind's defaults apply."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(_("类别"), max_length=40)
    in_app = models.BooleanField(_("站内通知"), default=True)
    email = models.BooleanField(_("电子邮件"), default=False)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind} in_app={self.in_app} email={self.email}"


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", _("登录成功")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGOUT = "logout", _("退出登录")
    LOCKOUT = "lockout", _("账户锁定")
    UNLOCK = "unlock", _("解除锁定")
    TOKEN_ISSUED = "token_issued", _("签发令牌")
    TOKEN_REVOKED = "token_revoked", _("吊销令牌")
    PASSWORD_CHANGED = "password_changed", _("修改密码")
    DENIED = "denied", _("拒绝访问")
    DELEGATION = "delegation", _("委托代办")
    ROLE_CHANGE = "role_change", _("角色变更")
    ADMIN_CHANGE = "admin_change", _("后台变更")
    OTP_ENROLLED = "otp_enrolled", _("启用双因素认证")
    OTP_VERIFIED = "otp_verified", _("双因素认证通过")
    OTP_FAILED = "otp_failed", _("动态验证码错误")
    OTP_RESET = "otp_reset", _("重置双因素认证")


class SecurityEvent(models.Model):
    """The security log (等保 安全审计): append-only and hash-chained. Each row's `hash` is
    SHA-256 over the previous row's hash and this row's content (lifecycle.security), so an
    edited or deleted row breaks the chain (`manage.py verify_audit`); on PostgreSQL a
    trigger also rejects UPDATE and DELETE (migration lifecycle/0004)."""

    at = models.DateTimeField(_("时间"), db_index=True)
    kind = models.CharField(_("事件"), max_length=24, choices=SecurityEventKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", db_constraint=False,
    )
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    ip = models.CharField(_("地址"), max_length=64, blank=True)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    action = models.CharField(_("操作"), max_length=200, blank=True)
    target = models.CharField(_("对象"), max_length=200, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("安全日志")
        verbose_name_plural = _("安全日志")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["kind", "at"], name="security_event_kind_at_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()} {self.username}"


class PasswordHistory(models.Model):
    """The hashes of a user's recent passwords (no reuse of the last N) and whether the
    current one was set by an administrator and must be changed at the next login."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="password_history")
    password = models.CharField(max_length=128)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]


class PasswordState(models.Model):
    """`must_change`: the password was set by someone else (an import, an administrator);
    the user is sent to the password change page until they choose their own."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="password_state")
    must_change = models.BooleanField(default=False)
    changed_at = models.DateTimeField(null=True, blank=True)
