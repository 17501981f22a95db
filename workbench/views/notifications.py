"""The notification centre: the list, mark read / all read, and per-kind preferences.
Writes go through lifecycle.notifications; a user only ever sees their own rows."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View

from lifecycle import notifications
from lifecycle import selectors as lifecycle_selectors
from workbench.views.paging import page_number

PAGE_SIZE = 30


class NotificationListView(View):
    template_name = "workbench/notifications.html"

    def get(self, request):
        unread_only = request.GET.get("unread") == "1"
        rows = lifecycle_selectors.notifications_for(request.user, unread=unread_only)
        page = Paginator(rows, PAGE_SIZE).get_page(page_number(request))
        return render(request, self.template_name, {
            "page_obj": page, "unread_only": unread_only,
            "unread": lifecycle_selectors.unread_count(request.user),
        })


class NotificationReadView(View):
    """POST: mark one notification read and follow its link (404 for anyone else's)."""

    def post(self, request, pk: int):
        row = lifecycle_selectors.notifications_for(request.user).filter(pk=pk).first()
        if row is None:
            raise Http404
        notifications.mark_read(user=request.user, ids=[row.pk])
        if request.POST.get("open") and row.link and url_has_allowed_host_and_scheme(
                row.link, allowed_hosts={request.get_host()}):
            return redirect(row.link)
        return redirect("work:notifications")


class NotificationReadAllView(View):
    def post(self, request):
        count = notifications.mark_all_read(user=request.user)
        messages.success(request, _("已将 {count} 条通知标为已读。").format(count=count))
        return redirect("work:notifications")


class NotificationSettingsView(View):
    template_name = "workbench/notification_settings.html"

    def get(self, request):
        return render(request, self.template_name,
                      {"rows": notifications.preferences_for(request.user)})

    def post(self, request):
        choices = {
            kind: (f"in_app_{kind}" in request.POST, f"email_{kind}" in request.POST)
            for kind in notifications.KINDS
        }
        notifications.preferences_set(user=request.user, choices=choices)
        messages.success(request, _("通知设置已保存。"))
        return redirect("work:notification_settings")
