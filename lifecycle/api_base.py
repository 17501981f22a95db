"""What every REST view of govmedia shares. The exception handler itself is installed by
settings (REST_FRAMEWORK["EXCEPTION_HANDLER"] = config.api_errors.api_exception_handler)."""

from __future__ import annotations

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from lifecycle.http import PAGE_SIZE_PARAM, PAGE_SIZES, page_param, page_size


class ApiErrorsMixin:
    # Content negotiation may have chosen a binary renderer (PDF for `Accept: */*`), or
    # failed (406): an error body is rendered as JSON all the same.
    # A comment, not a docstring: drf-spectacular would show a mixin's docstring as the
    # description of every operation of the views that use it.

    def finalize_response(self, request, response, *args, **kwargs):
        renderer = getattr(request, "accepted_renderer", None)
        if isinstance(response, Response) and response.status_code >= 400 and (
            renderer is None or getattr(renderer, "render_style", "text") == "binary"
        ):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]


class Pagination(PageNumberPagination):
    """`{count, next, previous, results}` (DESIGN §8) with `?page_size=` one of PAGE_SIZES;
    any other size is a 400 naming the parameter (DRF's own would quietly cap it)."""

    page_size_query_param = PAGE_SIZE_PARAM
    max_page_size = max(PAGE_SIZES)

    def get_page_size(self, request):
        try:
            return page_size(request.query_params.get(PAGE_SIZE_PARAM), self.page_size)
        except ValueError as exc:
            raise ValidationError({PAGE_SIZE_PARAM: [str(exc)]}) from None

    def get_page_number(self, request, paginator):
        # Not a number from 1 (or `last`): 400 naming `page` (DRF would answer 404). A page
        # past the end stays DRF's 404.
        raw = request.query_params.get(self.page_query_param)
        try:
            page_param(raw)
        except ValueError as exc:
            raise ValidationError({self.page_query_param: [str(exc)]}) from None
        return super().get_page_number(request, paginator)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == PAGE_SIZE_PARAM:
                parameter["schema"]["enum"] = list(PAGE_SIZES)
        return parameters
