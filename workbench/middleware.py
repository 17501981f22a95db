"""Every viewflow URL that names a process is checked against the user's scope (404)."""

from __future__ import annotations

from django.http import Http404

from approvals import selectors


class ProcessScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        process_pk = view_kwargs.get("process_pk")
        if process_pk is None or not request.user.is_authenticated:
            return None
        if not selectors.process_in_scope(request.user, process_pk):
            raise Http404("No process matches the given query.")
        return None
