"""Delegation (委托代办), transfer (转办) and bulk approval with confirmation."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views import View

from approvals import selectors, services
from approvals.models import Delegation
from approvals.nodes import step_label
from workbench.views.oa import TaskOaPage
from workbench.views.tasks import _form_errors

User = get_user_model()


class DelegationForm(forms.Form):
    delegate = forms.CharField(label=_("受托人"), max_length=150)
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("事由"), required=False, max_length=200)

    def clean_delegate(self):
        user = User.objects.filter(username=self.cleaned_data["delegate"], is_active=True).first()
        if user is None:
            raise ValidationError(_("没有该用户。"))
        return user


class DelegationView(View):
    template_name = "workbench/delegations.html"

    def page(self, request, form, status=200):
        return render(request, self.template_name, {
            "form": form,
            # the picker lists only colleagues with the same role in the same unit
            "eligible": services.eligible_delegates(request.user).prefetch_related(
                "memberships__unit"),
            "given": Delegation.objects.filter(user=request.user).select_related("delegate"),
            "received": Delegation.objects.filter(delegate=request.user).select_related("user"),
        }, status=status)

    def get(self, request):
        return self.page(request, DelegationForm())

    def post(self, request):
        if "end" in request.POST:
            delegation = get_object_or_404(Delegation, pk=request.POST["end"], user=request.user)
            services.delegation_end(delegation=delegation, actor=request.user)
            messages.success(request, _("委托已结束。"))
            return redirect("work:delegations")
        form = DelegationForm(request.POST)
        if not form.is_valid():
            return self.page(request, form, status=400)
        try:
            services.delegation_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
            return self.page(request, form, status=400)
        messages.success(request, _("已委托，受托人可在期限内代为办理您的任务。"))
        return redirect("work:delegations")


class TaskTransferView(TaskOaPage):
    oa = "transfer"
    fields = ("to_user", "comment")
    choices = staticmethod(services.transfer_targets)

    def refused(self, request, task) -> str | None:
        if task.owner_id != request.user.pk:
            return super().refused(request, task) or str(services.ERR_TRANSFER_NOT_HOLDER)
        return super().refused(request, task)

    def post(self, request, task_pk: int):
        task = self.get_task(request, task_pk)
        to_user = User.objects.filter(username=request.POST.get("to_user", "")).first()
        try:
            if to_user is None:
                raise ValidationError({"to_user": services.ERR_TRANSFER_TARGET})
            services.task_transfer(task=task, actor=request.user, to_user=to_user,
                                   comment=request.POST.get("comment", ""))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return self.page(request, task, status=400)
        except services.TaskConflict as exc:
            messages.error(request, str(exc))
            return self.page(request, task, status=409)
        messages.success(request, _("已转办给 {user}。").format(user=to_user.get_full_name() or to_user))
        return redirect("workflow:inbox")


class BulkApproveView(View):
    """Step 1 (GET): pick decision tasks from inbox + queue. Step 2 (POST without confirm):
    the confirmation page lists them. Step 3 (POST confirm=1): approve each one."""

    template_name = "workbench/bulk_approve.html"

    def candidates(self, request):
        return [
            t for t in selectors.open_tasks_for(request.user).select_related(
                "process__accountprocess__account", "process__accountprocess__unit"
            )
            if getattr(t.flow_task, "task_kind", "") == "decision"
        ]

    def get(self, request):
        rows = [(t, step_label(t)) for t in self.candidates(request)]
        return render(request, self.template_name, {"rows": rows, "confirm": False})

    def post(self, request):
        wanted = {int(pk) for pk in request.POST.getlist("task") if pk.isdigit()}
        tasks = [t for t in self.candidates(request) if t.pk in wanted]
        if not tasks:
            messages.error(request, _("请至少选择一项任务。"))
            return redirect("work:bulk_approve")
        if request.POST.get("confirm") != "1":
            rows = [(t, step_label(t)) for t in tasks]
            return render(request, self.template_name, {"rows": rows, "confirm": True,
                                                        "comment": request.POST.get("comment", "")})
        result = services.tasks_bulk_approve(
            tasks=tasks, actor=request.user, comment=request.POST.get("comment", "")
        )
        messages.success(request, _("已同意 {n} 项。").format(n=len(result["done"])))
        for task, reason in result["failed"]:
            messages.error(request, f"#{task.pk}: {reason}")
        if not request.user.is_authenticated:
            raise PermissionDenied
        return redirect("workflow:inbox")
