"""Admin for periodic review: rule sets and indicators, campaigns, inspections with findings,
metric snapshots and public feedback; read-only screens of early warnings, posts, content
findings and dictionaries (issue 14) for the supervising staff and auditors.

State changes go through review.services (rule-set activation, feedback handling); no
admin screen writes a state field itself.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from lifecycle.admin_base import ReadOnlyAdmin
from lifecycle.selectors import accounts_for
from lifecycle.types import User
from review import services
from review.models import (
    POINTS_ARE_DEFAULTS,
    Campaign,
    ContentFinding,
    Dictionary,
    DictionaryEntry,
    EarlyWarning,
    Feedback,
    Finding,
    Indicator,
    Inspection,
    MetricSnapshot,
    Post,
    RuleSet,
)
from review.selectors import dictionaries_for, snapshot_superseded


def _actor(request: HttpRequest) -> User:
    # AdminSite.has_permission lets only active staff users in: never the anonymous user.
    return cast(User, request.user)


class IndicatorInline(admin.TabularInline):
    model = Indicator
    extra = 0
    fields = ["position", "part", "code", "name", "max_points", "automatic", "params",
              "source_document", "source_article", "source_url", "value_status"]
    ordering = ["part", "position", "code"]


class RuleSetForm(forms.ModelForm):
    """启用 is a plain form field, not written by the form: RuleSetAdmin.save_model hands a
    change of it to review.services (rule_set_activate deactivates the current set first),
    so the form does not check constraint ruleset_one_active against the ticked box."""

    active = forms.BooleanField(label=_("启用"), required=False)

    class Meta:
        model = RuleSet
        exclude = ["active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("active", self.instance.active)


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    form = RuleSetForm
    list_display = ["name", "version", "active", "effective_from", "effective_to",
                    "deduction_points", "provisional_count", "created"]
    list_filter = ["active"]
    search_fields = ["name", "version"]
    inlines = [IndicatorInline]
    actions = ["activate"]
    fieldsets = [
        (
            None,
            {"fields": ["name", "version", "active", "effective_from", "effective_to", "note", "params"],
             "description": POINTS_ARE_DEFAULTS},
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RuleSet]:
        return super().get_queryset(request).prefetch_related("indicators")

    @admin.display(description=_("暂定指标数"))
    def provisional_count(self, obj: RuleSet) -> int:
        return sum(1 for i in obj.indicators.all() if not i.sourced)

    @admin.display(description=_("扣分项合计"))
    def deduction_points(self, obj: RuleSet) -> int:
        return obj.deduction_total()

    def save_model(self, request: HttpRequest, obj: RuleSet, form: Any, change: bool) -> None:
        # The form saves the other fields (RuleSetForm leaves `active` as stored); a ticked
        # or unticked 启用 goes through review.services. The change view runs in one
        # transaction, so a refused change rolls the whole save back.
        super().save_model(request, obj, form, change)
        wanted = form.cleaned_data.get("active", obj.active)
        if wanted == obj.active:
            return
        if wanted:
            services.rule_set_activate(rule_set=obj, actor=_actor(request))
        else:
            services.rule_set_deactivate(rule_set=obj, actor=_actor(request))

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
        try:
            services.rule_set_activate(rule_set=chosen, actor=_actor(request))
        except (PermissionDenied, ValidationError) as exc:
            self.message_user(request, _message(exc), level=messages.ERROR)
            return
        self.message_user(request, _("已启用：%(name)s") % {"name": chosen})


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "part", "max_points", "automatic", "rule_set"]
    list_filter = ["rule_set", "part", "automatic"]
    search_fields = ["code", "name"]


class AppendOnlyAdmin(ReadOnlyAdmin):
    """Review records are append-only (issue 12 item 3): shown here, never added, edited or
    deleted — campaigns, inspections and their findings come from the review services and
    the workbench, snapshots from POST /api/metrics/ and import_metrics (which record who
    wrote them), feedback from the public form; corrections are new rows."""


@admin.register(Campaign)
class CampaignAdmin(AppendOnlyAdmin):
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
    # The state moves only through review.services.campaign_mark_closed (called when the
    # campaign is closed with its results and 通报), never from this form.
    readonly_fields = ["created", "state", "closed_at", "results"]

    def save_model(self, request: HttpRequest, obj: Campaign, form: Any, change: bool) -> None:
        if not change and obj.created_by_id is None:
            obj.created_by = _actor(request)
        super().save_model(request, obj, form, change)


class FindingInline(admin.TabularInline):
    model = Finding
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = ["indicator", "points", "automatic", "evidence_text", "evidence_url", "evidence_file"]
    raw_id_fields = ["indicator"]


@admin.register(Inspection)
class InspectionAdmin(AppendOnlyAdmin):
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
class MetricSnapshotAdmin(AppendOnlyAdmin):
    """Every row, corrections included: a replaced row is marked 已更正 (a later row of the
    same account and day holds the current figures; review.selectors.current_snapshots)."""

    list_display = ["account", "as_of", "followers", "posts_total", "last_post_on", "interaction_enabled",
                    "written_by", "source", "written_at", "superseded"]
    list_filter = ["interaction_enabled", "source"]
    search_fields = ["account__name", "account__platform_id"]
    list_select_related = ["account", "written_by"]
    raw_id_fields = ["account"]
    date_hierarchy = "as_of"
    ordering = ["-as_of", "account", "-pk"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[MetricSnapshot]:
        return super().get_queryset(request).annotate(is_superseded=snapshot_superseded())

    @admin.display(description=_("已更正"), boolean=True)
    def superseded(self, obj: MetricSnapshot) -> bool:
        return bool(getattr(obj, "is_superseded", False))


@admin.register(Feedback)
class FeedbackAdmin(AppendOnlyAdmin):
    list_display = ["account", "kind", "short_text", "created", "handled_at", "handled_by"]
    list_filter = ["kind", ("handled_at", admin.EmptyFieldListFilter)]
    search_fields = ["account__name", "text", "contact"]
    list_select_related = ["account", "handled_by"]
    raw_id_fields = ["account"]
    # Handling is marked only through review.services.feedback_handle (permission check,
    # note and audit row): the action below, or the workbench's 公众反馈 page.
    readonly_fields = ["created", "handled_at", "handled_by"]
    actions = ["mark_handled"]

    @admin.display(description=_("内容"))
    def short_text(self, obj: Feedback) -> str:
        return obj.text[:40]

    @admin.action(description=_("标记为已处理"))
    def mark_handled(self, request: HttpRequest, queryset: QuerySet[Feedback]) -> TemplateResponse | None:
        """First ask for the handling note (an intermediate page), then hand each selected
        report to review.services.feedback_handle; refused ones are listed as messages."""
        note = (request.POST.get("note") or "").strip()
        if "apply" not in request.POST or not note:
            context = {
                **self.admin_site.each_context(request),
                "title": _("标记为已处理"),
                "opts": self.model._meta,
                "queryset": queryset,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "error": services.ERR_HANDLE_NOTE if "apply" in request.POST else None,
                "note_max": services.FEEDBACK_NOTE_MAX,
            }
            return TemplateResponse(request, "admin/review/feedback/mark_handled.html", context)
        handled = 0
        for feedback in queryset.select_related("account").order_by("pk"):
            try:
                services.feedback_handle(feedback=feedback, actor=_actor(request), note=note)
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(
                    request,
                    _("未处理 %(account)s 的反馈 #%(pk)s：%(reason)s")
                    % {"account": feedback.account, "pk": feedback.pk, "reason": _message(exc)},
                    level=messages.ERROR,
                )
            else:
                handled += 1
        if handled:
            self.message_user(request, _("已处理 %(n)s 条。") % {"n": handled})
        return None


class ScopedReadOnlyAdmin(AppendOnlyAdmin):
    """A read-only screen of records that have their own writers (services behind web pages,
    imports and run_due): list, filters, search and the record, scoped to the user's units
    (``scope``; superusers see all). Nobody adds, changes or deletes here — the page says
    where edits are made (``edit_url_name``, ``edit_note``), since an admin edit would
    bypass the versioning, the audit rows and the messages."""

    actions = None
    change_list_template = "admin/review/read_only_change_list.html"
    change_form_template = "admin/review/read_only_change_form.html"
    edit_url_name = ""
    edit_note: Any = ""

    def scope(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return qs.filter(account__in=accounts_for(request.user))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scope(request, super().get_queryset(request))

    def _edit_context(self, extra_context: dict[str, Any] | None) -> dict[str, Any]:
        return {**(extra_context or {}), "edit_note": self.edit_note,
                "edit_url": reverse(self.edit_url_name) if self.edit_url_name else ""}

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, self._edit_context(extra_context))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return super().changeform_view(request, object_id, form_url, self._edit_context(extra_context))


@admin.register(EarlyWarning)
class EarlyWarningAdmin(ScopedReadOnlyAdmin):
    list_display = ["account", "code", "crossed_on", "line_on", "days_left", "judged_days",
                    "cleared_on", "notified_at"]
    list_filter = ["code", ("cleared_on", admin.EmptyFieldListFilter),
                   ("notified_at", admin.EmptyFieldListFilter), "account__platform"]
    search_fields = ["account__name", "account__platform_id", "account__unit__name",
                     "account__unit__code"]
    list_select_related = ["account"]
    date_hierarchy = "crossed_on"
    edit_url_name = "work:warnings"
    edit_note = _("预警由 run_due 按规则自动记录、通知和解除，在此只读；单位的预警见工作台「预警」页面。")


class ContentFindingInline(admin.TabularInline):
    model = ContentFinding
    extra = 0
    can_delete = False
    fields = readonly_fields = ("kind", "matched", "suggestion", "source_note", "dictionary_version",
                                "excerpt")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Post)
class PostAdmin(ScopedReadOnlyAdmin):
    list_display = ["account", "published_at", "title", "url", "imported_by", "created"]
    list_filter = ["account__platform", ("findings", admin.EmptyFieldListFilter)]
    search_fields = ["account__name", "account__platform_id", "title", "text", "url"]
    list_select_related = ["account", "imported_by"]
    date_hierarchy = "published_at"
    inlines = [ContentFindingInline]
    edit_url_name = "work:dictionaries"
    edit_note = _("发文由 import_posts 命令或 POST /api/posts/ 导入，导入时按词库检查；"
                  "在此只读。词库在工作台「错敏词库」页面维护。")


@admin.register(ContentFinding)
class ContentFindingAdmin(ScopedReadOnlyAdmin):
    list_display = ["account", "kind", "matched", "suggestion", "dictionary_version", "post", "created"]
    list_filter = ["kind", "dictionary_version"]
    search_fields = ["account__name", "account__platform_id", "matched", "excerpt", "source_note"]
    list_select_related = ["account", "post"]
    date_hierarchy = "created"
    edit_url_name = "work:dictionaries"
    edit_note = _("内容检查结果是候选证据，由检查员在检查表中确认；在此只读。"
                  "词库在工作台「错敏词库」页面维护（每次修改为新版本）。")


class DictionaryEntryInline(admin.TabularInline):
    model = DictionaryEntry
    extra = 0
    can_delete = False
    fields = readonly_fields = ("kind", "term", "replacement", "source_note", "added_in", "removed_in")
    ordering = ["-added_in", "kind", "term"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DictionaryScope:
    """Dictionaries the user may read (review.selectors.dictionaries_for)."""

    def scope(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return qs.filter(pk__in=dictionaries_for(request.user).values("pk"))


@admin.register(Dictionary)
class DictionaryAdmin(DictionaryScope, ScopedReadOnlyAdmin):
    list_display = ["name", "unit", "version", "active", "live_entries", "updated"]
    list_filter = ["active", "unit__level"]
    search_fields = ["name", "unit__name", "unit__code", "entries__term"]
    list_select_related = ["unit"]
    inlines = [DictionaryEntryInline]
    edit_url_name = "work:dictionaries"
    edit_note = _("词库按版本管理：增删词条请在工作台「错敏词库」页面操作（每次修改为新版本，"
                  "词条不删除，只记加入和移除的版本）；在此只读。")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(
            live=models.Count("entries", filter=models.Q(entries__removed_in__isnull=True)))

    @admin.display(description=_("现行词条"), ordering="live")
    def live_entries(self, obj: Dictionary) -> int:
        return cast(int, getattr(obj, "live", 0))


@admin.register(DictionaryEntry)
class DictionaryEntryAdmin(ScopedReadOnlyAdmin):
    list_display = ["term", "kind", "replacement", "dictionary", "added_in", "removed_in", "source_note"]
    list_filter = ["kind", ("removed_in", admin.EmptyFieldListFilter), "dictionary"]
    search_fields = ["term", "replacement", "source_note", "dictionary__name"]
    list_select_related = ["dictionary", "dictionary__unit"]
    edit_url_name = "work:dictionaries"
    edit_note = DictionaryAdmin.edit_note

    def scope(self, request: HttpRequest, qs: QuerySet) -> QuerySet:
        return qs.filter(dictionary__in=dictionaries_for(request.user).values("pk"))


def _message(exc: PermissionDenied | ValidationError) -> str:
    """The service's own words for a refusal (messages of a ValidationError joined)."""
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc)
