"""Web adapters: the task page, the application form, scoped inbox lists. Logic lives in
approvals.services (writes) and approvals.selectors (reads)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views import View
from viewflow.utils import viewprop
from viewflow.workflow.flow.views import list as vf_list
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import selectors, services
from approvals.chains import step_title
from approvals.forms import DecisionForm
from approvals.models import AccountProcess, Decision, ProcessKind
from approvals.nodes import process_url, step_label, task_url
from lifecycle.models import Account, ChannelKind
from lifecycle.selectors import account_history
from lifecycle.services import TransitionError
from notices.selectors import notices_for
from workbench.timeline import FILE_KEYS, latest_changes, person, process_timeline
from workbench.views.paging import keyed, page_number, size_of

# Service fields shown by another form field (the closure form's channel rows).
ERROR_FIELD_ALIASES = {"successor_channels": "channel_value_0"}


def _form_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            field = ERROR_FIELD_ALIASES.get(field, field) if field not in form.fields else field
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class TaskView(View):
    """Task page: what is asked, the application, the decisions so far, the decision form."""

    template_name = "workbench/task.html"

    def get_task(self, request, task_pk: int) -> Task:
        # The page's rows in one join (the process as viewflow's and ours, its account, unit
        # and applicant) plus the routing rows, which the candidate check and the due date
        # read without asking again (approvals.selectors.is_candidate). A POST (a decision,
        # a claim…) needs the task, its process and routing rows: the service reloads them
        # under the lock, and a page shown again after an error reads the rest.
        if request.method == "POST":
            rows = Task.objects.all()
        else:
            rows = Task.objects.select_related(
                "owner", "process__accountprocess__account__unit",
                "process__accountprocess__applicant",
            )
        task = selectors.task_in_scope(request.user, task_pk, rows.prefetch_related("assignments"))
        if task is None or not hasattr(task.flow_task, "task_kind"):
            raise Http404(_("没有找到该任务。"))
        return task

    def context(self, request, task: Task, form=None):
        process = task.process.accountprocess
        node = task.flow_task
        is_open = task.status in (STATUS.NEW, STATUS.ASSIGNED)
        may_act = self.may_act(request, task)
        if form is None and may_act:
            form = self.make_form(task)
        account = process.account
        timeline = process_timeline(process, task)
        is_decision = node.task_kind == "decision"
        return {
            "task": task,
            "node": node,
            "process": process,
            "account": account,
            "applicant": person(process.applicant),
            "timeline": timeline,
            "current_step": task.data.get("step"),
            "return_choices": self.return_choices(task) if is_decision else [],
            "is_last_step": is_decision and task.data.get("step", 0) + 1 >= len(process.chain),
            "changes": latest_changes(process, timeline["decisions"]),
            "rectification": rectification_facts(process, request.user),
            "plan": attachment(task.pk, "plan", account.plan.name)
            if account.plan and default_storage.exists(account.plan.name) else None,
            "submissions": submissions(process, timeline["decisions"]),
            "application": application_summary(process),
            "history": account_history(account=account),
            "form": form,
            "may_act": may_act,
            "is_open": is_open,
            "process_url": process_url(process),
            "step_label": step_label(task),
            "due_on": min((a.due_on for a in task.assignments.all() if a.due_on), default=None),
        }

    @staticmethod
    def may_act(request, task: Task) -> bool:
        """The user may decide the task now: it is open, theirs or claimable by them, and
        they may sign it (separation of duties)."""
        return task.status in (STATUS.NEW, STATUS.ASSIGNED) and (
            task.owner_id == request.user.pk
            or (task.owner_id is None and task.flow_task.can_assign(request.user, task))
        ) and services.may_sign(process=task.process.accountprocess, task=task, actor=request.user)

    @staticmethod
    def return_choices(task: Task) -> list[tuple[int, str]]:
        chain = task.process.coerced.chain
        return [(i, step_title(s)) for i, s in enumerate(chain[: task.data.get("step", 0)])]

    def make_form(self, task: Task, data=None, files=None):
        node = task.flow_task
        if node.task_kind == "decision":
            return DecisionForm(data, return_choices=self.return_choices(task), prefix="d")
        if node.task_kind == "revision":
            return services.revision_form(process=task.process.coerced, data=data, prefix="d")
        if node.task_kind == "successors":
            return node.form_class(data, account=task.process.coerced.account, prefix="d")
        return node.form_class(data, files, prefix="d")

    def get(self, request, task_pk: int):
        task = self.get_task(request, task_pk)
        return render(request, self.template_name, self.context(request, task))

    def post(self, request, task_pk: int):
        task = self.get_task(request, task_pk)
        form = self.make_form(task, request.POST, request.FILES)
        node = task.flow_task
        if node.task_kind == "decision":
            if not form.is_valid():
                return render(request, self.template_name, self.context(request, task, form), status=400)
            kwargs = {
                "decision": form.cleaned_data["decision"],
                "comment": form.cleaned_data["comment"],
                "return_to": form.cleaned_data.get("return_to"),
            }
        else:
            action = request.POST.get("action", "approve")
            data = {k[2:]: v for k, v in request.POST.items() if k.startswith("d-")}
            files = {k[2:]: v for k, v in request.FILES.items() if k.startswith("d-")}
            kwargs = {"decision": "reject" if action == "withdraw" else "approve", "data": data,
                      "comment": request.POST.get("d-comment", ""), "files": files}
        try:
            services.task_decide(task=task, actor=request.user, **kwargs)
        except ValidationError as exc:
            _form_errors(form, exc)
            return render(request, self.template_name, self.context(request, task, form), status=400)
        except (services.TaskConflict, TransitionError) as exc:
            # Held/decided tasks, and an account that moved meanwhile (e.g. a closure
            # approved while a rectification started): nothing was written.
            messages.error(request, str(exc))
            return render(request, self.template_name, self.context(request, task), status=409)
        except services.TaskForbidden as exc:
            # Separation of duties or no longer a candidate: the page says why (403).
            messages.error(request, str(exc))
            return render(request, self.template_name, self.context(request, task), status=403)
        messages.success(request, _("已办理：{title}").format(title=step_label(task)))
        return redirect("workflow:inbox")


def rectification_facts(process: AccountProcess, user) -> dict[str, Any] | None:
    """What a rectification's report and recheck answer to: the findings, the 整改事由,
    the deadline and the 整改通知 (when the user may read it)."""
    plan = (process.data or {}).get("rectification")
    if process.kind != ProcessKind.RECTIFICATION or not plan:
        return None
    findings = []
    for f in plan.get("findings") or []:
        if isinstance(f, dict):
            title = f.get("label") or f.get("indicator") or f.get("code") or ""
            text = f.get("text") or f.get("evidence") or ""
            findings.append({"title": title, "text": text, "points": f.get("points")})
        else:
            findings.append({"title": str(f), "text": "", "points": None})
    notice_ref = plan.get("notice") or {}
    notice = notices_for(user).filter(pk=notice_ref.get("id")).first() if notice_ref else None
    return {"reason": plan.get("reason", ""), "deadline": plan.get("deadline", ""),
            "findings": findings, "notice": notice, "notice_number": notice_ref.get("number", "")}


def application_summary(process: AccountProcess) -> dict[str, Any] | None:
    """What a closure or change application asks for, for the approvers deciding it."""
    data = process.data or {}
    if "closure" in data:
        plan = data["closure"]
        kinds = dict(ChannelKind.choices)
        successor = None
        if plan.get("successor_account"):
            successor = Account.objects.filter(pk=plan["successor_account"]).first()
        return {
            "kind": "closure",
            "type": _("整合（并入其他账号）") if plan.get("kind") == "merge" else _("关停"),
            "forced": plan.get("forced", False),
            "reason": plan.get("reason", ""),
            "stop_on": plan.get("stop_on", ""),
            "successor": successor,
            "channels": [{"label": kinds.get(c.get("kind"), c.get("kind")), "value": c.get("value")}
                         for c in plan.get("channels") or []],
            "notes": plan.get("notes") or [],
        }
    if "change" in data:
        change = data["change"]
        before = change.get("before") or {}
        rows = []
        for field, value in (change.get("changes") or {}).items():
            rows.append({"label": Account.field_label(field), "before": before.get(field, ""),
                         "after": value})
        return {"kind": "change", "reason": change.get("reason", ""), "rows": rows}
    return None


def submissions(process: AccountProcess,
                decisions: list[Decision] | None = None) -> list[dict[str, Any]]:
    """What the clerks and inspectors submitted in the process's data steps, labelled by
    the step's form, for the approvers who decide next (report, evidence, registration…).
    `decisions`: the process's in (at, pk) order with actor and task, when the caller has
    them (the timeline)."""
    out = []
    if decisions is None:
        decisions = list(Decision.objects.filter(process=process, step__isnull=True)
                         .exclude(data={}).select_related("actor", "task").order_by("at", "pk"))
    for row in (d for d in decisions if d.step is None and d.data):
        node = row.task.flow_task
        form_class = getattr(node, "form_class", None)
        if getattr(node, "task_kind", "") == "revision" or form_class is None:
            continue
        labels = {name: field.label for name, field in form_class.base_fields.items()}
        labels.setdefault("screenshot", _("截图"))
        fields = []
        for key, value in row.data.items():
            if value in ("", None, [], {}) or key not in labels:
                continue
            if key in FILE_KEYS:
                if default_storage.exists(str(value)):
                    fields.append({"label": labels[key],
                                   "attachment": attachment(row.task_id, key, str(value))})
            elif isinstance(value, list):
                fields.append({"label": labels[key], "text": "；".join(
                    "-".join(str(v) for v in item.values()) if isinstance(item, dict) else str(item)
                    for item in value)})
            else:
                text = str(value)
                link = text if text.startswith(("https://", "http://")) else ""
                fields.append({"label": labels[key], "text": text, "link": link})
        if fields:
            out.append({"title": step_label(row.task), "actor": row.actor, "at": row.at,
                        "fields": fields})
    return out


PREVIEW_PAGES = 3  # PDF pages previewed on the task page (the file itself has them all)
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}
files_log = logging.getLogger("govmedia.files")


def task_file_name(user, task_pk: int, key: str) -> str:
    """The stored file `key` of a task the user may see: `plan` (the account's 实施方案)
    or a file submitted with that data step (FILE_KEYS). 404 for anything else."""
    task = selectors.tasks_in_scope(user).filter(pk=task_pk).select_related("process").first()
    name = ""
    if task is not None and key == "plan":
        process = AccountProcess.objects.select_related("account").get(pk=task.process_id)
        name = process.account.plan.name if process.account.plan else ""
    elif task is not None and key in FILE_KEYS:
        decision = Decision.objects.filter(task_id=task_pk).first()
        name = str((decision.data or {}).get(key) or "") if decision else ""
    if not name or not default_storage.exists(name):
        raise Http404(_("没有找到该附件。"))
    return name


def file_kind(name: str) -> str:
    extension = name.rsplit(".", 1)[-1].lower()
    return "pdf" if extension == "pdf" else "image" if extension in IMAGE_TYPES else "other"


def pdf_page_count(name: str) -> int:
    from pypdf import PdfReader

    try:
        with default_storage.open(name, "rb") as fh:
            return len(PdfReader(fh).pages)
    except Exception:  # a damaged PDF: offer the download only
        return 0


def render_pdf_page(name: str, page: int) -> bytes | None:
    """One page as PNG (poppler's pdftoppm, a setup dependency), bounded in time."""
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "in.pdf")
        with default_storage.open(name, "rb") as fh, open(source, "wb") as out:
            shutil.copyfileobj(fh, out)
        target = os.path.join(tmp, "page")
        try:
            subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", "70", "-png",
                            "-singlefile", source, target], check=True, timeout=15,
                           capture_output=True)
            with open(target + ".png", "rb") as fh:
                return fh.read()
        except (OSError, subprocess.SubprocessError):
            return None


