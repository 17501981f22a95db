"""The one read-only admin base every layer uses for records nobody edits in the admin
(notices, number sequences, review records, the security log, admin history): shown, never
added, changed or deleted — their writers are the services."""

from __future__ import annotations

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
