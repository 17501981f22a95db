from django.contrib import admin
from viewflow.workflow import admin as engine_admin
from viewflow.workflow.models import Process, Task

from approvals.models import ApprovalPolicy, Decision


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
