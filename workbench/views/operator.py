"""The demo operator page: run the due work (approvals.due.run_due) for a chosen day from the
web, e.g. to end a closure's notice period. Only where settings.GOVMEDIA_DEMO is on (make
run's demo, the tests); elsewhere the page is 404 — production runs run_due from beat/cron."""

from __future__ import annotations

import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from approvals import due


class RunDueForm(forms.Form):
    day = forms.DateField(
        label=_("按此日期处理到期事项"), widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("结束已到期的公示期、标记逾期任务、催报整改并发送提醒邮件，与命令 run_due 相同。"),
    )


class OperatorView(View):
    template_name = "workbench/operator.html"

    def dispatch(self, request, *args, **kwargs):
        if not getattr(settings, "GOVMEDIA_DEMO", False):
            raise Http404(_("该页面仅在演示环境中可用。"))
        return super().dispatch(request, *args, **kwargs)

    def page(self, request, form, status=200):
        waiting = due.waiting_notice_periods()
        return render(request, self.template_name, {"form": form, "waiting": waiting}, status=status)

    def get(self, request):
        waiting = due.waiting_notice_periods()
        days = [d for _p, d in waiting if d]
        initial = max([timezone.localdate().isoformat(), *days[:1]])
        return self.page(request, RunDueForm(initial={"day": initial}))

    def post(self, request):
        form = RunDueForm(request.POST)
        if not form.is_valid():
            return self.page(request, form, status=400)
        day: datetime.date = form.cleaned_data["day"]
        summary = due.run_due(today=day)
        messages.success(request, _("已按 {day} 处理到期事项：{summary}").format(
            day=day.isoformat(), summary=summary))
        return redirect("work:operator")
