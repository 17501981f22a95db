"""viewflow's per-flow pages (dashboard, process list, task list) restricted to the
processes the user may see (approvals.selectors.processes_for). Object URLs are covered
by ProcessScopeMiddleware; these are the lists."""

from __future__ import annotations

from django.db.models import Q
from viewflow.utils import viewprop
from viewflow.workflow import chart
from viewflow.workflow.flow import FlowViewset
from viewflow.workflow.flow.views import dashboard
from viewflow.workflow.status import STATUS

from approvals import selectors


def _scoped_tasks(view):
    return view.flow_class.task_class._default_manager.filter(
        process__flow_class=view.flow_class,
        process_id__in=selectors.processes_for(view.request.user).values("pk"),
    )


class ScopedDashboardView(dashboard.DashboardView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tasks = _scoped_tasks(self).select_related("process")
        for column in context["columns"]:
            column["tasks"] = tasks.filter(
                Q(finished__isnull=True) | Q(status=STATUS.ERROR), flow_task=column["node"]
            )[: self.MAX_ROWS]
        sorted_nodes, _ = chart.topsort(self.flow_class)
        end_nodes = [node for node in sorted_nodes if node.task_type in ["END"]]
        context["finished"] = tasks.filter(finished__isnull=False, flow_task__in=end_nodes)[
            : self.MAX_ROWS
        ]
        return context


class ScopedProcessListView(dashboard.DashboardProcessListView):
    def get_queryset(self):
        return super().get_queryset().filter(
            pk__in=selectors.processes_for(self.request.user).values("pk")
        ).order_by("-created", "-pk")


class ScopedTaskListView(dashboard.DashboardTaskListView):
    @viewprop
    def queryset(self):
        return _scoped_tasks(self).select_related("process").order_by("-created", "-pk")


class ScopedFlowViewset(FlowViewset):
    dashboard_view_class = ScopedDashboardView
    process_list_view_class = ScopedProcessListView
    task_list_view_class = ScopedTaskListView
