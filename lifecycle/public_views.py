"""The public portal under /public/ (no login, Chinese): closure and merger announcements,
where an account went (successor lookup), and 纠错 / 好评差评 for active accounts.

Reads come from lifecycle.selectors_public, writes from lifecycle.services_public."""

from __future__ import annotations

import ipaddress
import logging

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from . import selectors_public as public
from .models import Account, AccountState, FeedbackKind, Platform, Unit
from .services_public import feedback_submit

PAGE_SIZE = 30
logger = logging.getLogger("govmedia.public")


def feedback_limit() -> tuple[int, int]:
    """(submissions, seconds) per client IP; settings may override the defaults."""
    return (
        int(getattr(settings, "PUBLIC_FEEDBACK_LIMIT", 5)),
        int(getattr(settings, "PUBLIC_FEEDBACK_WINDOW_SECONDS", 3600)),
    )


def client_ip(request) -> str:
    """The client's address. REMOTE_ADDR is the peer, which behind a reverse proxy is the
    proxy itself; with `settings.TRUSTED_PROXY_COUNT` = N proxies in front (each appending
    the address it saw to X-Forwarded-For, as nginx's $proxy_add_x_forwarded_for does),
    the client is the N-th entry from the right — entries left of it were sent by the
    client and are not trusted. The same rule as DRF's NUM_PROXIES (the API throttles)."""
    remote = request.META.get("REMOTE_ADDR") or "unknown"
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies <= 0:
        return remote
    forwarded = [
        a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()
    ]
    if not forwarded:
        return remote
    candidate = forwarded[-min(proxies, len(forwarded))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:  # a proxy that writes something else: do not key on client input
        return remote


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


def index(request):
    rows = list(public.announcement_rows()[:5])
    return render(request, "lifecycle/public/index.html", {"rows": _announcements(rows)})


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


def announcements(request):
    unit_code = (request.GET.get("unit") or "").strip()
    platform = (request.GET.get("platform") or "").strip()
    unit = Unit.objects.filter(code=unit_code).first() if unit_code else None
    if platform not in Platform.values:
        platform = ""
    page = Paginator(public.announcement_rows(unit=unit, platform=platform), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "lifecycle/public/announcements.html", {
        "page": page,
        "items": _announcements(page.object_list),
        "units": Unit.objects.filter(accounts__transitions__name="announce").distinct()
        .order_by("path"),
        "platforms": Platform.choices,
        "unit_code": unit_code,
        "platform": platform,
        "query": query.urlencode(),
    })


def lookup(request):
    q = (request.GET.get("q") or "").strip()[:100]
    matches = public.successor_lookup(q) if q else []
    return render(request, "lifecycle/public/lookup.html", {"q": q, "matches": matches})


def _public_account(pk: int) -> Account:
    account = public.public_accounts().filter(pk=pk).first()
    if account is None:
        raise Http404(_("没有找到该账号。"))
    return account


def account_detail(request, pk: int, form=None, status=200):
    account = _public_account(pk)
    announced = public.latest_announcements([account]).get(account.pk)
    match = public.successor_match(account, announced)
    if announced:
        match["verify_url"] = verify_url(announced.get("number", ""))
    return render(request, "lifecycle/public/account.html", {
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
        return render(request, "lifecycle/public/429.html", {"account": account}, status=429)
    form = FeedbackForm(request.POST)
    if form.is_valid():
        try:
            feedback_submit(account=account, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect(reverse("public-account", args=[account.pk]) + "?sent=1")
    return account_detail(request, pk, form=form, status=400)
