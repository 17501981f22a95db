"""The OpenAPI document's error answers (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]).

config.api_errors maps exceptions to answers; this module declares those answers on every
operation of /api/schema/, so no view has to repeat them. Separate from config.api_errors:
drf_spectacular.openapi imports rest_framework.views, which reads the parser and handler
settings that name config.api_errors.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, build_examples_list
from rest_framework.permissions import AllowAny

from config.api_errors import MAX_JSON_DEPTH
from lifecycle.http import PAGE_SIZE_PARAM, page_size

ERROR_DETAIL_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERRORS_SCHEMA = {
    "type": "object",
    "description": "Field name → list of messages; messages not tied to one field under "
                   "`non_field_errors`; a body that cannot be read at all → `{detail}`.",
    "additionalProperties": {},
}

# Examples in the default language (zh-hans), as the API answers them.
_EXAMPLES: dict[str, dict[str, Any]] = {
    "400": {"detail": f"请求内容嵌套层数过多（最多 {MAX_JSON_DEPTH} 层）。"},
    "401": {"detail": "身份认证信息未提供。"},
    "403": {"detail": "您没有执行该操作的权限。"},
    "404": {"detail": "未找到。"},
    "409": {"detail": "与当前状态冲突，请刷新后重试。"},
    "429": {"detail": "请求已被限流。 预计 42 秒后可用。"},
}
_EXAMPLE_NAMES = {
    "400": "UnreadableBody", "400-query": "InvalidParameter", "401": "NoCredentials",
    "403": "NotAllowed", "404": "NotFound", "404-list": "NoSuchPage", "409": "Conflict",
    "429": "Throttled",
}
_DESCRIPTIONS = {
    "400": "Invalid input: field messages, or an unreadable body (not JSON, NUL characters, "
           "nested too deeply).",
    "400-query": "Invalid query parameter: a value outside its codes or range, or a missing "
                 "required one.",
    "401": "No or invalid credentials (`Authorization: Token <key>` or a session).",
    "403": "Authenticated but not allowed (also a session write without its CSRF token).",
    "404": "No such object in the caller's scope — a missing object and one out of scope "
           "answer alike.",
    "404-list": "No such page (`page` past the end or not a number).",
    "409": "Conflicts with the current state.",
    "429": "Too many requests from this client; retry after `Retry-After` seconds.",
}


def _page_size_message() -> str:
    try:
        page_size("bogus", 0)
    except ValueError as exc:
        return str(exc)
    raise AssertionError("bogus is not a page size")


def _is_filter(parameter: dict[str, Any]) -> bool:
    # `page` past the end is a 404 (the lists declare it); an unknown `format` (DRF's
    # renderer override) is a 404 too.
    return parameter.get("in") == "query" and parameter.get("name") not in ("page", "format")


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the error answers of this API on every operation
    (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]), so no view has to repeat them:

    * 429 where a throttle applies (public lookups, the token endpoint), with Retry-After;
    * 400 where a request body is read, and on GETs with validated query parameters;
    * 404 on routes with a path parameter, and on paginated lists (a page past the end);
    * 401 on every operation that needs a login, 403 on authenticated writes.

    A response a view documents with its own body (the verification's 404 `{genuine}`)
    is kept; one documented by description only gets the JSON body and the view's examples
    for that status code (or a generic one)."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is not None:
            self._add_error_responses(operation)
        return operation

    def _error_codes(self, operation: dict[str, Any]) -> dict[str, str]:
        view = self.view
        public = any(isinstance(p, AllowAny) for p in view.get_permissions())
        writes = self.method in ("POST", "PUT", "PATCH", "DELETE")
        filters = [p for p in operation.get("parameters", []) if _is_filter(p)]
        codes: dict[str, str] = {}
        if "requestBody" in operation:
            codes["400"] = "400"
        elif filters:
            codes["400"] = "400-query"
        if not public:
            codes["401"] = "401"
            if writes:
                codes["403"] = "403"
        if "{" in self.path:
            codes["404"] = "404"
        elif self._is_list_view() and self._get_paginator() is not None:
            codes["404"] = "404-list"
        if getattr(view, "throttle_classes", None) and self.method in getattr(
            view, "throttled_methods", (self.method,)
        ):
            codes["429"] = "429"
        # Error answers a view documents by description only (409 of the task routes …).
        for code, response in operation["responses"].items():
            if code in _EXAMPLES and not response.get("content"):
                codes.setdefault(code, code)
        return codes

    def _add_error_responses(self, operation: dict[str, Any]) -> None:
        responses = operation["responses"]
        for code, kind in self._error_codes(operation).items():
            documented = responses.get(code) or {}
            if documented.get("content"):
                continue  # the view's own body schema
            name, schema = (("ValidationErrors", VALIDATION_ERRORS_SCHEMA) if code == "400"
                            else ("ErrorDetail", ERROR_DETAIL_SCHEMA))
            component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA,
                                          schema=schema, object=name)
            self.registry.register_on_missing(component)
            declared = [e for e in self.get_examples()
                        if not e.request_only and not e.parameter_only
                        and code in {str(c) for c in (e.status_codes or ())}]
            examples = build_examples_list(declared) if declared else {
                _EXAMPLE_NAMES[kind]: {"value": self._example_value(code, kind, operation)}
            }
            description = documented.get("description")
            if not description or description == "No response body":
                description = _DESCRIPTIONS[kind]
            response: dict[str, Any] = {
                "description": str(description),
                "content": {"application/json": {"schema": component.ref,
                                                 "examples": examples}},
            }
            if code == "401":
                response["headers"] = {"WWW-Authenticate": {
                    "schema": {"type": "string"}, "description": "`Token`"}}
            if code == "429":
                response["headers"] = {"Retry-After": {
                    "schema": {"type": "integer"}, "description": "seconds to wait"}}
            responses[code] = response
        operation["responses"] = dict(sorted(responses.items()))

    def _example_value(self, code: str, kind: str, operation: dict[str, Any]) -> dict[str, Any]:
        if kind == "404-list":
            return {"detail": "无效页面。"}
        if code == "404":
            detail = getattr(self.view, "not_found_detail", None)
            return {"detail": str(detail)} if detail else _EXAMPLES[code]
        if kind == "400-query":
            # The first validated query parameter, refused the way the filters refuse it.
            param = next(p for p in operation["parameters"] if _is_filter(p))
            spec = param.get("schema", {})
            if param["name"] == PAGE_SIZE_PARAM:
                message = _page_size_message()
            elif param.get("required"):
                message = "此项为必填项。"
            elif spec.get("enum"):
                allowed = ", ".join(str(v) for v in spec["enum"] if v not in (None, ""))
                message = f"「bogus」无效，可选值：{allowed}"
            elif spec.get("type") == "integer":
                message = "请填写合法的整数值。"
            else:
                message = "请确保这个字段不超过 200 个字符。"
            return {param["name"]: [message]}
        return _EXAMPLES[code]
