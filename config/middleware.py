"""Login is required everywhere except the public portal, the public API, health and login."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseBadRequest

PUBLIC_PREFIXES = (
    "/public/",
    "/api/",  # the API answers 401/403 itself (token or session)
    "/accounts/login/",
    "/static/",
    "/healthz",
    "/i18n/",
)


class LoginRequiredExceptPublicMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if not request.user.is_authenticated and not path.startswith(PUBLIC_PREFIXES):
            if path.startswith("/admin/"):
                return self.get_response(request)  # admin has its own login page
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)


class RejectNulMiddleware:
    """A NUL character in the query string is refused with 400 before any view runs:
    PostgreSQL text cannot hold it, so a filter passing it through would fail with a 500.
    (Form and serializer fields already refuse NUL in bodies.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in v for v in values)
            for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest(
                '{"detail": "请求参数包含无效字符（NUL）。"}', content_type="application/json"
            )
        return self.get_response(request)
