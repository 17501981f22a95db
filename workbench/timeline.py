"""A process for people: the human steps taken (who, acting for whom, unit, decision,
comment, attachments, time; superseded sign-offs marked), the step being waited on (named
holders, due date, time waited) and the chain as done / current / next steps — drawn as our
own inline SVG (workbench/_timeline.html). Engine nodes stay on the superuser's pages.

A fixed number of queries per process: decisions, open tasks, their routing, members."""

from __future__ import annotations

from typing import Any

from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS

from approvals import selectors
from approvals.chains import step_title
from approvals.models import AccountProcess, Decision, DecisionKind, ProcessKind
from approvals.nodes import step_label
from approvals.services import RESUBMIT_CHANGES

# Keys of Decision.data that name a stored file (data-step uploads, inspection screenshots).
FILE_KEYS = ("evidence_file", "screenshot")
DATA_STEP_TITLES = {
    ProcessKind.RECTIFICATION: (("order", "下发整改通知"), ("rectification_report", "提交整改报告"),
                                ("recheck", "主管单位复核")),
}


def person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def decision_label(decision: Decision, task_kind: str) -> str:
    """A data step's approve is a submission (提交), a recheck its result, not 同意."""
    if task_kind == "recheck":
        result = (decision.data or {}).get("result")
        return {"pass": _("复核通过"), "fail": _("复核不通过"), "more": _("退回补充材料")}.get(
            result, str(decision.get_decision_display()))
    if task_kind not in ("decision", "revision") and decision.decision == DecisionKind.APPROVE:
        return _("提交")
    if task_kind == "revision" and decision.decision == DecisionKind.REJECT:
        return _("撤回申请")
    return str(decision.get_decision_display())


def file_links(decision: Decision) -> list[dict[str, str]]:
    out = []
    for key in FILE_KEYS:
        name = (decision.data or {}).get(key)
        if name:
            out.append({"name": str(name).rsplit("/", 1)[-1],
                        "url": reverse("work:task_evidence", args=[decision.task_id, key])})
    return out


def entries(process: AccountProcess, decisions: list[Decision]) -> list[dict[str, Any]]:
    """The human steps, oldest first: the application, then every decision row."""
    started = {"at": process.created, "who": person(process.applicant), "acting_for": "",
               "unit": process.unit.name if process.unit_id else "",
               "step": _("下发整改通知") if process.kind == ProcessKind.RECTIFICATION
               else _("发起申请"),
               "label": _("发起"), "kind": "start", "comment": "", "files": [],
               "superseded": False, "changes": []}
    rows = [started]
    restart = process.restart_round
    for d in decisions:
        kind = getattr(d.task.flow_task, "task_kind", "decision")
        rows.append({
            "at": d.at, "who": person(d.actor), "acting_for": person(d.acting_for),
            "unit": d.unit.name if d.unit else "", "step": step_label(d.task, process),
            "label": decision_label(d, kind), "kind": d.decision, "comment": d.comment,
            "files": file_links(d),
            "superseded": d.step is not None and d.round < restart,
            "changes": (d.data or {}).get(RESUBMIT_CHANGES) or [],
        })
    return rows


def waiting(open_tasks: list[Task], now=None) -> list[dict[str, Any]]:
    """The steps being waited on: named holders, due date and how long it has waited."""
    now = now or timezone.now()
    holders = selectors.holders_of(open_tasks)
    rows = []
    for task in open_tasks:
        due = min((a.due_on for a in task.assignments.all() if a.due_on), default=None)
        rows.append({
            "task": task, "step": step_label(task),
            "holders": [person(u) for u in holders.get(task.pk, [])],
            "claimed": task.owner_id is not None, "due_on": due,
            "since": task.created, "waited_days": (now - task.created).days,
            "waited_hours": int((now - task.created).total_seconds() // 3600),
        })
    return rows


def chain_steps(process: AccountProcess, decisions: list[Decision],
                current: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Done / current / next steps with the names of who signed or holds each."""
    restart = process.restart_round
    if process.chain:
        at = process.step_index
        finished = process.status == PROCESS.DONE
        approved = (process.data or {}).get("outcome") == "approved"
        on_chain = any(getattr(w["task"].flow_task, "task_kind", "") == "decision"
                       for w in current)
        steps = []
        for i, step in enumerate(process.chain):
            signed = [person(d.actor) for d in decisions
                      if d.step == i and d.round > restart and d.decision == DecisionKind.APPROVE]
            if approved or i < at:
                state = "done"
            elif i == at and on_chain:
                state = "current"
            elif i == at and not finished and not approved:
                state = "waiting"  # returned to the applicant, or a data step in between
            else:
                state = "next"
            people = signed if state == "done" else []
            if state == "current":
                people = [h for w in current for h in w["holders"]]
            steps.append({"title": step_title(step), "state": state, "people": people})
        return steps
    titles = DATA_STEP_TITLES.get(process.kind)
    if not titles:
        return []
    done_kinds = {getattr(d.task.flow_task, "task_kind", "") for d in decisions}
    open_kinds = {getattr(w["task"].flow_task, "task_kind", ""): w for w in current}
    steps = []
    for kind, title in titles:
        if kind in open_kinds:
            state, people = "current", open_kinds[kind]["holders"]
        elif kind == "order" or kind in done_kinds:
            state = "done"
            people = [person(d.actor) for d in decisions
                      if getattr(d.task.flow_task, "task_kind", "") == kind][-1:]
            if kind == "order":
                people = [person(process.applicant)]
        else:
            state, people = "next", []
        steps.append({"title": _(title), "state": state, "people": people})
    return steps


def process_timeline(process: AccountProcess, task: Task | None = None) -> dict[str, Any]:
    """`task`: the page's task of this process, loaded with its process and routing rows
    (the task page): the open tasks take the process from it, and its own routing rows
    when it is one of them (they are written with the task and never change)."""
    decisions = list(Decision.objects.filter(process=process).select_related(
        "actor", "acting_for", "unit", "task").order_by("at", "pk"))
    known = getattr(task, "_prefetched_objects_cache", {}).get("assignments")
    if task is None or task.process_id != process.pk or known is None:
        open_tasks = list(selectors.open_tasks(process).select_related("owner", "process")
                          .prefetch_related("assignments"))
    else:
        open_tasks = list(selectors.open_tasks(process).select_related("owner"))
        rest = []
        for row in open_tasks:
            row.process = task.process
            if row.pk == task.pk:
                row._prefetched_objects_cache = {"assignments": known}
            else:
                rest.append(row)
        prefetch_related_objects(rest, "assignments")
    current = waiting(open_tasks)
    steps = chain_steps(process, decisions, current)
    return {"entries": entries(process, decisions), "current": current, "steps": steps,
            "svg_height": 28 + 44 * max(len(steps), 1), "decisions": decisions}


def latest_changes(process: AccountProcess,
                   decisions: list[Decision] | None = None) -> dict[str, Any] | None:
    """The last resubmission and what it changed (shown to the approvers deciding next);
    `decisions`: the process's, with their actors, when the caller has them (the timeline)."""
    if decisions is None:
        row = (Decision.objects.filter(process=process, decision=DecisionKind.RESUBMIT)
               .select_related("actor").order_by("-pk").first())
    else:
        row = max((d for d in decisions if d.decision == DecisionKind.RESUBMIT),
                  key=lambda d: d.pk, default=None)
    if row is None:
        return None
    return {"at": row.at, "who": person(row.actor), "comment": row.comment,
            "changes": (row.data or {}).get(RESUBMIT_CHANGES) or [],
            "restarted": row.round in (process.data or {}).get("restarts", [])}
