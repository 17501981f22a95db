"""Archive pages (login, scoped) and the public verification page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from lifecycle.http import client_address
from lifecycle.selectors import units_for
from notices import selectors, services
from notices.forms import NoticeSearchForm, RevokeForm
from notices.kinds import REVOCATION
from notices.models import NoticeStatus

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
        request, "workbench/archive/list.html",
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


