"""One exception handler for the whole REST API (DESIGN §8 error semantics).

Installed by settings (REST_FRAMEWORK["EXCEPTION_HANDLER"]); no app imports config. Services
raise Django's ValidationError or the bases of lifecycle.errors (TaskConflict, TransitionError,
TaskForbidden derive from them); the API answers them the same way everywhere:

    Django ValidationError       → 400 {field: [message, …]} (the services' own Chinese texts)
    lifecycle.errors.Conflict    → 409 {detail}
    lifecycle.errors.Forbidden / PermissionDenied → 403 {detail}
    Http404 (get_object_or_404, …) → 404 {detail} with the view's `not_found_detail` or DRF's
                                    translated "未找到。" — never Django's English "No Account
                                    matches the given query.", and the same body whether the
                                    object is missing or out of the caller's scope

Error bodies are JSON even where content negotiation picked a binary renderer (a PDF
download asked for with `Accept: */*`). A client input never ends as a 500.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from lifecycle.errors import Conflict as DomainConflict


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("与当前状态冲突，请刷新后重试。")
    default_code = "conflict"


def validation_detail(exc: DjangoValidationError) -> Any:
    """Django's ValidationError → DRF's field-keyed detail; errors without a field go to
    `non_field_errors`, as DRF's own serializers do."""
    if hasattr(exc, "error_dict"):
        detail: dict[str, list[str]] = {}
        for field, messages in exc.message_dict.items():
            key = "non_field_errors" if field == "__all__" else field
            detail.setdefault(key, []).extend(str(m) for m in messages)
        return detail
    return {"non_field_errors": [str(m) for m in exc.messages]}


def to_api_exception(exc: BaseException, view: Any = None) -> BaseException:
    if isinstance(exc, Http404):
        # The message of get_object_or_404 names the model in English; one fixed text per
        # view keeps "missing" and "out of scope" indistinguishable (DESIGN §8).
        return exceptions.NotFound(getattr(view, "not_found_detail", None))
    if isinstance(exc, DomainConflict):
        return Conflict(str(exc))
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(validation_detail(exc))
    if isinstance(exc, DjangoPermissionDenied) and str(exc):
        return exceptions.PermissionDenied(str(exc))
    return exc


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    # Imported here: rest_framework.views reads DEFAULT_PARSER_CLASSES (this module) at import.
    from rest_framework.views import exception_handler as drf_exception_handler

    converted = to_api_exception(exc, context.get("view"))
    return drf_exception_handler(converted, context)  # type: ignore[arg-type]


class NulSafeJSONParser(JSONParser):
    """JSON bodies that no legitimate call of this API sends are refused with 400:

    * strings containing NUL — PostgreSQL text and jsonb cannot hold it;
    * nesting deeper than MAX_JSON_DEPTH arrays/objects — real bodies (a decide `data`
      with successor channels, a list of metrics rows) stay within a handful of levels, and
      very deep input would otherwise exhaust the recursion limit in the decoder or in the
      code reading the value (a 500).

    Open to anyone at /api/token/, so both checks are iterative and run before any
    serializer sees the data."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type=media_type, parser_context=parser_context)
        except RecursionError:
            # The C decoder gives up near the interpreter's recursion limit (~1000 levels).
            raise ParseError(str(ERR_TOO_DEEP).format(limit=MAX_JSON_DEPTH)) from None
        problem = _inspect(data)
        if problem is not None:
            raise ParseError(problem)
        return data


# Arrays/objects nested inside each other, the outermost counting 1 (NulSafeJSONParser).
MAX_JSON_DEPTH = 32

ERR_NUL_IN_BODY = _("请求内容包含无效字符（NUL）。")
ERR_TOO_DEEP = _("请求内容嵌套层数过多（最多 {limit} 层）。")


def _inspect(value: Any) -> str | None:
    """The reason to refuse a decoded JSON value, or None. Depth-first with an explicit
    stack (never recursion), stopping at the first problem."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return str(ERR_NUL_IN_BODY)
        elif isinstance(item, dict | list | tuple):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return str(ERR_TOO_DEEP).format(limit=MAX_JSON_DEPTH)
            if isinstance(item, dict):
                stack.extend((k, depth) for k in item)
                stack.extend((v, depth) for v in item.values())
            else:
                stack.extend((v, depth) for v in item)
    return None