class TaskEvidenceView(View):
    """A task's file (the account's 实施方案, or a file submitted with a data step) for
    anyone who may see the task, else 404. `?inline=1` shows an image in the page,
    `?page=N` a PDF page as PNG; otherwise it downloads. Every read is logged."""

    def get(self, request, task_pk: int, key: str):
        name = task_file_name(request.user, task_pk, key)
        kind = file_kind(name)
        page = request.GET.get("page", "")
        mode = "page" if page else "inline" if request.GET.get("inline") else "download"
        files_log.info("file read: user=%s task=%s key=%s mode=%s file=%s",
                       request.user.pk, task_pk, key, mode, name)
        if mode == "page":
            if kind != "pdf" or not page.isdigit() or not 1 <= int(page) <= PREVIEW_PAGES:
                raise Http404(_("没有找到该附件。"))
            png = render_pdf_page(name, int(page))
            if png is None:
                raise Http404(_("没有找到该附件。"))
            response = HttpResponse(png, content_type="image/png")
        elif mode == "inline" and kind == "image":
            response = FileResponse(default_storage.open(name, "rb"),
                                    content_type=IMAGE_TYPES[name.rsplit(".", 1)[-1].lower()])
        else:
            response = FileResponse(default_storage.open(name, "rb"), as_attachment=True,
                                    filename=name.rsplit("/", 1)[-1])
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


