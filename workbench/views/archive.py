"""Archive pages (login, scoped) and the public verification page."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from lifecycle.http import client_address
from lifecycle.selectors import units_for
from notices import archive, selectors, services
from notices.forms import NoticeSearchForm, RevokeForm
from notices.kinds import REVOCATION
from notices.models import ArchiveRecord, NoticeStatus
from workbench.views.paging import paginate

PAGE_SIZE = 50
_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


@login_required
def notice_list(request):
    form = NoticeSearchForm(request.GET or None, user=request.user)
    filters = {}
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    notices = selectors.notice_search(user=request.user, **filters)
    page = paginate(request, selectors.by_page(notices), PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    # A malformed filter (a date, a year) is a 400 with the form's message on the field.
    return render(
        request, "workbench/archive/list.html",
        {"form": form, "page": page, "query": query.urlencode(), "q": filters.get("q", "")},
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET"])
def unit_suggestions(request):
    """The archive's unit picker (notices.forms.UnitPickerInput): units the reader may see
    whose code or name contains ?q=, as JSON — {"results": [{"code", "name", "parent",
    "label"}]}; the label is what the field then holds. Units out of the reader's scope are
    never listed. The page writes these with textContent, never as markup."""
    units = selectors.unit_suggestions(user=request.user, q=request.GET.get("q", ""))
    body = json.dumps({"results": [
        {"code": u.code, "name": u.name, "parent": u.parent.name if u.parent else "",
         "label": selectors.unit_label(u)} for u in units
    ]})
    # <, > and & as \u escapes (as json_script writes them): no unit name reads as markup
    # even to a client that sniffs or embeds the answer.
    response = HttpResponse(body.translate(_JSON_ESCAPES), content_type="application/json")
    response["Cache-Control"] = "private, max-age=60"
    return response


@login_required
def notice_detail(request, pk: int):
    notice = selectors.notice_get(user=request.user, pk=pk)
    if notice is None:
        raise Http404
    return _detail(request, notice)


def _detail(request, notice, form=None, status=200):
    downloads = notice.downloads.select_related("user")[:20]
    may_revoke = (notice.kind != REVOCATION and notice.status != NoticeStatus.REVOKED
                  and services.may_revoke(user=request.user, notice=notice))
    return render(
        request, "workbench/archive/detail.html",
        {"notice": notice, "downloads": downloads, "revoked_by": notice.revoked_by.first(),
         "revoke_form": (form or RevokeForm()) if may_revoke else None},
        status=status,
    )


@login_required
@require_http_methods(["POST"])
def notice_revoke(request, pk: int):
    """The issuing unit revokes a notice by issuing a 撤销通知 (notices.services)."""
    notice = selectors.notice_get(user=request.user, pk=pk)
    if notice is None:
        raise Http404
    form = RevokeForm(request.POST)
    if not form.is_valid():
        return _detail(request, notice, form, status=400)
    try:
        revocation = services.notice_revoke(notice=notice, actor=request.user,
                                            reason=form.cleaned_data["reason"],
                                            replacement=form.cleaned_data["replacement"])
    except ValidationError as exc:
        form.add_error(None, exc.messages)
        return _detail(request, notice, form, status=400)
    messages.success(request, _("已印发撤销通知 {number}。").format(number=revocation.number))
    return redirect("notices:detail", revocation.pk)


@login_required
def notice_pdf(request, pk: int):
    notice = selectors.notice_get(user=request.user, pk=pk)
    if notice is None or not notice.is_rendered:
        raise Http404
    services.notice_download_record(notice=notice, user=request.user, ip=client_address(request))
    return FileResponse(
        notice.pdf.open("rb"), as_attachment=True, filename=f"{notice.number}.pdf",
        content_type="application/pdf",
    )




@login_required
def notice_sheet(request, pk: int):
    """The 公文处理单 archived with the notice (readers of the notice only)."""
    notice = selectors.notice_get(user=request.user, pk=pk)
    if notice is None or not notice.sheet_pdf:
        raise Http404
    return FileResponse(notice.sheet_pdf.open("rb"), as_attachment=True,
                        filename=f"公文处理单-{notice.number}.pdf", content_type="application/pdf")


def _filing_units(user):
    return [u for u in units_for(user) if archive.may_file(user=user, unit=u)]


@login_required
@require_http_methods(["GET", "POST"])
def filing(request):
    """归档与移交: an archivist files a year of a unit's notices and downloads the transfer
    package (the same folder `archive_export` writes, zipped)."""
    units = _filing_units(request.user)
    if not units:
        raise Http404
    by_code = {u.code: u for u in units}
    data = request.POST if request.method == "POST" else request.GET
    unit = by_code.get(data.get("unit") or "") or units[0]
    try:
        year = int(data.get("year") or timezone.localdate().year)
    except ValueError:
        year = timezone.localdate().year
    if request.method == "POST":
        if request.POST.get("action") == "export":
            return _package_download(unit=unit, year=year)
        records = archive.file_year(unit=unit, year=year, actor=request.user)
        messages.success(request, _("已归档 {n} 件。").format(n=len(records)))
        return redirect(f"{request.path}?unit={unit.code}&year={year}")
    records = ArchiveRecord.objects.filter(unit=unit, year=year).select_related("notice")
    return render(request, "workbench/archive/filing.html", {
        "units": units, "unit": unit, "year": year, "records": records,
        "unfiled": archive.fileable(unit=unit, year=year).count(),
    })


def _package_download(*, unit, year: int):
    import io
    import tempfile
    import zipfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{year}-{unit.code}"
        try:
            archive.export_package(unit=unit, year=year, out=out)
        except ValidationError as exc:
            raise Http404(" ".join(exc.messages)) from exc
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(out.rglob("*")):
                if path.is_file():
                    zf.write(path, f"{out.name}/{path.relative_to(out).as_posix()}")
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename=f"移交包-{year}-{unit.code}.zip",
                        content_type="application/zip")


@login_required
def notice_preview(request, pk: int):
    """Page 1 as a small PNG (archive list previews), cached by the PDF's hash."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from notices.rendering import page_one_png

    notice = selectors.notice_get(user=request.user, pk=pk)
    if notice is None or not notice.is_rendered:
        raise Http404
    name = f"previews/{notice.sha256}.png"
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as fh:
            data = fh.read()
    else:
        with notice.pdf.open("rb") as fh:
            data = page_one_png(fh.read())
        default_storage.save(name, ContentFile(data))
    response = HttpResponse(data, content_type="image/png")
    response["Cache-Control"] = "private, max-age=86400"
    return response
