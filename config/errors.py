"""Error pages (handler400/403/404/500). Under /api/ every error is JSON `{detail}` (the
REST views answer their own errors; these cover what never reaches a view: an unknown
path, a crash, a refused host). A 500 shows only an error id — the request id that the log
line with the traceback carries (config.middleware.RequestIdMiddleware) — never the
exception. The 400 page shows the message of a BadRequest a view raised (a malformed date,
a page size not offered)."""

from __future__ import annotations

import uuid

from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpResponseBadRequest, HttpResponseServerError, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views import defaults


def _api(request) -> bool:
    return request.path.startswith("/api/")


def error_id(request) -> str:
    rid = getattr(request, "request_id", "")
    if not rid:
        rid = request.request_id = uuid.uuid4().hex
    return str(rid)


def bad_request(request, exception, template_name: str = "400.html"):
    message = str(exception) if isinstance(exception, BadRequest) else ""
    if _api(request):
        return JsonResponse({"detail": message or _("请求无效。")}, status=400)
    return HttpResponseBadRequest(loader.get_template(template_name).render({"message": message}))


def permission_denied(request, exception, template_name: str = "403.html"):
    if _api(request):
        message = str(exception) if isinstance(exception, PermissionDenied) and str(exception) \
            else _("您没有执行该操作的权限。")
        return JsonResponse({"detail": message}, status=403)
    return defaults.permission_denied(request, exception, template_name)


def page_not_found(request, exception, template_name: str = "404.html"):
    if _api(request):
        return JsonResponse({"detail": _("未找到。")}, status=404)
    return defaults.page_not_found(request, exception, template_name)


def server_error(request, template_name: str = "500.html"):
    eid = error_id(request)
    if _api(request):
        return JsonResponse({"detail": _("服务器内部错误，错误编号 %(id)s。") % {"id": eid},
                             "error_id": eid}, status=500)
    return HttpResponseServerError(loader.get_template(template_name).render({"error_id": eid}))
