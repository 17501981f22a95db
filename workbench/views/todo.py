"""待办 (one to-do list: tasks I hold and tasks offered to my units and roles) and 已办 (my
decisions), with filters, due marks and a page size that does not change the query count.
Reads come from approvals.selectors; nothing here writes."""

from __future__ import annotations

from typing import Any

from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.views import View

from approvals import selectors
from approvals.models import ProcessKind
from approvals.nodes import process_url, step_label, task_url
from lifecycle import workdays
from lifecycle.models import Platform
from workbench.views.paging import paginate

PAGE_SIZE = 25
DUE_LABELS = {"overdue": _("已逾期"), "near": _("临期"), "ok": _("未到期")}
SORT_LABELS = {"due": _("按期限（最早在前）"), "-due": _("按期限（最晚在前）"),
               "-received": _("按收到时间（最新在前）"), "received": _("按收到时间（最早在前）")}


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _task_link(task) -> str:
    """A task of one of our nodes opens its task page; a start task (the submitted
    application) the process page."""
    return task_url(task) if hasattr(task.flow_task, "task_kind") else process_url(task.process)


class TodoView(View):
    """待办: what the user may act on. Claiming is implicit when they decide (the task page
    shows the decision to every candidate); 签收 stays on the task page for shared queues."""

    template_name = "workbench/todo.html"

    def filters(self, request) -> dict[str, Any]:
        get = request.GET
        flow = get.get("flow", "")
        platform = get.get("platform", "")
        due = get.get("due", "")
        sort = get.get("sort", "due")
        return {
            "flow": flow if flow in ProcessKind.values else "",
            "unit": _int(get.get("unit")),
            "unit_name": get.get("unit_name", "").strip()[:100],
            "account": _int(get.get("account")),
            "platform": platform if platform in Platform.values else "",
            "due": due if due in selectors.DUE_STATES else "",
            "q": get.get("q", "")[:100],
            "sort": sort if sort in selectors.TODO_SORTS else "due",
        }

    def get(self, request):
        today = workdays.today()
        chosen = self.filters(request)
        qs = selectors.todo_for(request.user, today=today, **chosen)
        unfiltered = not any(v for k, v in chosen.items() if k != "sort")
        # Unfiltered, the list's total is the menu's to-do count: one count for both.
        page = paginate(request, qs, PAGE_SIZE, by_key=True,
                        count=selectors.open_task_count(request.user) if unfiltered else None)
        rows = []
        for task in page:
            process = task.process.accountprocess
            state = selectors.due_state(task.due_on, today=today)
            rows.append({
                "task": task, "url": _task_link(task), "account": process.account,
                "unit": process.unit, "flow": task.flow_task.flow_class.process_title,
                "step": step_label(task), "due_on": task.due_on, "due_state": state,
                "due_label": DUE_LABELS[state],
                "mine": task.owner_id == request.user.pk,
            })
        # The applying unit is searched by name (the unit_name field), not picked from a list
        # of every unit the user's open work comes from: that list read all of their open
        # tasks and wrote ~800 options at province scale (issue 15). A unit chosen by id
        # (a link) is named from its rows (all of them its own); with none, not named — no
        # unit's name is read by an id the user typed.
        chosen_unit = rows[0]["unit"] if chosen["unit"] and rows else None
        query = request.GET.copy()
        query.pop("page", None)
        without_unit = query.copy()
        without_unit.pop("unit", None)
        return TemplateResponse(request, self.template_name, {
            "rows": rows, "page": page, "chosen": chosen, "chosen_unit": chosen_unit,
            "flows": ProcessKind.choices, "platforms": Platform.choices,
            "due_states": list(DUE_LABELS.items()), "sorts": list(SORT_LABELS.items()),
            "query": query.urlencode(), "query_without_unit": without_unit.urlencode(),
            "today": today,
        })


class DoneView(View):
    """已办: the tasks I completed, with my decision and comment (and for whom I acted)."""

    template_name = "workbench/done.html"

    def get(self, request):
        page = paginate(request, selectors.done_for(request.user), PAGE_SIZE)
        rows = []
        for task in page:
            process = task.process.accountprocess
            decision = getattr(task, "decision", None)
            rows.append({
                "task": task, "url": _task_link(task), "account": process.account,
                "unit": process.unit, "flow": task.flow_task.flow_class.process_title,
                "step": step_label(task), "decision": decision,
                "decision_label": decision_label(decision, task) if decision else _("发起申请"),
            })
        return TemplateResponse(request, self.template_name, {"rows": rows, "page": page})


def decision_label(decision, task) -> str:
    """A data step's approve is a submission (提交), not an approval (同意)."""
    kind = getattr(task.flow_task, "task_kind", "decision")
    if kind not in ("decision", "recheck") and decision.decision == "approve":
        return str(_("提交"))
    return str(decision.get_decision_display())
