from django.contrib import admin

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
