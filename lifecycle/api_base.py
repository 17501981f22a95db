"""What every REST view of govmedia shares. The exception handler itself is installed by
settings (REST_FRAMEWORK["EXCEPTION_HANDLER"] = config.api_errors.api_exception_handler)."""

from __future__ import annotations

from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response


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
