"""REST routes of notices (DESIGN §8), mounted under /api/ by config/api.py.

GET /api/notices/?kind=&unit=&account=&year=&number=   GET /api/notices/{id}/
GET /api/notices/{id}/pdf/ (logged)                       GET /api/public/verify/?number=&sha256=
"""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import renderers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from config.api_errors import ApiErrorsMixin
from lifecycle.api_accounts import (
    AccountRefSerializer,
    ChoiceFilter,
    QueryIntegerField,
    UnitRefSerializer,
)
from lifecycle.models import Unit

from . import selectors, services
from .kinds import kind_choices
from .models import Notice, NoticeStatus

ERR_NUMBER_REQUIRED = _("请提供发文字号。")
ERR_BAD_SHA256 = _("SHA-256 应为64位十六进制字符串。")
ERR_BAD_YEAR = _("年份无效。")
ERR_ACCOUNT_ID = _("账号应为编号。")


def unit_ref(unit: Unit | None) -> dict | None:
    return {"code": unit.code, "name": unit.name} if unit else None


def account_ref(account) -> dict | None:
    if account is None:
        return None
    return {
        "id": account.pk, "name": account.name, "platform": account.platform,
        "platform_id": account.platform_id,
    }


def client_ip(request) -> str | None:
    """The client's address for download logs: the same rule as the public rate limits
    (X-Forwarded-For only through TRUSTED_PROXY_COUNT proxies)."""
    from lifecycle.public_views import client_ip as public_client_ip

    address = public_client_ip(getattr(request, "_request", request))
    return None if address == "unknown" else address


class NoticeSerializer(serializers.ModelSerializer):
    issuing_unit = serializers.SerializerMethodField()
    account = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()
    sha256 = serializers.SerializerMethodField()

    class Meta:
        model = Notice
        fields = [
            "id", "kind", "number", "title", "issued_on", "issuing_unit", "account",
            "process_id", "sha256", "pages", "pdf_url", "status",
        ]

    @extend_schema_field(UnitRefSerializer)
    def get_issuing_unit(self, obj: Notice) -> dict | None:
        return unit_ref(obj.issuing_unit)

    @extend_schema_field(AccountRefSerializer(allow_null=True))
    def get_account(self, obj: Notice) -> dict | None:
        return account_ref(obj.account)

    def get_sha256(self, obj: Notice) -> str | None:
        return obj.sha256 or None

    def get_pdf_url(self, obj: Notice) -> str | None:
        if not obj.is_rendered:
            return None
        url = f"/api/notices/{obj.pk}/pdf/"
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


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


class NotGenuineSerializer(serializers.Serializer):
    number = serializers.CharField()
    genuine = serializers.BooleanField()


class NoticeFilterSerializer(serializers.Serializer):
    """Query parameters of GET /api/notices/; empty values are ignored, invalid ones are 400."""

    kind = ChoiceFilter(choices=kind_choices(), required=False, help_text="notice kind code")
    unit = serializers.CharField(
        required=False, max_length=32,
        help_text="unit code: notices issued by or about an account of that unit's whole "
                  "subtree (an unknown code matches nothing)",
    )
    account = QueryIntegerField(required=False, min_value=1, max_value=2**63 - 1,
                                error_messages={"invalid": ERR_ACCOUNT_ID},
                                help_text="account id")
    year = QueryIntegerField(required=False, min_value=1900, max_value=9999,
                             error_messages={"invalid": ERR_BAD_YEAR},
                             help_text="year of the document number")
    number = serializers.CharField(required=False, max_length=64,
                                   help_text="document number (part of it)")
    status = ChoiceFilter(choices=NoticeStatus.choices, required=False)


class PDFRenderer(renderers.BaseRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class DownloadNegotiation(DefaultContentNegotiation):
    """A download answers with its file whatever the client says it accepts (no 406); error
    bodies are JSON all the same (ApiErrorsMixin.finalize_response)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type


@extend_schema_view(
    list=extend_schema(
        summary="Notices I may read",
        description=(
            "Notices of the caller's own unit's accounts, of processes whose sign-off chain "
            "passed one of the caller's units, and those the caller's units issued; an "
            "archivist also reads those of every unit below. Newest first."
        ),
        parameters=[NoticeFilterSerializer],
    ),
    retrieve=extend_schema(summary="One notice"),
    pdf=extend_schema(summary="Download a notice's PDF",
                      description="The archived file, unchanged since issue; every download "
                                  "is logged. Errors are JSON whatever `Accept` says."),
)
class NoticeViewSet(ApiErrorsMixin, viewsets.ReadOnlyModelViewSet):
    # ApiErrorsMixin: errors are JSON also on the PDF action; a notice out of scope and a
    # missing one both answer 404 {"detail": "未找到。"}.
    serializer_class = NoticeSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Notice.objects.none()
        if self.action != "list":  # detail and PDF: the reading rule only
            return selectors.notices_for(self.request.user)
        params = NoticeFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        filters = params.validated_data
        unit = None
        if filters.get("unit"):
            # Any existing unit narrows the list to what the caller may read anyway; an
            # unknown code gives no rows the same way, so codes cannot be probed (DESIGN §8).
            unit = Unit.objects.filter(code=filters["unit"]).first()
            if unit is None:
                return Notice.objects.none()
        return selectors.notice_search(
            user=self.request.user,
            number=filters.get("number", ""),
            kind=filters.get("kind", ""),
            unit=unit,
            account=filters.get("account"),
            year=filters.get("year"),
            status=filters.get("status", ""),
        )

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], renderer_classes=[PDFRenderer, renderers.JSONRenderer],
            content_negotiation_class=DownloadNegotiation)
    def pdf(self, request, pk=None):
        notice = self.get_object()  # scoped: out of scope → 404
        if not notice.is_rendered:
            raise Http404
        services.notice_download_record(
            notice=notice, user=request.user, ip=client_ip(request), channel="api"
        )
        return FileResponse(
            notice.pdf.open("rb"), as_attachment=True, filename=f"{notice.number}.pdf",
            content_type="application/pdf",
        )


def verification_payload(notice: Notice, sha256: str | None = None) -> dict:
    """Only public facts: what the notice is, who issued it, when, for which account."""
    data = {
        "number": notice.number,
        "genuine": True,
        "kind": notice.kind,
        "title": notice.title,
        "issuing_unit": unit_ref(notice.issuing_unit),
        "issued_on": notice.issued_on.isoformat(),
        "account": account_ref(notice.account),
        "sha256": notice.sha256 or None,
        "revoked": notice.status == NoticeStatus.REVOKED,
    }
    if sha256 is not None:
        data["hash_matches"] = bool(notice.sha256) and notice.sha256 == sha256.lower()
    return data


class PublicVerifyView(APIView):
    """No login. Unknown number → 404 {genuine: false}. Rate-limited (scope `public`)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "public"

    @extend_schema(
        parameters=[
            OpenApiParameter("number", str, required=True),
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
            if not services.is_sha256(sha256):
                return Response({"sha256": [str(ERR_BAD_SHA256)]}, status=400)
        notice = selectors.notice_by_number(number)
        if notice is None:
            return Response({"number": number, "genuine": False}, status=status.HTTP_404_NOT_FOUND)
        return Response(verification_payload(notice, sha256))


router = SimpleRouter()
router.register("notices", NoticeViewSet, basename="notice")

urlpatterns = [
    path("public/verify/", PublicVerifyView.as_view(), name="api-public-verify"),
    path("", include(router.urls)),
]
