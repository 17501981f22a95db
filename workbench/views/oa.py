"""OA actions from the process and task pages: 催办, 抄送, 评论, 加签 (approvals.services.oa).
Out-of-scope processes and tasks are 404; a refusal or bad input comes back as a message
on the page it came from and changes nothing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from django.views import View

from approvals import selectors, services
from approvals.nodes import process_url
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


class TaskAddSignerView(TaskView):
    def post(self, request, task_pk: int):
        task = self.get_task(request, task_pk)
        signer_id = _ids([request.POST.get("signer", "")])
        signer = User.objects.filter(pk__in=signer_id).first()
        try:
            services.task_add_signer(task=task, actor=request.user, signer=signer,
                                     position=request.POST.get("position", ""),
                                     reason=request.POST.get("reason", ""))
        except (ValidationError, services.TaskConflict, services.TaskForbidden) as exc:
            _refusal(request, exc)
            return redirect("work:task", task.pk)
        messages.success(request, _("已加签：{name}。").format(
            name=signer.get_full_name() or signer.get_username()))
        task.refresh_from_db()
        if task.status in ("NEW", "ASSIGNED"):
            return redirect("work:task", task.pk)
        return redirect(process_url(task.process) + "#oa")
