"""The public portal under /public/ (no login, Chinese): closure and merger announcements,
where an account went (successor lookup), and 纠错 / 好评差评 for active accounts.

Reads come from lifecycle.selectors_public, writes from review.services."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import BadRequest, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods
from rest_framework.throttling import ScopedRateThrottle

from lifecycle import selectors_public as public
from lifecycle.http import client_ip, page_param
from lifecycle.models import Account, AccountState, Platform, Unit
from notices import selectors as notice_selectors
from notices import services as notice_services
from notices.forms import VerifyForm
from notices.selectors import is_public_notice
from notices.verification import verify_notice
from review.models import FeedbackKind
from review.services import feedback_submit

PAGE_SIZE = 30
logger = logging.getLogger("govmedia.public")


def feedback_limit() -> tuple[int, int]:
    """(submissions, seconds) per client IP; settings may override the defaults."""
    return (
        int(getattr(settings, "PUBLIC_FEEDBACK_LIMIT", 5)),
        int(getattr(settings, "PUBLIC_FEEDBACK_WINDOW_SECONDS", 3600)),
    )


def rate_limited(request) -> bool:
    """Count this submission for the client IP; True once the budget of the window is spent.
    The count lives in the default cache (Redis in production: shared by every worker and
    node). If the cache is unreachable the submission is let through and logged: a lost
    error report costs more than a missed limit."""
    limit, window = feedback_limit()
    key = f"public-feedback:{client_ip(request)}"
    try:
        cache.add(key, 0, timeout=window)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            count = 1
    except Exception:  # redis-py raises its own ConnectionError family, not OSError
        logger.warning("event=feedback_rate_limit_unavailable", exc_info=True)
        return False
    return count > limit


def verify_url(number: str) -> str:
    try:
        return reverse("public-verify") + "?" + _qs(number=number)
    except NoReverseMatch:
        return ""


def _qs(**params) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=FeedbackKind.choices, widget=forms.RadioSelect)
    text = forms.CharField(label=_("内容"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 4}))
    contact = forms.CharField(label=_("联系方式（可选）"), required=False, max_length=200)


def public_throttle(view):
    """Every public page shares the API's `public` rate per client (DRF ScopedRateThrottle,
    PUBLIC_RATE_LIMIT): 429 with a page once it is spent (issue 12 item 8: the web lookup
    was not throttled)."""
    import functools

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if _throttled(request):
            return HttpResponse(render_to_string("portal/throttled.html", request=request),
                                status=429)
        return view(request, *args, **kwargs)

    return wrapper


@public_throttle
def index(request):
    rows = list(public.announcement_rows()[:5])
    return render(request, "portal/index.html", {"rows": _announcements(rows)})


def _announcements(rows):
    items = []
    for row in rows:
        account = row.account
        data = public.announcement_data(row)
        items.append({
            "row": row,
            "account": account,
            "kind": data.get("kind"),
            "number": data.get("number", ""),
            "verify_url": verify_url(data.get("number", "")),
            "stop_on": data["stop_on"],
            "announced_on": data["announced_on"],
            "reason": data["reason"],
            "channels": public.channel_rows(account),
        })
    return items


@public_throttle
def announcements(request):
    unit_code = (request.GET.get("unit") or "").strip()
    platform = (request.GET.get("platform") or "").strip()
    unit = Unit.objects.filter(code=unit_code).first() if unit_code else None
    if platform not in Platform.values:
        platform = ""
    try:
        number = page_param(request.GET.get("page"))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    page = Paginator(public.announcement_rows(unit=unit, platform=platform), PAGE_SIZE).get_page(
        number
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "portal/announcements.html", {
        "page": page,
        "items": _announcements(page.object_list),
        "units": Unit.objects.filter(accounts__transitions__name="announce").distinct()
        .order_by("path"),
        "platforms": Platform.choices,
        "unit_code": unit_code,
        "platform": platform,
        "query": query.urlencode(),
    })


@public_throttle
def lookup(request):
    q = (request.GET.get("q") or "").strip()[:100]
    matches = public.successor_lookup(q) if q else []
    return render(request, "portal/lookup.html", {"q": q, "matches": matches})


def _public_account(pk: int) -> Account:
    account = public.public_accounts().filter(pk=pk).first()
    if account is None:
        raise Http404(_("没有找到该账号。"))
    return account


@public_throttle
def account_detail(request, pk: int):
    return _account_page(request, pk)


def _account_page(request, pk: int, form=None, status=200):
    account = _public_account(pk)
    announced = public.latest_announcements([account]).get(account.pk)
    match = public.successor_match(account, announced)
    if announced:
        match["verify_url"] = verify_url(announced.get("number", ""))
    return render(request, "portal/account.html", {
        "account": account,
        "m": match,
        "form": form or FeedbackForm(),
        "accepts_feedback": account.state == AccountState.ACTIVE,
        "sent": request.GET.get("sent") == "1",
    }, status=status)


@require_http_methods(["POST"])
def feedback(request, pk: int):
    account = _public_account(pk)
    if rate_limited(request):
        return render(request, "portal/429.html", {"account": account}, status=429)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            feedback_submit(account=account, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect(reverse("public-account", args=[account.pk]) + "?sent=1")
    return _account_page(request, pk, form=form, status=400)


# -- notice verification (公文真伪核验) -------------------------------------------------


def _throttled(request) -> bool:
    """The public page shares the API's `public` rate (DRF ScopedRateThrottle)."""
    throttle = ScopedRateThrottle()
    return not throttle.allow_request(request, SimpleNamespace(throttle_scope="public"))


@require_http_methods(["GET", "POST"])
@public_throttle
def public_verify(request):
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = VerifyForm(data, request.FILES or None)
    result = None
    if form.is_bound:
        if form.is_valid():
            number = form.cleaned_data["number"].strip()
            upload = form.cleaned_data.get("pdf")
            data = b"".join(upload.chunks()) if upload else None
            verdict = verify_notice(number, data=data,
                                    sha256=None if data else form.cleaned_data["sha256"] or None)
            notice = verdict.notice
            result = SimpleNamespace(
                number=number, notice=notice, sha256=verdict.sha256, verdict=verdict,
                hash_matches=verdict.hash_matches,
                revoked_by=notice.revoked_by.first() if notice else None,
                public_pdf=notice is not None and is_public_notice(notice),
            )
    status = 404 if result is not None and result.notice is None else 200
    return render(
        request, "portal/verify.html",
        {"form": form, "result": result, "title": _("公文真伪核验")}, status=status,
    )


@public_throttle
def public_notice_pdf(request, pk: int):
    """Public kinds (announcements, published 通报) as PDF without login; any other kind
    is 404 here whatever the caller is (staff read it in the workbench)."""
    notice = notice_selectors.public_notice(pk)
    if notice is None:
        raise Http404(_("没有找到该公文。"))
    notice_services.notice_download_record(notice=notice, user=request.user,
                                           ip=client_ip(request), channel="public")
    return FileResponse(notice.pdf.open("rb"), filename=f"{notice.number}.pdf",
                        content_type="application/pdf")
