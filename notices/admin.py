"""Read-only archive in the admin; the only action re-runs failed renders (services)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from sequences.models import Sequence

from notices.models import Notice, NoticeDownload, NoticeStatus
from notices.selectors import notices_for
from notices.services import notice_render


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = (
        "number", "title", "kind", "issuing_unit", "account", "issued_on", "status", "pages",
    )
    list_filter = ("status", "kind", "year")
    search_fields = ("number", "title", "account__name", "issuing_unit__name")
    date_hierarchy = "issued_on"
    list_select_related = ("issuing_unit", "account")
    readonly_fields = [f.name for f in Notice._meta.fields]
    actions = ["rerender_failed"]

    def get_queryset(self, request):
        # The archive's reading rule (notices.selectors.notices_for); superusers read all.
        return notices_for(request.user)

    @admin.action(description=_("重新生成失败或待生成的公文"), permissions=["view"])
    def rerender_failed(self, request, queryset):
        todo = queryset.filter(sha256="").exclude(status=NoticeStatus.RENDERED)
        ok = failed = 0
        for notice in todo:
            if notice_render(notice=notice).is_rendered:
                ok += 1
            else:
                failed += 1
        self.message_user(
            request,
            ngettext("已生成 %(ok)d 件，失败 %(failed)d 件。", "已生成 %(ok)d 件，失败 %(failed)d 件。", ok)
            % {"ok": ok, "failed": failed},
            messages.SUCCESS if not failed else messages.WARNING,
        )


@admin.register(NoticeDownload)
class NoticeDownloadAdmin(ReadOnlyAdmin):
    list_display = ("notice", "user", "at", "ip", "channel")
    list_select_related = ("notice", "user")
    search_fields = ("notice__number", "user__username")
    readonly_fields = ("notice", "user", "at", "ip", "channel")

    def get_queryset(self, request):
        # Downloads of the notices the user may read (notices.selectors.notices_for).
        return super().get_queryset(request).filter(notice__in=notices_for(request.user))


# Document-number sequences (django-sequences) are never edited by anyone, superusers
# included: an edit would leave a gap or make the next final approval fail on a duplicate
# number (issue 12 item 5). Visible read-only for support.
if admin.site.is_registered(Sequence):
    admin.site.unregister(Sequence)


@admin.register(Sequence)
class SequenceAdmin(ReadOnlyAdmin):
    list_display = ("name", "last")
    search_fields = ("name",)
    readonly_fields = ("name", "last")