def attachment(task_pk: int, key: str, name: str) -> dict[str, Any]:
    """A file of the task page: its download link and what the page previews."""
    url = reverse("work:task_evidence", args=[task_pk, key])
    kind = file_kind(name)
    pages = min(pdf_page_count(name), PREVIEW_PAGES) if kind == "pdf" else 0
    return {"name": name.rsplit("/", 1)[-1], "url": url, "kind": kind,
            "inline": f"{url}?inline=1" if kind == "image" else "",
            "pages": [f"{url}?page={n}" for n in range(1, pages + 1)]}


class TaskClaimView(TaskView):
    def post(self, request, task_pk: int):
        task = self.get_task(request, task_pk)
        try:
            services.task_claim(task=task, actor=request.user)
        except services.TaskConflict as exc:
            messages.error(request, str(exc))
            return render(request, self.template_name, self.context(request, task), status=409)
        except services.TaskForbidden as exc:
            messages.error(request, str(exc))
            return render(request, self.template_name, self.context(request, task), status=403)
        messages.success(request, _("已签收，任务进入您的待办。"))
        return redirect("work:task", task.pk)


class TaskReleaseView(TaskView):
    def post(self, request, task_pk: int):
        task = self.get_task(request, task_pk)
        try:
            services.task_release(task=task, actor=request.user)
        except services.TaskConflict as exc:
            messages.error(request, str(exc))
            return render(request, self.template_name, self.context(request, task), status=409)
        messages.success(request, _("已退回待签收队列。"))
        return redirect("workflow:queue")


