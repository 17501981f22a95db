"""The 400 page (handler400): Django's own renders 400.html without the reason; ours shows
the message of a BadRequest a view raised (a malformed date, a page size not offered)."""

from __future__ import annotations

from django.core.exceptions import BadRequest
from django.http import HttpResponseBadRequest
from django.template import loader


def bad_request(request, exception, template_name: str = "400.html"):
    message = str(exception) if isinstance(exception, BadRequest) else ""
    return HttpResponseBadRequest(loader.get_template(template_name).render({"message": message}))
