"""One exception handler for the whole REST API (DESIGN §8 error semantics).

Services raise domain exceptions (Django ValidationError, approvals.services.TaskConflict,
lifecycle.services.TransitionError); the API answers them the same way everywhere:

    Django ValidationError       → 400 {field: [message, …]} (the services' own Chinese texts)
    TaskConflict, TransitionError → 409 {detail}
    TaskForbidden / PermissionDenied → 403 {detail}

A client input never ends as a 500.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("与当前状态冲突，请刷新后重试。")
    default_code = "conflict"


def _conflict_types() -> tuple[type[BaseException], ...]:
    # Imported lazily: config must not import the apps at settings/URL-loading time.
    from approvals.services import TaskConflict
    from lifecycle.services import TransitionError

    return (TaskConflict, TransitionError)


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


def to_api_exception(exc: BaseException) -> BaseException:
    if isinstance(exc, _conflict_types()):
        return Conflict(str(exc))
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(validation_detail(exc))
    if isinstance(exc, DjangoPermissionDenied) and str(exc):
        return exceptions.PermissionDenied(str(exc))
    return exc


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    return drf_exception_handler(to_api_exception(exc), context)  # type: ignore[arg-type]


class ApiErrorsMixin:
    """For views: use api_exception_handler even where REST_FRAMEWORK["EXCEPTION_HANDLER"]
    does not name it (settings are owned elsewhere; this keeps the mapping in one place)."""

    def get_exception_handler(self):  # noqa: D401 - DRF hook
        return api_exception_handler


class NulSafeJSONParser(JSONParser):
    """JSON bodies whose strings contain NUL are refused (400): PostgreSQL text and jsonb
    cannot hold it, and no legitimate value of this API contains one."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type=media_type, parser_context=parser_context)
        if _contains_nul(data):
            raise ParseError(str(ERR_NUL_IN_BODY))
        return data


ERR_NUL_IN_BODY = _("请求内容包含无效字符（NUL）。")


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_contains_nul(v) for v in value)
    return False
