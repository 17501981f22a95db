"""Login is required everywhere except the public portal, the public API, health and login."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import QueryDict

PUBLIC_PREFIXES = (
    "/public/",
    "/api/",  # the API answers 401/403 itself (token or session)
    "/accounts/login/",
    "/static/",
    "/healthz",
    "/favicon.ico",
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


class StripNulMiddleware:
    """NUL characters are removed from query-string keys and values before any view runs.

    PostgreSQL text cannot hold NUL, so a filter passing one through would fail with a 500;
    no meaningful search term contains one. (Form and serializer fields already refuse NUL
    in request bodies with a field message.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.META.get("QUERY_STRING", "") or "%00" in request.META.get(
            "QUERY_STRING", ""
        ):
            cleaned = QueryDict(mutable=True)
            for key, values in request.GET.lists():
                cleaned.setlist(key.replace("\x00", ""), [v.replace("\x00", "") for v in values])
            cleaned._mutable = False
            request.GET = cleaned
        return self.get_response(request)
