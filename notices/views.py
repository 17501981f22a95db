"""Archive pages (login, scoped) and the public verification page."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from rest_framework.throttling import ScopedRateThrottle

from lifecycle.selectors import units_for

from . import selectors, services
from .api import client_ip
from .forms import NoticeSearchForm, RevokeForm, VerifyForm
from .kinds import REVOCATION
from .models import NoticeStatus

PAGE_SIZE = 50


@login_required
def notice_list(request):
    form = NoticeSearchForm(request.GET or None, units=units_for(request.user))
    filters = {}
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    notices = selectors.notice_search(user=request.user, **filters)
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "notices/archive/list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


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
        request, "notices/archive/detail.html",
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
    services.notice_download_record(notice=notice, user=request.user, ip=client_ip(request))
    return FileResponse(
        notice.pdf.open("rb"), as_attachment=True, filename=f"{notice.number}.pdf",
        content_type="application/pdf",
    )


def _throttled(request) -> bool:
    """The public page shares the API's `public` rate (DRF ScopedRateThrottle)."""
    throttle = ScopedRateThrottle()
    return not throttle.allow_request(request, SimpleNamespace(throttle_scope="public"))


@require_http_methods(["GET", "POST"])
def public_verify(request):
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = VerifyForm(data, request.FILES or None)
    result = None
    if form.is_bound:
        if _throttled(request):
            html = render_to_string("notices/public/throttled.html", request=request)
            return HttpResponse(html, status=429)
        if form.is_valid():
            number = form.cleaned_data["number"].strip()
            sha256 = form.cleaned_data["sha256"] or None
            upload = form.cleaned_data.get("pdf")
            if upload:
                digest = hashlib.sha256()
                for chunk in upload.chunks():
                    digest.update(chunk)
                sha256 = digest.hexdigest()
            notice = selectors.notice_by_number(number)
            result = SimpleNamespace(
                number=number, notice=notice, sha256=sha256,
                hash_matches=(notice is not None and sha256 is not None
                              and notice.sha256 == sha256),
                revoked_by=notice.revoked_by.first() if notice else None,
            )
    status = 404 if result is not None and result.notice is None else 200
    return render(
        request, "notices/public/verify.html",
        {"form": form, "result": result, "title": _("公文真伪核验")}, status=status,
    )
