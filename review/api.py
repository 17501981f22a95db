"""REST endpoints of periodic review (mounted under /api/ by config/api.py).

POST /api/metrics/   monitoring systems push the same rows import_metrics reads:
                     a JSON list of {platform, platform_id, as_of, followers, posts_total,
                     last_post_on, interaction_enabled} or {"rows": [...]}.
POST /api/posts/     one post {platform, platform_id, published_at, title, text, url}, a list
                     of them or {"rows": [...]} — the rows import_posts reads (issue 14).
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from lifecycle.tabular import RowErrors, rows_from_dicts
from review.selectors import review_input_accounts
from review.services import MetricsImportError, PostsImportError, metrics_import, posts_import

MAX_ROWS = 50_000


def _errors_body(errors: RowErrors) -> dict[str, Any]:
    return {
        "detail": _("{n} 处错误，未写入任何数据。").format(n=len(errors)),
        # "row" counts like a spreadsheet (first item = row 2) to match import_metrics;
        # "index" is the 0-based position in the posted list.
        "errors": [
            {"row": row, "index": row - 2 if row >= 2 else None, "field": field, "message": message}
            for row, field, message in sorted(errors.lines, key=lambda line: line[0])
        ],
    }


class MetricsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Push monitoring metrics",
        request=inline_serializer(
            "MetricRow",
            {
                "platform": serializers.CharField(),
                "platform_id": serializers.CharField(),
                "as_of": serializers.DateField(),
                "followers": serializers.IntegerField(required=False, allow_null=True),
                "posts_total": serializers.IntegerField(required=False, allow_null=True),
                "last_post_on": serializers.DateField(required=False, allow_null=True),
                "interaction_enabled": serializers.BooleanField(),
            },
            many=True,
        ),
        responses={
            200: inline_serializer(
                "MetricsImportResult",
                {
                    "rows": serializers.IntegerField(),
                    "created": serializers.IntegerField(),
                    "updated": serializers.IntegerField(),
                    "accounts_updated": serializers.IntegerField(),
                },
            ),
        },
        examples=[
            OpenApiExample(
                "one row",
                value=[
                    {
                        "platform": "wechat_official",
                        "platform_id": "njshiyaojian",
                        "as_of": "2019-06-10",
                        "followers": 1200,
                        "posts_total": 340,
                        "last_post_on": "2019-06-09",
                        "interaction_enabled": True,
                    }
                ],
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = request.data
        if isinstance(data, dict) and "rows" in data:
            data = data["rows"]
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            return Response(
                {"detail": _('请求体应为数据行列表，或 {"rows": [...]}。')},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if len(data) > MAX_ROWS:
            return Response(
                {"detail": _("单次最多 {n} 行。").format(n=MAX_ROWS)},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            # Scope: inspectors / supervisor reviewers of a unit above the account's, or an
            # integration account; anything else is "unknown" (never leak existence).
            result = metrics_import(rows=rows_from_dicts(data),
                                    scope=review_input_accounts(request.user),
                                    actor=request.user, source="api")
        except MetricsImportError as exc:
            return Response(_errors_body(exc.errors), status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {
                "rows": result.rows,
                "created": result.created,
                "updated": result.updated,
                "accounts_updated": result.accounts_updated,
            },
            status=status.HTTP_200_OK,
        )


def _posted_rows(data: Any) -> list[dict[str, Any]] | None:
    if isinstance(data, dict) and "rows" in data:
        data = data["rows"]
    elif isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        return None
    return data


class PostsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Push posts (checked against the content dictionaries)",
        request=inline_serializer(
            "PostRow",
            {
                "platform": serializers.CharField(),
                "platform_id": serializers.CharField(),
                "published_at": serializers.DateTimeField(),
                "title": serializers.CharField(allow_blank=True),
                "text": serializers.CharField(allow_blank=True),
                "url": serializers.URLField(),
            },
        ),
        responses={
            201: inline_serializer(
                "PostsImportResult",
                {
                    "rows": serializers.IntegerField(),
                    "created": serializers.IntegerField(),
                    "skipped": serializers.IntegerField(),
                    "findings": serializers.IntegerField(),
                    "accounts_updated": serializers.IntegerField(),
                },
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = _posted_rows(request.data)
        if data is None:
            return Response(
                {"detail": _('请求体应为一条发文、发文列表，或 {"rows": [...]}。')},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if len(data) > MAX_ROWS:
            return Response({"detail": _("单次最多 {n} 行。").format(n=MAX_ROWS)},
                            status=status.HTTP_400_BAD_REQUEST)
        try:
            # Writers of review inputs (DESIGN §8): reviewers and inspectors of a unit above
            # the account's unit; other accounts are "unknown" (never leak existence).
            result = posts_import(rows=rows_from_dicts(data), scope=review_input_accounts(request.user),
                                  actor=request.user)
        except PostsImportError as exc:
            return Response(_errors_body(exc.errors), status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {"rows": result.rows, "created": result.created, "skipped": result.skipped,
             "findings": result.findings, "accounts_updated": result.accounts_updated},
            status=status.HTTP_201_CREATED,
        )


urlpatterns = [
    path("metrics/", MetricsView.as_view(), name="api-metrics"),
    path("posts/", PostsView.as_view(), name="api-posts"),
]
