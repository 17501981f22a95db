"""Web forms that start a ClosureFlow or a ChangeFlow. They call the same services as the
REST API (approvals.services.closure_apply / change_apply)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import View

from approvals import services
from approvals.forms.closure import ChangeApplyForm, ClosureApplyForm
from lifecycle.models import Account, Role
from lifecycle.selectors import sees_everything, user_units
from workbench.views.tasks import _form_errors


def applicant_account(request, account_id: int) -> Account:
    """The account, if the user is an applicant of its owning unit (else 404: no leak)."""
    account = Account.objects.select_related("unit").filter(pk=account_id).first()
    if account is None:
        raise Http404(_("没有找到该账号。"))
    if not sees_everything(request.user) and account.unit_id not in {
        u.pk for u in user_units(request.user, roles=(Role.APPLICANT,))
    }:
        raise Http404(_("没有找到该账号。"))
    return account


def _to_process(process):
    return HttpResponseRedirect(
        process.flow_class.instance.reverse("process_detail", args=[process.pk])
    )


class ApplyClosureView(View):
    template_name = "workbench/apply_closure.html"

    def page(self, request, account, form, status=200):
        return render(request, self.template_name, {"form": form, "account": account}, status=status)

    def get(self, request, account_id: int):
        account = applicant_account(request, account_id)
        form = ClosureApplyForm(account=account, initial={"stop_on": timezone.localdate()})
        return self.page(request, account, form)

    def post(self, request, account_id: int):
        account = applicant_account(request, account_id)
        form = ClosureApplyForm(request.POST, account=account)
        if not form.is_valid():
            return self.page(request, account, form, status=400)
        data = form.cleaned_data
        try:
            process = services.closure_apply(
                actor=request.user, account=account, kind=data["kind"], reason=data["reason"],
                stop_on=data["stop_on"], successor_account=data.get("successor_account"),
                successor_channels=form.channels(),
            )
        except ValidationError as exc:
            _form_errors(form, exc)
            return self.page(request, account, form, status=400)
        # One message: the site's snackbar shows only the last one, and the note matters.
        text = str(_("关停/整合申请已提交（流程 #{pk}），等待单位负责人审核。")).format(pk=process.pk)
        notes = process.data["closure"].get("notes", [])
        messages.success(request, " ".join([text, *notes]))
        return _to_process(process)


class ApplyChangeView(View):
    template_name = "workbench/apply_change.html"

    def page(self, request, account, form, status=200):
        return render(request, self.template_name, {"form": form, "account": account}, status=status)

    def get(self, request, account_id: int):
        account = applicant_account(request, account_id)
        initial = {f: getattr(account, f) for f in ChangeApplyForm.base_fields if f != "reason"}
        return self.page(request, account, ChangeApplyForm(initial=initial))

    def post(self, request, account_id: int):
        account = applicant_account(request, account_id)
        form = ChangeApplyForm(request.POST)
        if not form.is_valid():
            return self.page(request, account, form, status=400)
        data = dict(form.cleaned_data)
        reason = data.pop("reason")
        try:
            process = services.change_apply(
                actor=request.user, account=account, changes=data, reason=reason
            )
        except ValidationError as exc:
            _form_errors(form, exc)
            return self.page(request, account, form, status=400)
        messages.success(
            request, _("变更申请已提交（流程 #{pk}），等待单位负责人审核。").format(pk=process.pk)
        )
        return _to_process(process)
