from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from viewflow.workflow import admin as engine_admin
from viewflow.workflow.models import Process, Task

from approvals.models import ApprovalPolicy, Decision, Filing
from review.admin import ScopedReadOnlyAdmin


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(admin.ModelAdmin):
    """Edits apply to processes started afterwards: running ones keep their frozen chain."""

    list_display = ("process_kind", "unit_level", "unit_kind", "allowed", "top_level", "extra_mode", "note")
    list_filter = ("process_kind", "unit_level", "allowed")
    filter_horizontal = ("extra_units",)


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    """The append-only record of decisions: visible, never editable."""

    list_display = ("at", "process", "step", "unit", "decision", "actor", "comment")
    list_filter = ("decision",)
    search_fields = ("comment", "actor__username", "process__account__name")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Decision._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# viewflow's own admin lets a superuser edit a task's status or owner, or delete a process,
# around govmedia's services (no transition, no Decision, no routing row). Read-only here;
# withdrawing, claiming, transferring and deciding go through approvals.services.
for _model in (Process, Task):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Process)
class ProcessAdmin(_ReadOnly, engine_admin.ProcessAdmin):
    inlines: list = []


@admin.register(Task)
class TaskAdmin(_ReadOnly, engine_admin.TaskAdmin):
    pass


@admin.register(Filing)
class FilingAdmin(ScopedReadOnlyAdmin):
    """Filing deadlines (issue 14 item 5), read-only: opened by the flows, recorded by the
    owning unit on /work/filings/ (approvals.filings.filing_record, audited), reminded by
    run_due."""

    list_display = ("account", "kind", "system", "event_on", "due_on", "filed_on", "reference",
                    "recorded_by", "reminded_on", "overdue_notified_on")
    list_filter = ("kind", "system", ("filed_on", admin.EmptyFieldListFilter), "due_on")
    search_fields = ("account__name", "account__platform_id", "account__unit__name",
                     "account__unit__code", "reference")
    list_select_related = ("account", "recorded_by")
    date_hierarchy = "due_on"
    edit_url_name = "work:filings"
    edit_note = _("备案期限由开设、变更、关停、注销流程自动生成；备案日期和编号由主办单位在工作台"
                  "「备案期限」页面登记（留痕），在此只读。")
