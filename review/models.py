"""Periodic review (DESIGN §4, §8; BRIEF §2): rule sets and indicators as data, inspection
campaigns, inspections and their findings, imported monitoring metrics and public feedback.

The scoring itself is pure (review/scoring.py); these rows only hold what was decided.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lifecycle.models import Account

POINTS_ARE_DEFAULTS = _(
    "分值为系统默认值（官方扣分细则未公开），应按上级正式印发的指标表替换；"
    "扣分项满分合计应为 100 分。"
)


class IndicatorPart(models.TextChoices):
    VETO = "veto", _("单项否决")
    DEDUCTION = "deduction", _("扣分")


class RuleSet(models.Model):
    """A versioned indicator table. Exactly one is active: `review` and new campaigns use it;
    a campaign keeps the rule set it started with."""

    name = models.CharField(_("名称"), max_length=200)
    version = models.CharField(_("版本"), max_length=50)
    active = models.BooleanField(_("启用"), default=False)
    note = models.TextField(_("说明"), blank=True, help_text=POINTS_ARE_DEFAULTS)
    # {"zombie_days": 90, "pass_mark": 60, "low_reach": {"followers_below": 100,
    #  "posts_per_year_below": 12}} — read by review.evaluation.rules_from_rule_set.
    params = models.JSONField(
        _("参数"), default=dict, blank=True,
        help_text=_(
            "zombie_days：超过多少天未更新视为僵尸号；pass_mark：合格分数线；"
            "low_reach：低关注阈值（followers_below 粉丝数低于、posts_per_year_below 年发文数低于）。"
        ),
    )
    # Effective dates of this version (issue 14 item 4): informational for the rule set list
    # and the diff page; rule_set_activate refuses a version that has already expired.
    effective_from = models.DateField(_("生效日期"), null=True, blank=True)
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("指标体系")
        verbose_name_plural = _("指标体系")
        ordering = ["-active", "name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["name", "version"], name="ruleset_name_version"),
            # review.evaluation.active_rule_set() relies on there being at most one.
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="ruleset_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.version}）"

    def clean(self) -> None:
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": _("失效日期不能早于生效日期。")})

    def deduction_total(self) -> int:
        return sum(
            i.max_points for i in self.indicators.all() if i.part == IndicatorPart.DEDUCTION
        )


class ValueStatus(models.TextChoices):
    OFFICIAL = "official", _("正式")
    PROVISIONAL = "provisional", _("暂定（待核实来源）")


# Marks an indicator whose source is a local rule rather than a published URL.
LOCAL_RULE = "本地规定"
ERR_OFFICIAL_NEEDS_SOURCE = _("标为“正式”的指标须填写来源文号，以及条款或来源链接（或“本地规定”）。")
ERR_SOURCE_URL = _("来源链接须为 http(s) 网址，或填写“本地规定”。")


class Indicator(models.Model):
    rule_set = models.ForeignKey(
        RuleSet, verbose_name=_("指标体系"), on_delete=models.CASCADE, related_name="indicators"
    )
    part = models.CharField(_("类别"), max_length=16, choices=IndicatorPart.choices)
    code = models.CharField(_("代码"), max_length=50)
    name = models.CharField(_("名称"), max_length=200)
    max_points = models.PositiveSmallIntegerField(
        _("分值"), default=0,
        help_text=_("扣分项的满分（该项扣分以此为上限）；否决项填 0。") + POINTS_ARE_DEFAULTS,
    )
    automatic = models.BooleanField(_("自动判定"), default=False)
    params = models.JSONField(
        _("参数"), default=dict, blank=True, help_text=_('例如 {"days": 14}')
    )
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    # Where the indicator and its value come from (issue 14 item 4; docs/review.md).
    source_document = models.CharField(
        _("来源文号"), max_length=100, blank=True, help_text=_("如 国办秘函〔2019〕19号")
    )
    source_article = models.CharField(
        _("条款"), max_length=100, blank=True, help_text=_("如 第三条、附件2第5项")
    )
    source_url = models.CharField(
        _("来源链接"), max_length=500, blank=True,
        help_text=_("公开文件的网址；本地制定的填“本地规定”"),
    )
    value_status = models.CharField(
        _("取值依据"), max_length=16, choices=ValueStatus.choices, default=ValueStatus.PROVISIONAL,
        help_text=_("填写来源后方可标为正式；未核实来源的分值为暂定。"),
    )

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["rule_set", "part", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["rule_set", "code"], name="indicator_code_per_set"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if self.part == IndicatorPart.VETO and self.max_points:
            raise ValidationError({"max_points": _("否决项不计分值，请填 0。")})
        url = (self.source_url or "").strip()
        if url and url != LOCAL_RULE and not url.lower().startswith(("http://", "https://")):
            raise ValidationError({"source_url": ERR_SOURCE_URL})
        if self.value_status == ValueStatus.OFFICIAL and not (
            self.source_document.strip() and (self.source_article.strip() or url)
        ):
            raise ValidationError({"value_status": ERR_OFFICIAL_NEEDS_SOURCE})

    @property
    def sourced(self) -> bool:
        return self.value_status == ValueStatus.OFFICIAL


class CampaignKind(models.TextChoices):
    QUARTERLY = "quarterly", _("季度抽查")
    ANNUAL = "annual", _("年度考核")
    SPECIAL = "special", _("专项检查")


class CampaignState(models.TextChoices):
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")


ERR_RATIO = _("抽查比例必须大于 0 且不超过 1。")


class Campaign(models.Model):
    period = models.CharField(
        _("期次"), max_length=16,
        validators=[RegexValidator(r"^\d{4}(Q[1-4]|H[12]|M(0[1-9]|1[0-2]))?$",
                                   _("期次格式如 2019Q2、2019H1、2019M06 或 2019。"))],
        help_text=_("如 2019Q2"),
    )
    kind = models.CharField(_("类型"), max_length=16, choices=CampaignKind.choices)
    scope_unit = models.ForeignKey(
        "lifecycle.Unit", verbose_name=_("检查范围"), on_delete=models.PROTECT,
        related_name="campaigns",
    )
    ratio = models.DecimalField(
        _("抽查比例"), max_digits=4, decimal_places=3, default=Decimal("0.1"),
        help_text=_("大于 0 且不超过 1，例如 0.1 表示 10%"),
    )
    seed = models.PositiveIntegerField(_("随机种子"), default=0, help_text=_("相同种子抽样结果可复现"))
    rule_set = models.ForeignKey(
        RuleSet, verbose_name=_("指标体系"), on_delete=models.PROTECT, related_name="campaigns"
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=CampaignState.choices, default=CampaignState.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    created = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    # The unit whose inspectors get the tasks and which issues the 通报 (DESIGN §8: "the
    # inspecting unit"); approvals.services.inspections.campaign_create sets it.
    inspecting_unit = models.ForeignKey(
        "lifecycle.Unit", verbose_name=_("检查单位"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    as_of = models.DateField(_("监测时间点"), null=True, blank=True)
    # Published on close (approvals.services.inspections.campaign_close): {"total", "passed",
    # "failed", "pass_rate", "by_unit": [...], "failed_accounts": [ids], "notice": {...}}.
    results = models.JSONField(_("检查结果"), default=dict, blank=True)

    class Meta:
        verbose_name = _("检查活动")
        verbose_name_plural = _("检查活动")
        ordering = ["-created", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ratio__gt=0) & Q(ratio__lte=1), name="campaign_ratio_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.get_kind_display()}（{self.scope_unit}）"

    def clean(self) -> None:
        if self.ratio is not None and not (Decimal(0) < Decimal(self.ratio) <= Decimal(1)):
            raise ValidationError({"ratio": ERR_RATIO})


class Verdict(models.TextChoices):
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")


class Inspection(models.Model):
    """One account checked on one date: automatic flags plus the inspector's findings."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("检查活动"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="inspections",
    )
    account = models.ForeignKey(
        Account, verbose_name=_("账号"), on_delete=models.CASCADE,
        related_name="inspections",
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("检查员"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    as_of = models.DateField(_("监测时间点"))
    vetoes = models.JSONField(_("否决项"), default=list, blank=True)
    # Null when a veto applies: a vetoed account is not scored (国办秘函〔2019〕19号).
    score = models.PositiveSmallIntegerField(_("得分"), null=True, blank=True)
    verdict = models.CharField(_("结论"), max_length=8, choices=Verdict.choices, blank=True)
    zombie = models.BooleanField(_("僵尸号"), default=False)
    days_since_last_post = models.IntegerField(_("距最近发文天数"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("检查记录")
        verbose_name_plural = _("检查记录")
        ordering = ["-as_of", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "account"], condition=Q(campaign__isnull=False),
                name="inspection_once_per_campaign",
            ),
        ]
        indexes = [
            # "Latest inspection of each account" (review.evaluation.manual_findings).
            models.Index(fields=["account", "as_of"], name="inspection_account_asof_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account} @ {self.as_of}"


def evidence_upload_to(instance: Any, filename: str) -> str:
    return f"evidence/{instance.inspection_id or 'new'}/{filename}"


class Finding(models.Model):
    inspection = models.ForeignKey(
        Inspection, verbose_name=_("检查记录"), on_delete=models.CASCADE, related_name="findings"
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), on_delete=models.PROTECT, related_name="findings"
    )
    points = models.PositiveSmallIntegerField(
        _("扣分"), default=0, help_text=_("否决项填 0；扣分项超过该项分值时按分值计。")
    )
    evidence_text = models.TextField(_("证据说明"), blank=True)
    evidence_url = models.URLField(_("证据链接"), max_length=1000, blank=True)
    evidence_file = models.FileField(_("截图/附件"), upload_to=evidence_upload_to, blank=True)
    automatic = models.BooleanField(_("自动判定"), default=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("检查发现")
        verbose_name_plural = _("检查发现")
        ordering = ["inspection", "indicator__part", "indicator__position", "pk"]

    def __str__(self) -> str:
        return f"{self.indicator.code}: {self.points}"


class MetricSnapshot(models.Model):
    account = models.ForeignKey(
        Account, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="snapshots"
    )
    as_of = models.DateField(_("统计日期"))
    followers = models.PositiveIntegerField(_("粉丝数"), null=True, blank=True)
    posts_total = models.PositiveIntegerField(_("发文总数"), null=True, blank=True)
    last_post_on = models.DateField(_("最近发文日期"), null=True, blank=True)
    interaction_enabled = models.BooleanField(_("互动功能"), default=True)
    # Who wrote the figures and through which door (issue 12 item 3): `api`, `cli`, `demo`.
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("写入人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    source = models.CharField(_("来源"), max_length=16, blank=True)
    written_at = models.DateTimeField(_("写入时间"), null=True, blank=True)

    class Meta:
        # Append-only (issue 12 item 3): a correction of an account's figures for a day is a
        # new row; the row with the highest id of an (account, as_of) pair is the current one
        # (review.selectors.current_snapshots). On PostgreSQL a trigger rejects UPDATE and
        # DELETE (migration review/0008).
        verbose_name = _("监测数据")
        verbose_name_plural = _("监测数据")
        indexes = [
            models.Index(fields=["account", "as_of", "id"], name="snapshot_account_day_idx"),
        ]


class FeedbackKind(models.TextChoices):
    ERROR_REPORT = "error_report", _("纠错")
    PRAISE = "praise", _("好评")
    COMPLAINT = "complaint", _("差评")


class Feedback(models.Model):
    account = models.ForeignKey(
        Account, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="feedback"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=FeedbackKind.choices)
    text = models.TextField(_("内容"), blank=True)
    contact = models.CharField(_("联系方式"), max_length=200, blank=True)
    created = models.DateTimeField(_("提交时间"), auto_now_add=True)
    handled_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("处理人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        verbose_name = _("公众反馈")
        verbose_name_plural = _("公众反馈")
        ordering = ["-created"]


class WarningCode(models.TextChoices):
    NO_UPDATE = "NO_UPDATE_14D", _("即将触发“2周内无更新”否决")
    LOW_REACH = "LOW_REACH", _("观察期将满，即将列入低关注名单")


class EarlyWarning(models.Model):
    """An early warning (预警): an account crossed a rule's warning threshold before its veto
    or listing. One open row per account × code — a new row (and a new message) only after
    the account recovered (cleared_on set) and crossed again. Written by
    review.warnings.warnings_record; notified_at is claimed by the run_due mail step."""

    account = models.ForeignKey(
        Account, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="warnings"
    )
    code = models.CharField(_("预警类型"), max_length=32, choices=WarningCode.choices)
    crossed_on = models.DateField(_("预警日期"))
    # The first day the veto (or the listing) applies if nothing changes.
    line_on = models.DateField(_("触线日期"))
    days_left = models.IntegerField(_("剩余天数"))
    judged_days = models.IntegerField(_("未更新天数"), null=True, blank=True)
    cleared_on = models.DateField(_("解除日期"), null=True, blank=True)
    notified_at = models.DateTimeField(_("通知时间"), null=True, blank=True)
    notified_to = models.TextField(_("通知对象"), blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        ordering = ["-crossed_on", "-pk"]
        constraints = [
            # warnings_record relies on one open warning per account and code.
            models.UniqueConstraint(
                fields=["account", "code"], condition=Q(cleared_on__isnull=True),
                name="warning_one_open_per_code",
            ),
        ]
        indexes = [
            # The run_due mail step reads the open, not yet notified rows.
            models.Index(
                fields=["notified_at"], condition=Q(cleared_on__isnull=True, notified_at__isnull=True),
                name="warning_unnotified_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.code} @ {self.crossed_on}"


# -- posts and content checks (issue 14 item 3; docs/review.md) ---------------------------


class Post(models.Model):
    """One imported post of an account (import_posts, POST /api/posts/). Checked against the
    content dictionaries and for external links once, when imported (ContentFinding)."""

    account = models.ForeignKey(
        Account, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="posts"
    )
    published_at = models.DateTimeField(_("发布时间"))
    title = models.CharField(_("标题"), max_length=500, blank=True)
    text = models.TextField(_("正文"), blank=True)
    url = models.CharField(_("链接"), max_length=1000)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("发文")
        verbose_name_plural = _("发文")
        ordering = ["-published_at", "-pk"]
        constraints = [
            # review.services.posts_import: re-importing a post (same account and link) skips it.
            models.UniqueConstraint(fields=["account", "url"], name="post_once_per_url"),
        ]
        indexes = [
            # Update metrics per account and period (review.posts.post_stats).
            models.Index(fields=["account", "published_at"], name="post_account_published_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.published_at:%Y-%m-%d} {self.title}"


class DictionaryKind(models.TextChoices):
    WRONG_TERM = "wrong_term", _("错误表述（如机构改革前旧称）")
    LEADER_NAME = "leader_name", _("领导人姓名错误写法")
    FORBIDDEN = "forbidden", _("禁用词")
    SENSITIVE = "sensitive", _("敏感词")


class Dictionary(models.Model):
    """A content dictionary owned by a supervising unit; it applies to the accounts of that
    unit's subtree. Versioned: every change bumps ``version`` and entries are never deleted
    (``added_in``/``removed_in``), so a finding names the version it was found with."""

    name = models.CharField(_("名称"), max_length=200)
    unit = models.ForeignKey(
        "lifecycle.Unit", verbose_name=_("维护单位"), on_delete=models.PROTECT,
        related_name="dictionaries",
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    active = models.BooleanField(_("启用"), default=True)
    note = models.TextField(_("说明"), blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("错敏词库")
        verbose_name_plural = _("错敏词库")
        ordering = ["unit__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "name"], name="dictionary_name_per_unit"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（v{self.version}）"


class DictionaryEntry(models.Model):
    dictionary = models.ForeignKey(
        Dictionary, verbose_name=_("词库"), on_delete=models.CASCADE, related_name="entries"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=DictionaryKind.choices)
    term = models.CharField(_("词语"), max_length=200, help_text=_("错误写法、禁用词或敏感词"))
    replacement = models.CharField(_("正确写法"), max_length=200, blank=True)
    source_note = models.CharField(
        _("依据"), max_length=500, help_text=_("来源说明，如 机构改革方案文号、上级通知")
    )
    added_in = models.PositiveIntegerField(_("加入版本"))
    removed_in = models.PositiveIntegerField(_("移除版本"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("词条")
        verbose_name_plural = _("词条")
        ordering = ["dictionary", "kind", "term"]
        constraints = [
            # review.services.dictionary_entry_add refuses a second live entry of a term.
            models.UniqueConstraint(
                fields=["dictionary", "term"], condition=Q(removed_in__isnull=True),
                name="dictionary_entry_live_term",
            ),
        ]

    def __str__(self) -> str:
        return self.term


class ContentFindingKind(models.TextChoices):
    WRONG_TERM = "wrong_term", _("错误表述")
    LEADER_NAME = "leader_name", _("领导人姓名错误")
    FORBIDDEN = "forbidden", _("禁用词")
    SENSITIVE = "sensitive", _("敏感词")
    INSECURE_LINK = "insecure_link", _("非 https 外链")
    EXTERNAL_LINK = "external_link", _("非政府网站外链")


class ContentFinding(models.Model):
    """A candidate problem in a post — evidence for the inspector, never a veto by itself."""

    post = models.ForeignKey(
        Post, verbose_name=_("发文"), on_delete=models.CASCADE, related_name="findings"
    )
    account = models.ForeignKey(
        Account, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="content_findings"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=ContentFindingKind.choices)
    matched = models.CharField(_("命中内容"), max_length=1000)
    suggestion = models.CharField(_("建议"), max_length=200, blank=True)
    entry = models.ForeignKey(
        DictionaryEntry, verbose_name=_("词条"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    source_note = models.CharField(_("依据"), max_length=500, blank=True)
    # "<dictionary id>@v<version>" the match was made with; blank for link checks.
    dictionary_version = models.CharField(_("词库版本"), max_length=50, blank=True)
    excerpt = models.CharField(_("上下文"), max_length=300, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("内容检查发现")
        verbose_name_plural = _("内容检查发现")
        ordering = ["-post__published_at", "pk"]
        indexes = [
            # The inspection sheet reads an account's candidates.
            models.Index(fields=["account", "created"], name="content_finding_account_idx"),
        ]
