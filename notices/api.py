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
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import renderers, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.routers import SimpleRouter

from lifecycle.api_accounts import (
    AccountRefSerializer,
    ChoiceFilter,
    QueryIntegerField,
    UnitRefSerializer,
)
from lifecycle.api_base import ApiErrorsMixin
from lifecycle.http import client_address
from lifecycle.models import Unit
from lifecycle.refs import account_ref, unit_ref
from notices import selectors, services
from notices.kinds import kind_choices
from notices.models import Notice, NoticeStatus

ERR_NUMBER_REQUIRED = _("请提供发文字号。")
ERR_BAD_SHA256 = _("SHA-256 应为64位十六进制字符串。")
ERR_BAD_YEAR = _("年份无效。")
ERR_ACCOUNT_ID = _("账号应为编号。")


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

    def paginate_queryset(self, queryset):
        # The page's notices are chosen first, then joined (notices.selectors.by_page).
        return super().paginate_queryset(selectors.by_page(queryset))

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], renderer_classes=[PDFRenderer, renderers.JSONRenderer],
            content_negotiation_class=DownloadNegotiation)
    def pdf(self, request, pk=None):
        notice = self.get_object()  # scoped: out of scope → 404
        if not notice.is_rendered:
            raise Http404
        services.notice_download_record(
            notice=notice, user=request.user, ip=client_address(request), channel="api"
        )
        return FileResponse(
            notice.pdf.open("rb"), as_attachment=True, filename=f"{notice.number}.pdf",
            content_type="application/pdf",
        )


router = SimpleRouter()
router.register("notices", NoticeViewSet, basename="notice")

urlpatterns = [
    path("", include(router.urls)),
]
