"""申请开设账号: the web form with required marks, phone check, a preview of the approval
chain with unit and people names, and a resumable draft. Writes go through
approvals.services.opening_apply (the same service as the REST API)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views import View

from approvals import selectors, services
from approvals.nodes import process_url
from lifecycle.models import Platform, Role, Unit
from lifecycle.selectors import user_units
from workbench.forms import OpeningApplyForm
from workbench.models import ApplicationDraft
from workbench.views.tasks import _form_errors

DRAFT_KIND = "opening"


def chain_for(units: list[Unit], unit_code: str | None, platform: str | None) -> dict:
    """The chain preview for the chosen unit (one of `units`) and platform, or why not."""
    unit = next((u for u in units if u.code == unit_code), units[0] if units else None)
    if unit is None or platform not in Platform.values:
        return {"steps": [], "error": ""}
    try:
        return {"steps": selectors.chain_preview(unit=unit, platform=platform), "error": ""}
    except ValidationError as exc:
        return {"steps": [], "error": " ".join(exc.messages)}


class ApplyOpeningView(View):
    template_name = "workbench/apply_opening.html"

    def units(self, request) -> list[Unit]:
        return user_units(request.user, roles=(Role.APPLICANT,))

    def page(self, request, form, *, draft=None, status=200):
        units = list(form.units_list)
        data = form.data if form.is_bound else form.initial
        chain = chain_for(units, data.get("unit"), data.get("platform") or Platform.values[0])
        return render(request, self.template_name, {
            "form": form, "draft": draft, "chain": chain,
            "required_missing": [form[name].label for name, errors in form.errors.items()
                                 if name in form.fields],
        }, status=status)

    def make_form(self, request, data=None, files=None, initial=None):
        units = self.units(request)
        form = OpeningApplyForm(data, files, units=units, initial=initial)
        form.units_list = units
        return form

    def get(self, request):
        draft = ApplicationDraft.objects.filter(user=request.user, kind=DRAFT_KIND).first()
        form = self.make_form(request, initial=draft.data if draft else None)
        return self.page(request, form, draft=draft)

    def post(self, request):
        action = request.POST.get("action", "submit")
        if action == "discard":
            ApplicationDraft.objects.filter(user=request.user, kind=DRAFT_KIND).delete()
            messages.success(request, _("草稿已删除。"))
            return redirect("work:apply_opening")
        form = self.make_form(request, request.POST, request.FILES)
        if action == "draft":
            ApplicationDraft.objects.update_or_create(
                user=request.user, kind=DRAFT_KIND, defaults={"data": form.draft_data()}
            )
            messages.success(request, _("草稿已保存，下次打开本页时自动恢复。（附件不随草稿保存。）"))
            return redirect("work:apply_opening")
        if not form.is_valid():
            return self.page(request, form, status=400)
        data = dict(form.cleaned_data)
        unit = Unit.objects.get(code=data.pop("unit"))
        try:
            process = services.opening_apply(actor=request.user, unit=unit, **data)
        except ValidationError as exc:
            _form_errors(form, exc)
            return self.page(request, form, status=400)
        ApplicationDraft.objects.filter(user=request.user, kind=DRAFT_KIND).delete()
        messages.success(
            request, _("申请已提交（流程 #{pk}），等待单位负责人审核。").format(pk=process.pk)
        )
        return HttpResponseRedirect(process_url(process))


class ApplyChainView(View):
    """The chain preview fragment for the unit and platform chosen on the form (fetched
    when either changes)."""

    def get(self, request):
        units = user_units(request.user, roles=(Role.APPLICANT,))
        chain = chain_for(units, request.GET.get("unit"), request.GET.get("platform"))
        return render(request, "workbench/_chain_preview.html", {"chain": chain})
