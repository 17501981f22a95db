"""All REST routes under /api/ (DESIGN §8). Each app contributes its own api.py.

Here: the token endpoint and the OpenAPI schema/docs (Swagger UI and Redoc from
drf-spectacular-sidecar's static files; Redoc through templates/api/redoc.html, without the
web fonts drf-spectacular's template fetches: no request leaves the site).
"""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from lifecycle.api_base import ApiErrorsMixin


class TokenView(ApiErrorsMixin, APIView):
    """POST {username, password} → {token}; the same token on every call (one per user)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Open to anyone, so rate-limited (guessing passwords) — in its own scope: heavy use of
    # the public lookups from one address must not block its users' logins.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        summary="Obtain an API token",
        description="Use it as `Authorization: Token <key>`. Wrong credentials → 400.",
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: inline_serializer(
                "TokenError",
                {"non_field_errors": serializers.ListField(child=serializers.CharField(),
                                                           required=False),
                 "username": serializers.ListField(child=serializers.CharField(), required=False),
                 "password": serializers.ListField(child=serializers.CharField(), required=False)},
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
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})


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
