"""Filing deadlines (issue 14 item 5): pending, overdue and done filings of the user's
accounts, and the owning unit recording a filing (date, reference number) — through
approvals.filings.filing_record."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from approvals import filings
from lifecycle.tabular import write_csv


class FilingListView(View):
    template_name = "workbench/filings.html"

    def get(self, request, errors=None, failed=None, status=200):
        state = request.GET.get("state") or "pending"
        state = state if state in filings.FILING_STATES else "pending"
        today = timezone.localdate()
        rows = list(filings.filings_for(request.user, state=state, today=today)[:500])
        if request.GET.get("fmt") == "csv":
            buf = io.StringIO()
            write_csv(buf, filings.EXPORT_COLUMNS, filings.export_rows(rows, today=today))
            response = HttpResponse("\ufeff" + buf.getvalue(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="filings-{state}.csv"'
            return response
        return render(request, self.template_name, {
            "rows": [(f, f.state(today), filings.filing_may_record(filing=f, actor=request.user))
                     for f in rows],
            "state": state, "today": today, "errors": errors or {}, "failed": failed,
            "states": [("pending", _("待备案")), ("overdue", _("已逾期")), ("done", _("已备案")),
                       ("all", _("全部"))],
        }, status=status)

    def post(self, request):
        filing = filings.filings_for(request.user, state="all").filter(
            pk=request.POST.get("filing") or 0).first()
        if filing is None:
            raise Http404(_("没有找到该备案。"))
        try:
            filings.filing_record(filing=filing, actor=request.user,
                                  filed_on=request.POST.get("filed_on", ""),
                                  reference=request.POST.get("reference", ""))
        except PermissionDenied:
            raise
        except ValidationError as exc:
            return self.get(request, errors=exc.message_dict, failed=filing.pk, status=400)
        messages.success(request, _("备案已登记。"))
        return redirect(request.get_full_path())
