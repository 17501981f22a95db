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


class RequestIdMiddleware:
    """Every request gets an id (X-Request-ID if a trusted proxy set one, else new), echoed
    in the response and written on security-log rows (lifecycle.security)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        import re
        import uuid

        given = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = given if re.fullmatch(r"[A-Za-z0-9._-]{8,64}", given or "") \
            else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response

    def process_exception(self, request, exception):
        """An unhandled exception: its traceback logged with the request id, which the 500
        page (config.errors.server_error) shows as the error id."""
        import logging

        from django.core.exceptions import PermissionDenied, SuspiciousOperation
        from django.http import Http404

        if not isinstance(exception, Http404 | PermissionDenied | SuspiciousOperation):
            logging.getLogger("govmedia.errors").error(
                "unhandled error error_id=%s method=%s path=%s", request.request_id,
                request.method, request.path, exc_info=exception)
        return None


class SessionLimitsMiddleware:
    """Absolute session lifetime (SESSION_ABSOLUTE_SECONDS from login, whatever the
    activity), idle expiry (SESSION_IDLE_SECONDS since the last request, recorded at most
    once a minute) and the
    forced change of a password someone else set (the login sets the session flag:
    no query per request)."""

    ALLOWED = ("/accounts/password/", "/accounts/logout/", "/static/", "/i18n/", "/api/",
               "/public/", "/healthz", "/accounts/login/otp/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        import time

        from django.contrib.auth import logout
        from django.shortcuts import redirect

        from lifecycle.signals import LAST_SEEN, LOGIN_AT, MUST_CHANGE

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            started = request.session.get(LOGIN_AT)
            seen = request.session.get(LAST_SEEN) or started
            if (started and now - started > settings.SESSION_ABSOLUTE_SECONDS) or (
                seen and now - seen > settings.SESSION_IDLE_SECONDS
            ):
                logout(request)
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if not seen or now - seen >= 60:
                request.session[LAST_SEEN] = now  # at most one session write a minute
            if request.session.get(MUST_CHANGE) and not request.path_info.startswith(
                self.ALLOWED
            ):
                return redirect("password_change")
        return self.get_response(request)


class SecondFactorMiddleware:
    """Administrators' second factor (lifecycle.second_factor). A session whose password
    was accepted but whose code is still missing reaches only the code page (and logout,
    static files, the public pages); with ADMIN_OTP_REQUIRED an administrator without a
    device is sent from /admin/ to the enrolment page. The state is in the session (set at
    login): no query per page."""

    STEP_ALLOWED = ("/accounts/login/", "/accounts/logout/", "/static/", "/i18n/", "/healthz",
                    "/favicon.ico", "/public/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.http import JsonResponse
        from django.shortcuts import redirect
        from django.urls import reverse
        from django.utils.http import urlencode
        from django.utils.translation import gettext as _

        from lifecycle import second_factor as otp

        user = getattr(request, "user", None)
        if user is None or not hasattr(request, "session") or not user.is_authenticated:
            return self.get_response(request)
        state = request.session.get(otp.OTP_STATE)
        if state is None and otp.applies_to(user):  # a session older than this check
            state = request.session[otp.OTP_STATE] = otp.login_state(user)
        path = request.path_info
        if state == otp.PENDING and not path.startswith(self.STEP_ALLOWED):
            if path.startswith("/api/"):
                return JsonResponse({"detail": _("请先输入动态验证码完成登录。")}, status=401)
            return redirect(f"{reverse('login_otp')}?{urlencode({'next': request.get_full_path()})}")
        if (state == otp.NONE and otp.required() and path.startswith("/admin/")
                and not path.startswith("/admin/logout/")):
            return redirect(f"{reverse('otp_setup')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class DeniedLogMiddleware:
    """Every 403 answer is a security-log row (user, path, method, request id)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403:
            from lifecycle import security
            from lifecycle.models import SecurityEventKind

            user = getattr(request, "user", None)
            security.record(kind=SecurityEventKind.DENIED, request=request, user=user,
                            action=request.method, target=request.path[:200])
        return response


class UploadLimitMiddleware:
    """A request body larger than MAX_REQUEST_BYTES is refused before anything reads it
    (413; JSON under /api/): uploads, public verification and every form alike. Django's
    own DATA_UPLOAD_MAX_MEMORY_SIZE (form fields) answers the same way."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            return self.too_large(request)
        if length > settings.MAX_PUBLIC_REQUEST_BYTES and request.path.startswith(
                self.PUBLIC):
            return self.too_large(request, limit=settings.PUBLIC_VERIFY_UPLOAD_MB * 1024 * 1024)
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.core.exceptions import RequestDataTooBig

        if isinstance(exception, RequestDataTooBig):
            return self.too_large(request)
        return None

    PUBLIC = ("/public/", "/api/public/")  # no login: a lower cap (PUBLIC_VERIFY_UPLOAD_MB)

    @staticmethod
    def too_large(request, limit: int | None = None):
        from django.http import HttpResponse, JsonResponse
        from django.utils.translation import gettext as _

        message = _("提交的内容过大（上限 %(mb)d MB）。") % {
            "mb": (limit or settings.MAX_REQUEST_BYTES) // (1024 * 1024)}
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=413)
        return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
