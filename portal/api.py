"""Public (no login) lifecycle API routes: successor lookup (DESIGN §8)."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from lifecycle import selectors_public as public
from lifecycle.api_accounts import AccountRefSerializer, UnitRefSerializer
from lifecycle.refs import account_ref, unit_ref
from notices import services as notice_services
from notices import verification
from notices.api import ERR_BAD_SHA256, ERR_NUMBER_REQUIRED
from notices.forms import ERR_UPLOAD_TOO_LARGE, verify_upload_mb
from notices.models import NoticeStatus
from notices.verification import Verdict

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
        "account": account_ref(m["account"]),
        "state": m["state"],
        "successor": account_ref(m["successor"]),
        "chain": [account_ref(a) for a in m["chain"]],
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




# -- public verification of a notice (DESIGN §8 verify) ------------------------------------


class VerifySerializer(serializers.Serializer):
    """Schema of the public verification answer (documentation only)."""

    number = serializers.CharField()
    genuine = serializers.BooleanField()
    kind = serializers.CharField()
    title = serializers.CharField()
    issuing_unit = UnitRefSerializer()
    issued_on = serializers.DateField()
    account = AccountRefSerializer(allow_null=True)
    sha256 = serializers.CharField(allow_null=True)
    revoked = serializers.BooleanField()
    hash_matches = serializers.BooleanField(required=False)
    verdict = serializers.ChoiceField(
        choices=["genuine", "revoked", "mismatch", "invalid_signature"])
    headline = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    signature = inline_serializer("SignatureCheck", {
        "valid": serializers.BooleanField(), "signer": serializers.CharField(allow_null=True),
        "unit": serializers.CharField(allow_null=True),
        "certificate_valid": serializers.BooleanField(),
        "modified_after_signing": serializers.BooleanField(),
    }, required=False)


class NotGenuineSerializer(serializers.Serializer):
    number = serializers.CharField()
    genuine = serializers.BooleanField()


def verification_payload(result: Verdict) -> dict:
    """Only public facts: what the notice is, who issued it, when, for which account; and the
    one verdict on number, hash and signature."""
    notice = result.notice
    assert notice is not None
    data = {
        "number": notice.number,
        "genuine": result.verdict in (verification.GENUINE, verification.REVOKED),
        "kind": notice.kind,
        "title": notice.title,
        "issuing_unit": unit_ref(notice.issuing_unit),
        "issued_on": notice.issued_on.isoformat(),
        "account": account_ref(notice.account),
        "sha256": notice.sha256 or None,
        "revoked": notice.status == NoticeStatus.REVOKED,
    }
    if result.hash_matches is not None:
        data["hash_matches"] = result.hash_matches
    data.update(verification.verdict_json(result))
    return data


class PublicVerifyView(APIView):
    """No login. Unknown number → 404 {genuine: false}. Rate-limited (scope `public`).
    GET checks the number (+ `sha256`) and the archived file's signature; POST (multipart,
    `number` + `pdf`) checks an uploaded file's hash and signature too."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public"
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        parameters=[
            OpenApiParameter("number", str, required=True,
                             description="发文字号; 〔〕 [] () 【】 and full-width digits alike"),
            OpenApiParameter("sha256", str, description="hex SHA-256 of the PDF at hand"),
        ],
        responses={200: VerifySerializer, 404: NotGenuineSerializer},
        examples=[
            OpenApiExample("no number", response_only=True, status_codes=["400"],
                           value={"number": [str(ERR_NUMBER_REQUIRED)]}),
            OpenApiExample("malformed hash", response_only=True, status_codes=["400"],
                           value={"sha256": [str(ERR_BAD_SHA256)]}),
        ],
    )
    def get(self, request):
        number = (request.query_params.get("number") or "").strip()
        sha256 = request.query_params.get("sha256")
        if not number:
            return Response({"number": [str(ERR_NUMBER_REQUIRED)]}, status=400)
        if sha256 is not None:
            sha256 = sha256.strip()
            if not notice_services.is_sha256(sha256):
                return Response({"sha256": [str(ERR_BAD_SHA256)]}, status=400)
        return self._answer(verification.verify_notice(number, sha256=sha256))

    @extend_schema(
        request=inline_serializer("VerifyUpload", {
            "number": serializers.CharField(), "pdf": serializers.FileField(),
        }),
        responses={200: VerifySerializer, 404: NotGenuineSerializer},
    )
    def post(self, request):
        number = (request.data.get("number") or "").strip()
        upload = request.FILES.get("pdf")
        if not number:
            return Response({"number": [str(ERR_NUMBER_REQUIRED)]}, status=400)
        if upload is None:
            return Response({"pdf": [str(_("请上传PDF文件。"))]}, status=400)
        if upload.size > verify_upload_mb() * 1024 * 1024:
            return Response({"pdf": [str(ERR_UPLOAD_TOO_LARGE).format(mb=verify_upload_mb())]},
                            status=400)
        return self._answer(verification.verify_notice(number, data=upload.read()))

    @staticmethod
    def _answer(result: Verdict) -> Response:
        if result.notice is None:
            return Response({"number": result.number, "genuine": False},
                            status=status.HTTP_404_NOT_FOUND)
        return Response(verification_payload(result))


urlpatterns: list = [
    path("public/successor/", SuccessorLookupView.as_view(), name="api-public-successor"),
    path("public/verify/", PublicVerifyView.as_view(), name="api-public-verify"),
]
