"""The account register in the inbox site: scoped list, account page (history, processes,
notices), the applicant's own applications with withdrawal and their outcome, and the
archive (已办) list's links."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from viewflow.workflow.models import Task
from viewflow.workflow.status import PROCESS

from approvals import selectors
from approvals.models import AccountProcess, Decision, ProcessKind
from approvals.nodes import process_url, step_label, task_url
from lifecycle.models import AccountState, Platform, Role
from lifecycle.selectors import account_history, accounts_for, successor_chain, user_units
from notices.selectors import notices_for
from review.warnings import warnings_of
from workbench.views import tasks as views
from workbench.views.paging import paginate


def work_index(request):
    return redirect("work:applications")


class AccountListView(View):
    template_name = "workbench/account_list.html"

    def get(self, request):
        qs = accounts_for(request.user).order_by("unit__path", "name")
        state = request.GET.get("state", "")
        platform = request.GET.get("platform", "")
        q = request.GET.get("q", "").strip()
        if state in AccountState.values:
            qs = qs.filter(state=state)
        if platform in Platform.values:
            qs = qs.filter(platform=platform)
        if q:
            from django.db.models import Q

            qs = qs.filter(Q(name__icontains=q) | Q(platform_id__icontains=q))
        page = paginate(request, qs, 50)
        return render(request, self.template_name, {
            "page": page, "states": AccountState.choices, "platforms": Platform.choices,
            "state": state, "platform": platform, "q": q,
        })


class AccountDetailView(View):
    template_name = "workbench/account_detail.html"

    def get(self, request, account_id: int):
        account = accounts_for(request.user).filter(pk=account_id).first()
        if account is None:
            raise Http404
        processes = [
            (p, process_url(p))
            for p in AccountProcess.objects.filter(account=account).order_by("-created")
        ]
        applicant_units = {u.pk for u in user_units(request.user, roles=(Role.APPLICANT,))}
        return render(request, self.template_name, {
            "account": account,
            "history": account_history(account=account),
            "processes": processes,
            "notices": notices_for(request.user).filter(account=account).order_by("-issued_on", "-pk"),
            "chain": successor_chain(account),
            "may_apply": account.unit_id in applicant_units and account.state == AccountState.ACTIVE,
            "warnings": warnings_of(account).filter(cleared_on__isnull=True),
            "filings": account.filings.order_by("event_on", "kind", "system"),
        })


# Outcome labels of 我的申请 (application_outcome).
OUTCOME_REVIEWING = _("审核中")
OUTCOME_RETURNED = _("退回待修改")
OUTCOME_APPROVED = _("批准")
OUTCOME_APPROVED_RUNNING = _("已批准，后续办理中")
OUTCOME_REJECTED = _("不予批准")
OUTCOME_WITHDRAWN = _("已撤回")
OUTCOME_FORCED = _("强制关停")
OUTCOME_FORCED_RUNNING = _("强制关停办理中")
OUTCOME_RECTIFIED = _("整改通过")
OUTCOME_NOT_RECTIFIED = _("整改未通过")
OUTCOME_RECTIFYING = _("整改中")
OUTCOME_INSPECTING = _("检查中")
OUTCOME_DONE = _("已办结")


def application_outcome(process: AccountProcess) -> str:
    """What became of an application, from the process status and the chain's last tally
    (`data["outcome"]`, approvals.flows.ChainFlow.tally_round): not just 已办结 for all."""
    data = process.data or {}
    done = process.status == PROCESS.DONE
    if process.status == PROCESS.CANCELED or data.get("outcome") == "withdrawn":
        return OUTCOME_WITHDRAWN
    if process.kind == ProcessKind.RECTIFICATION:
        result = (data.get("recheck") or {}).get("result")
        if result == "pass":
            return OUTCOME_RECTIFIED
        if result == "fail" or (done and result is None):
            return OUTCOME_NOT_RECTIFIED
        return OUTCOME_RECTIFYING
    if process.kind == ProcessKind.INSPECTION:
        return OUTCOME_DONE if done else OUTCOME_INSPECTING
    if (data.get("closure") or {}).get("forced"):
        return OUTCOME_FORCED if done else OUTCOME_FORCED_RUNNING
    outcome = data.get("outcome")
    if outcome == "rejected":
        return OUTCOME_REJECTED
    if outcome == "approved":
        return OUTCOME_APPROVED if done else OUTCOME_APPROVED_RUNNING
    if outcome == "revise" and not done:
        return OUTCOME_RETURNED
    return OUTCOME_DONE if done else OUTCOME_REVIEWING


class MyApplicationsView(View):
    """The applications the user made (opening, change, closure; not inspections or
    rectification orders), newest first, with their outcome, who holds each one now and
    since when, and the last comment; withdrawable ones (no decision yet, still running)
    get a button, returned ones a link to the revision task."""

    template_name = "workbench/my_applications.html"
    KINDS = (ProcessKind.OPENING, ProcessKind.CHANGE, ProcessKind.CLOSURE)

    def get(self, request):
        qs = (
            selectors.processes_for(request.user)
            .filter(applicant=request.user, kind__in=self.KINDS)
            .annotate(decided=Exists(Decision.objects.filter(process=OuterRef("pk"))))
            .order_by("-created")
        )
        page = paginate(request, qs, 50)
        ids = [p.pk for p in page]
        # The last comment of each process (one query for the page).
        comments: dict[int, Decision] = {}
        for decision in (
            Decision.objects.filter(process_id__in=ids).exclude(comment="")
            .select_related("actor", "unit").order_by("process_id", "at", "pk")
        ):
            comments[decision.process_id] = decision
        # Open tasks: who holds each application and since when, and where a returned
        # application is edited (three queries for the page: tasks, their routing, members).
        tasks = list(Task.objects.filter(process_id__in=ids, status__in=selectors.OPEN_STATUSES)
                     .select_related("owner", "process").order_by("created", "pk"))
        holders = selectors.holders_of(tasks)
        revisions: dict[int, int] = {}
        waiting: dict[int, dict] = {}
        for task in tasks:
            if getattr(task.flow_task, "task_kind", "") == "revision":
                revisions[task.process_id] = task.pk
            row = waiting.setdefault(task.process_id, {"since": task.created, "people": [],
                                                       "steps": []})
            row["steps"].append(step_label(task))
            row["people"].extend(u for u in holders.get(task.pk, []) if u not in row["people"])
        rows = [
            {
                "p": p,
                "url": process_url(p),
                "outcome": application_outcome(p),
                "comment": comments.get(p.pk),
                "revision_task": revisions.get(p.pk),
                "waiting": waiting.get(p.pk),
            }
            for p in page
        ]
        return render(request, self.template_name, {"page": page, "rows": rows})


class ArchiveView(views.ArchiveView):
    """已办: a done task links to its task page — except the steps that have none (a start
    task: the submitted application), which link to the process page instead of a 404."""

    @staticmethod
    def _has_task_page(task) -> bool:
        # The same test as views.TaskView.get_task: govmedia's pages serve our nodes only.
        return hasattr(task.flow_task, "task_kind")

    def _url(self, task) -> str:
        return task_url(task) if self._has_task_page(task) else process_url(task.process)

    def task_link(self, task):
        return format_html('<a href="{}">#{}</a>', self._url(task), task.pk)

    task_link.short_description = views.ArchiveView.task_link.short_description

    def account_name(self, task):
        return format_html(
            '<a href="{}">{}</a>', self._url(task), task.process.accountprocess.account.name
        )

    account_name.short_description = views.ArchiveView.account_name.short_description

    def step_name(self, task):
        # viewflow titles start nodes "Start" (untranslated); ours are translated.
        return gettext(step_label(task))

    step_name.short_description = views.ArchiveView.step_name.short_description