class ProcessWithdrawView(View):
    def post(self, request, process_pk: int):
        process = get_object_or_404(selectors.processes_for(request.user), pk=process_pk)
        try:
            services.process_withdraw(process=process, actor=request.user,
                                      reason=request.POST.get("reason", ""))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        except services.TaskConflict as exc:
            messages.error(request, str(exc))
        except services.TaskForbidden as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("申请已撤回。"))
        return redirect("work:applications")


# -- inbox lists: viewflow's pages with govmedia's scoped, indexed querysets -------------


class _TaskColumns:
    columns = ("task_link", "flow_name", "step_name", "account_name", "unit_name", "due", "created")

    def task_link(self, task):
        return format_html('<a href="{}">#{}</a>', task_url(task), task.pk)

    task_link.short_description = _("编号")

    def flow_name(self, task):
        return task.flow_task.flow_class.process_title

    flow_name.short_description = _("流程")

    def step_name(self, task):
        return step_label(task)

    step_name.short_description = _("环节")

    def account_name(self, task):
        return format_html('<a href="{}">{}</a>', task_url(task), task.process.accountprocess.account.name)

    account_name.short_description = _("账号")

    def unit_name(self, task):
        return task.process.accountprocess.unit.name

    unit_name.short_description = _("申请单位")

    def due(self, task):
        dates = [a.due_on for a in task.assignments.all() if a.due_on]
        return min(dates) if dates else ""

    due.short_description = _("办理期限")

    def created(self, task):
        return task.created

    created.short_description = _("创建时间")


def _with_rows(qs):
    return qs.select_related(
        "process__accountprocess__account", "process__accountprocess__unit"
    ).prefetch_related("assignments")


class InboxView(_TaskColumns, vf_list.WorkflowInboxListView):
    title = _("待办")
    bulk_actions = ()
    filterset_class = None

    @viewprop
    def queryset(self):
        return _with_rows(selectors.inbox_for(self.request.user))


class QueueView(_TaskColumns, vf_list.WorkflowQueueListView):
    title = _("待签收")
    bulk_actions = ()
    filterset_class = None

    def get_paginate_by(self, queryset):
        page_number(self.request)  # ?page=abc: a 400 naming the parameter, not a 404
        return size_of(self.request, self.paginate_by)

    def get_paginator(self, queryset, per_page, *args, **kwargs):
        # The page's keys first (index-only over the open tasks), its joins for those rows
        # only: joined before the sort, the queue read every claimable task's process,
        # account and unit for a page of 25 (issue 15: 36 ms at province scale).
        return super().get_paginator(keyed(queryset), per_page, *args, **kwargs)

    @viewprop
    def queryset(self):
        return _with_rows(selectors.queue_for(self.request.user))


class ArchiveView(_TaskColumns, vf_list.WorkflowArchiveListView):
    title = _("已办")
    filterset_class = None
    columns = ("task_link", "flow_name", "step_name", "account_name", "unit_name", "finished")

    def get_paginate_by(self, queryset):
        page_number(self.request)  # ?page=abc: a 400 naming the parameter, not a 404
        return super().get_paginate_by(queryset)

    def finished(self, task):
        return task.finished

    finished.short_description = _("办结时间")

    @viewprop
    def queryset(self):
        return _with_rows(selectors.history_for(self.request.user))
