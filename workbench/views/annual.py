"""Annual statistics page (issue 14 item 7): `/work/stats/annual/?unit=CODE&year=YYYY`, with
`&fmt=xlsx` (the rows with their codes and what each counts) and `&fmt=pdf` (a one-table
report in the notice style, rendered with the notices' safe renderer)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from lifecycle.selectors import units_for
from lifecycle.tabular import write_table
from notices.rendering import cn_date, font_css, html_to_pdf
from workbench import annual
from workbench.dashboards import top_units
from workbench.views.paging import whole_number


class AnnualStatisticsView(View):
    template_name = "workbench/stats/annual.html"

    def get(self, request):
        today = timezone.localdate()
        year = whole_number(request, "year", minimum=2000, maximum=today.year) or today.year - 1
        code = request.GET.get("unit") or ""
        scope = units_for(request.user)
        if code:
            unit = scope.filter(code=code).first()
        else:
            tops = top_units(request.user)
            unit = tops[0] if tops else scope.order_by("path").first()
        if unit is None:
            raise Http404(_("没有找到该单位。"))
        rows = annual.annual_statistics(unit=unit, year=year, today=today)
        fmt = request.GET.get("fmt")
        name = f"annual-{unit.code}-{year}"
        if fmt == "xlsx":
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"{name}.xlsx"
                write_table(path, annual.EXPORT_HEADER, annual.export_rows(rows), fmt="xlsx")
                response = HttpResponse(path.read_bytes(), content_type=(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
            response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
            return response
        context = {"unit": unit, "year": year, "rows": rows, "today": today,
                   "units": scope.order_by("path")[:500], "years": range(today.year, today.year - 6, -1)}
        if fmt == "pdf":
            html = render_to_string("workbench/stats/annual_pdf.html", {
                **context, "fonts": font_css(), "today_cn": cn_date(today)})
            pdf = html_to_pdf(html, title=f"{unit.name}{year}年度政务新媒体工作统计")
            response = HttpResponse(pdf.data, content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
            return response
        return render(request, self.template_name, context)
