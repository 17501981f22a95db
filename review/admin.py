"""Admin for periodic review: rule sets and indicators, campaigns, inspections with findings,
metric snapshots and public feedback.

Reads only; no admin screen changes account state (that goes through services).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from review.models import (
    POINTS_ARE_DEFAULTS,
    Campaign,
    Feedback,
    Finding,
    Indicator,
    Inspection,
    MetricSnapshot,
    RuleSet,
)


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ["position", "part", "code", "name", "max_points", "automatic", "params"]
    ordering = ["part", "position", "code"]


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "active", "deduction_points", "created"]
    list_filter = ["active"]
    search_fields = ["name", "version"]
    inlines = [IndicatorInline]
    actions = ["activate"]
    fieldsets = [
        (
            None,
            {"fields": ["name", "version", "active", "note", "params"], "description": POINTS_ARE_DEFAULTS},
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RuleSet]:
        return super().get_queryset(request).prefetch_related("indicators")

    @admin.display(description=_("扣分项合计"))
    def deduction_points(self, obj: RuleSet) -> int:
        return obj.deduction_total()

    def save_model(self, request: HttpRequest, obj: RuleSet, form: Any, change: bool) -> None:
        # One active rule set (constraint ruleset_one_active): activating this one
        # deactivates the others in the same transaction.
        with transaction.atomic():
            if obj.active:
                RuleSet.objects.filter(active=True).exclude(pk=obj.pk).update(active=False)
            super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        total = form.instance.deduction_total()
        if total != 100:
            self.message_user(
                request,
                _("扣分项分值合计为 %(total)s，应为 100。") % {"total": total},
                level=messages.WARNING,
            )

    @admin.action(description=_("启用所选指标体系（停用其他）"))
    def activate(self, request: HttpRequest, queryset: QuerySet[RuleSet]) -> None:
        if queryset.count() != 1:
            self.message_user(request, _("请只选择一个指标体系。"), level=messages.ERROR)
            return
        chosen = queryset.get()
        with transaction.atomic():
            RuleSet.objects.filter(active=True).exclude(pk=chosen.pk).update(active=False)
            RuleSet.objects.filter(pk=chosen.pk).update(active=True)
        self.message_user(request, _("已启用：%(name)s") % {"name": chosen})


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "part", "max_points", "automatic", "rule_set"]
    list_filter = ["rule_set", "part", "automatic"]
    search_fields = ["code", "name"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "period",
        "kind",
        "scope_unit",
        "ratio",
        "seed",
        "rule_set",
        "state",
        "created_by",
        "created",
    ]
    list_filter = ["kind", "state", "rule_set"]
    search_fields = ["period", "scope_unit__name", "scope_unit__code"]
    list_select_related = ["scope_unit", "rule_set", "created_by"]
    raw_id_fields = ["scope_unit", "created_by"]
    readonly_fields = ["created", "closed_at"]

    def save_model(self, request: HttpRequest, obj: Campaign, form: Any, change: bool) -> None:
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        if obj.state == "closed" and obj.closed_at is None:
            obj.closed_at = timezone.now()
        super().save_model(request, obj, form, change)


class FindingInline(admin.TabularInline):
    model = Finding
    extra = 0
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = ["indicator", "points", "automatic", "evidence_text", "evidence_url", "evidence_file"]
    raw_id_fields = ["indicator"]


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = [
        "account",
        "as_of",
        "campaign",
        "verdict",
        "score",
        "zombie",
        "days_since_last_post",
        "inspector",
    ]
    list_filter = ["verdict", "zombie", "campaign"]
    search_fields = ["account__name", "account__platform_id"]
    list_select_related = ["account", "campaign", "inspector"]
    raw_id_fields = ["account", "campaign", "inspector"]
    date_hierarchy = "as_of"
    inlines = [FindingInline]


@admin.register(MetricSnapshot)
class MetricSnapshotAdmin(admin.ModelAdmin):
    list_display = ["account", "as_of", "followers", "posts_total", "last_post_on", "interaction_enabled"]
    list_filter = ["interaction_enabled"]
    search_fields = ["account__name", "account__platform_id"]
    list_select_related = ["account"]
    raw_id_fields = ["account"]
    date_hierarchy = "as_of"


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["account", "kind", "short_text", "created", "handled_at", "handled_by"]
    list_filter = ["kind", ("handled_at", admin.EmptyFieldListFilter)]
    search_fields = ["account__name", "text", "contact"]
    list_select_related = ["account", "handled_by"]
    raw_id_fields = ["account", "handled_by"]
    readonly_fields = ["created"]
    actions = ["mark_handled"]

    @admin.display(description=_("内容"))
    def short_text(self, obj: Feedback) -> str:
        return obj.text[:40]

    @admin.action(description=_("标记为已处理"))
    def mark_handled(self, request: HttpRequest, queryset: QuerySet[Feedback]) -> None:
        n = queryset.filter(handled_at=None).update(handled_at=timezone.now(), handled_by=request.user)
        self.message_user(request, _("已处理 %(n)s 条。") % {"n": n})
