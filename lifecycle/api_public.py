"""Public (no login) lifecycle API routes: successor lookup (DESIGN §8)."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from . import selectors_public as public

_REF = inline_serializer("PublicAccountRef", {
    "id": serializers.IntegerField(), "name": serializers.CharField(),
    "platform": serializers.CharField(), "platform_id": serializers.CharField(),
})
_ANNOUNCEMENT = inline_serializer("SuccessorAnnouncement", {
    "number": serializers.CharField(), "stop_on": serializers.DateField(allow_null=True),
}, allow_null=True)
LOOKUP_RESPONSE = inline_serializer("SuccessorLookup", {
    "query": serializers.CharField(),
    "matches": inline_serializer("SuccessorMatch", {
        "account": _REF,
        "state": serializers.CharField(),
        "successor": inline_serializer("PublicAccountRefOrNull", {
            "id": serializers.IntegerField(), "name": serializers.CharField(),
            "platform": serializers.CharField(), "platform_id": serializers.CharField(),
        }, allow_null=True),
        "chain": inline_serializer("PublicAccountRefList", {
            "id": serializers.IntegerField(), "name": serializers.CharField(),
            "platform": serializers.CharField(), "platform_id": serializers.CharField(),
        }, many=True),
        "channels": inline_serializer("SuccessorChannelList", {
            "kind": serializers.CharField(), "value": serializers.CharField(),
        }, many=True),
        "closed_on": serializers.DateField(allow_null=True),
        "announcement": _ANNOUNCEMENT,
    }, many=True),
})
NAME_REQUIRED = inline_serializer("SuccessorLookupError", {
    "name": serializers.ListField(child=serializers.CharField()),
})


def _match_json(m: dict) -> dict:
    return {
        "account": public.account_ref(m["account"]),
        "state": m["state"],
        "successor": public.account_ref(m["successor"]),
        "chain": [public.account_ref(a) for a in m["chain"]],
        "channels": [{"kind": c["kind"], "value": c["value"]} for c in m["channels"]],
        "closed_on": m["closed_on"].isoformat() if m["closed_on"] else None,
        "announcement": (
            {"number": m["announcement"].get("number", ""),
             "stop_on": m["announcement"]["stop_on"].isoformat()
             if m["announcement"].get("stop_on") else None}
            if m["announcement"] else None
        ),
    }


class SuccessorLookupView(APIView):
    """Where did an account go? Follows successors transitively to the account still active."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public"

    @extend_schema(
        summary="Public successor lookup",
        parameters=[OpenApiParameter("name", str, required=True,
                                     description="account name (contains) or platform id")],
        responses={200: LOOKUP_RESPONSE, 400: NAME_REQUIRED},
    )
    def get(self, request: Request) -> Response:
        query = (request.query_params.get("name") or "").strip()[:100]
        if not query:
            return Response({"name": [str(_("此项为必填项。"))]}, status=400)
        return Response(
            {"query": query, "matches": [_match_json(m) for m in public.successor_lookup(query)]}
        )


urlpatterns: list = [
    path("public/successor/", SuccessorLookupView.as_view(), name="api-public-successor"),
]
