"""All REST routes under /api/ (DESIGN §8). Each app contributes its own api.py.

Here: the token endpoint and the OpenAPI schema/docs (Swagger UI and Redoc from
drf-spectacular-sidecar's static files; Redoc through templates/api/redoc.html, without the
web fonts drf-spectacular's template fetches: no request leaves the site).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.urls import include, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from lifecycle import passwords, security
from lifecycle.api_base import ApiErrorsMixin
from lifecycle.models import SecurityEventKind


class TokenSerializer(AuthTokenSerializer):
    """A username longer than any user's can match no one: refused on the field before it
    reaches the lockout log, whose column it would overflow (a 500 on PostgreSQL)."""

    username = serializers.CharField(
        label=gettext_lazy("用户名"), write_only=True,
        max_length=get_user_model()._meta.get_field("username").max_length,
    )


class TokenView(ApiErrorsMixin, APIView):
    """POST {username, password} → {token}; the same token on every call (one per user)
    until it expires (API_TOKEN_TTL_HOURS), the password changes or DELETE revokes it.
    Repeated failures lock the username for the client (config.auth, 429)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get_authenticators(self):
        # DELETE names the token to revoke by authenticating with it.
        if getattr(self, "request", None) is not None and self.request.method == "DELETE":
            from config.auth import ExpiringTokenAuthentication

            return [ExpiringTokenAuthentication()]
        return []

    def get_permissions(self):
        if self.request.method == "DELETE":
            return [IsAuthenticated()]
        return [AllowAny()]

    throttled_methods = ("POST",)

    def get_throttles(self):
        return super().get_throttles() if self.request.method in self.throttled_methods else []
    # Open to anyone, so rate-limited (guessing passwords) — in its own scope: heavy use of
    # the public lookups from one address must not block its users' logins.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        summary="Obtain an API token",
        description="Use it as `Authorization: Token <key>`. Wrong credentials → 400. "
                    "An administrator who enabled the second factor also sends `otp` (the "
                    "authenticator's code or a backup code); missing or wrong → 400 on `otp`.",
        request=TokenSerializer,
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: inline_serializer(
                "TokenError",
                {"non_field_errors": serializers.ListField(child=serializers.CharField(),
                                                           required=False),
                 "username": serializers.ListField(child=serializers.CharField(), required=False),
                 "password": serializers.ListField(child=serializers.CharField(), required=False),
                 "otp": serializers.ListField(child=serializers.CharField(), required=False)},
            ),
        },
        auth=[],
        examples=[
            OpenApiExample("credentials", request_only=True,
                           value={"username": "xl_clerk", "password": "demo-password"}),
            OpenApiExample("token", response_only=True, status_codes=["200"],
                           value={"token": "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"}),
            OpenApiExample("bad credentials", response_only=True, status_codes=["400"],
                           value={"non_field_errors": ["无法使用提供的认证信息登录。"]}),
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenSerializer(data=request.data, context={"request": request._request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        if passwords.must_change(user):
            raise PermissionDenied(_("请先登录网页修改初始密码，再获取 API 令牌。"))
        self.check_second_factor(request, user)
        ttl = datetime.timedelta(seconds=settings.API_TOKEN_TTL_SECONDS)
        Token.objects.filter(user=user, created__lt=timezone.now() - ttl).delete()
        token, created = Token.objects.get_or_create(user=user)
        if created:
            security.record(kind=SecurityEventKind.TOKEN_ISSUED, request=request._request,
                            user=user, target=f"token:{token.key[:8]}")
        return Response({"token": token.key})

    @staticmethod
    def check_second_factor(request: Request, user) -> None:
        """Administrators (lifecycle.second_factor): with a device, `otp` (a code or a
        backup code) is required with the password; a wrong one counts as a login failure.
        Other users are unaffected (DESIGN §8)."""
        from config.otp import count_failure
        from lifecycle import second_factor

        if not second_factor.applies_to(user):
            return
        if not second_factor.has_device(user):
            if second_factor.required():
                raise PermissionDenied(_("管理员须先在网页上启用双因素认证（/accounts/otp/），"
                                         "再获取 API 令牌。"))
            return
        code = str(request.data.get("otp") or "").strip()
        if not code:
            raise ValidationError({"otp": [_("该账户已启用双因素认证：请同时提交动态验证码 otp。")]})
        problem = second_factor.verify(user=user, token=code, request=request._request)
        if problem is not None:
            count_failure(request._request, user)
            raise ValidationError({"otp": [problem]})

    @extend_schema(summary="Revoke the caller's API token", request=None,
                   responses={204: None})
    def delete(self, request: Request) -> Response:
        token = request.auth
        security.record(kind=SecurityEventKind.TOKEN_REVOKED, request=request._request,
                        user=request.user, target=f"token:{token.key[:8]}", action="revoked")
        token.delete()
        return Response(status=204)


# The docs pages load only our own static files (the sidecar's, no CDN). The browser is
# also told not to fetch images, fonts or data from elsewhere: Redoc's side menu asks
# cdn.redoc.ly for its logo whatever the template says (tests/api/test_api_docs_browser.py).
DOCS_CONTENT_SECURITY_POLICY = "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'"


class DocsPolicyMixin:
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        response["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
        return response


class RedocView(DocsPolicyMixin, SpectacularRedocView):
    # drf-spectacular's template links Google Fonts; ours links nothing (templates/api/).
    template_name = "api/redoc.html"


class SwaggerView(DocsPolicyMixin, SpectacularSwaggerView):
    pass


urlpatterns = [
    path("token/", TokenView.as_view(), name="api-token"),
    # Each layer's REST routes; the order is the OpenAPI document's.
    path("", include("portal.api")),  # public successor lookup and verification (no login)
    path("", include("lifecycle.api_accounts")),  # units, accounts, history
    path("", include("review.api")),  # metrics ingestion
    path("", include("approvals.api")),  # applications, tasks
    path("", include("approvals.api_oa")),  # urge, copy, comments, add-signer, transfer, notifications
    path("", include("notices.api")),  # notices
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", RedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
