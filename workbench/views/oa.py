"""OA actions from the process and task pages: 催办, 抄送, 评论, 加签 (approvals.services.oa).
Out-of-scope processes and tasks are 404; a refusal or bad input comes back as a message
on the page it came from and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views import View
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import selectors, services
from approvals.errors import ERR_TASK_DONE, ERR_TASK_FORBIDDEN
from approvals.nodes import process_url, step_label
from lifecycle.models import Unit
from workbench.views.tasks import TaskView

User = get_user_model()


def _refusal(request, exc: Exception) -> None:
    text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
    messages.error(request, text)


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.strip().isdigit()]


class _ProcessAction(View):
    """POST on a process the user may see; subclasses call one service."""

    done_message = ""

    def act(self, request, process) -> None:
        raise NotImplementedError

    def post(self, request, process_pk: int):
        process = get_object_or_404(selectors.processes_for(request.user), pk=process_pk)
        try:
            self.act(request, process)
        except (ValidationError, services.TaskConflict, services.TaskForbidden) as exc:
            _refusal(request, exc)
        else:
            messages.success(request, self.done_message)
        return redirect(process_url(process) + "#oa")


class ProcessUrgeView(_ProcessAction):
    done_message = _("已催办当前办理人员。")

    def act(self, request, process) -> None:
        services.process_urge(process=process, actor=request.user,
                              comment=request.POST.get("comment", ""))


class ProcessCommentView(_ProcessAction):
    done_message = _("评论已发表。")

    def act(self, request, process) -> None:
        services.process_comment(process=process, actor=request.user,
                                 comment=request.POST.get("comment", ""))


class ProcessCopyView(_ProcessAction):
    done_message = _("已抄送。")

    def act(self, request, process) -> None:
        user_ids = _ids(request.POST.getlist("users"))
        unit_ids = _ids(request.POST.getlist("units"))
        users = list(User.objects.filter(pk__in=user_ids))
        units = list(Unit.objects.filter(pk__in=unit_ids))
        if len(users) != len(set(user_ids)) or len(units) != len(set(unit_ids)):
            raise ValidationError({"to": services.ERR_COPY_TARGET})
        services.process_copy(process=process, actor=request.user, users=users, units=units,
                              comment=request.POST.get("comment", ""))


class TaskOaPage(TaskView):
    """A task's 加签 or 转办 page: its own page, reached from the task page, so the task
    page does not look up everyone who could be added or handed the task on every view
    (at a city's approver that is every head and approver below it). GET shows the form;
    a refusal comes back on it (400/409) with what was typed; out of scope is 404."""

    oa_template = "workbench/task_oa.html"
    oa = ""
    fields: tuple[str, ...] = ()
    # The service listing whom the form's picker offers: (task, user) -> people.
    choices: Callable[[Task, Any], list[Any]]

    def refused(self, request, task: Task) -> str | None:
        """Why the user may not use this form on the task now, else None."""
        if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
            return str(ERR_TASK_DONE)
        return None

    def page(self, request, task: Task, status: int = 200):
        return render(request, self.oa_template, {
            "oa": self.oa, "task": task, "account": task.process.accountprocess.account,
            "step_label": step_label(task), "people": self.choices(task, request.user),
            "chosen": {name: request.POST.get(name, "") for name in self.fields},
        }, status=status)

    def get(self, request, task_pk: int):
        task = self.get_task(request, task_pk)
        refusal = self.refused(request, task)
        if refusal:
            messages.error(request, refusal)
            return redirect("work:task", task.pk)
        return self.page(request, task)


class TaskAddSignerView(TaskOaPage):
    oa = "add_signer"
    fields = ("signer", "position", "reason")
    choices = staticmethod(services.signer_choices)

    def refused(self, request, task: Task) -> str | None:
        if getattr(task.flow_task, "task_kind", "") != "decision":
            return str(services.ERR_ADD_SIGNER_TASK)
        if not self.may_act(request, task):
            return super().refused(request, task) or str(ERR_TASK_FORBIDDEN)
        return None

    def post(self, request, task_pk: int):
        task = self.get_task(request, task_pk)
        signer_id = _ids([request.POST.get("signer", "")])
        signer = User.objects.filter(pk__in=signer_id).first()
        try:
            services.task_add_signer(task=task, actor=request.user, signer=signer,
                                     position=request.POST.get("position", ""),
                                     reason=request.POST.get("reason", ""))
        except ValidationError as exc:
            _refusal(request, exc)
            return self.page(request, task, status=400)
        except (services.TaskConflict, services.TaskForbidden) as exc:
            _refusal(request, exc)
            return redirect("work:task", task.pk)
        messages.success(request, _("已加签：{name}。").format(
            name=signer.get_full_name() or signer.get_username()))
        task.refresh_from_db()
        if task.status in ("NEW", "ASSIGNED"):
            return redirect("work:task", task.pk)
        return redirect(process_url(task.process) + "#oa")
