"""viewflow's generic surface (DESIGN §6, issue 11 item 7, issue 12 item 4).

Every URL of a flow viewset (`workflow:flows:<flow>:…`) passes here before its view:

- viewflow's built-in actions (cancel a process, assign / unassign / reassign / cancel /
  revive / undo a task) are closed to everyone, superusers included (403): they bypass
  govmedia's services — no transition, no Decision, no routing row. Withdrawing,
  claiming, releasing, transferring and deciding go through approvals.services.
- every URL naming a task must name a task of the process in the URL (404 otherwise):
  viewflow loads the task by its own id, so an in-scope process id paired with another
  process's task id would show that task;
- members of units see the process page of a process in their scope and our nodes'
  `execute` redirect to the govmedia task page (which checks the task itself); the rest
  (dashboards, node lists, charts, engine task pages) is for superusers only (404).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task

from approvals import selectors

CLOSED_ACTIONS = frozenset(
    {"process_cancel", "cancel", "revive", "undo", "assign", "unassign", "reassign"}
)
OPEN_TO_MEMBERS = frozenset({"process_detail", "execute"})
ERR_ENGINE_ACTION = _("流程引擎的内置操作已关闭，请在任务页或流程页办理（撤回、签收、转办、审核）。")


class ProcessScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = getattr(request, "resolver_match", None)
        namespaces = list(getattr(match, "namespaces", []) or [])
        in_flow = namespaces[:2] == ["workflow", "flows"]
        process_pk = view_kwargs.get("process_pk")
        if not in_flow and process_pk is None:
            return None
        if not request.user.is_authenticated:
            return None  # the login-required middleware answers first
        name = match.url_name if match else ""
        if in_flow and name in CLOSED_ACTIONS:
            raise PermissionDenied(str(ERR_ENGINE_ACTION))
        task_pk = view_kwargs.get("task_pk")
        if task_pk is not None and not Task.objects.filter(
            pk=task_pk, process_id=process_pk
        ).exists():
            raise Http404("No task matches the given query.")
        if request.user.is_superuser:
            return None
        if in_flow and name not in OPEN_TO_MEMBERS:
            raise Http404("No page matches the given query.")
        if process_pk is not None and not selectors.process_in_scope(request.user, process_pk):
            raise Http404("No process matches the given query.")
        return None
