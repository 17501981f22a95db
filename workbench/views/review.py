"""Web adapters of the periodic review: campaigns, the inspection sheet (with screenshot
upload), starting rectifications, zombie / low-reach lists with exports, the dashboard.
Writes go through approvals.services (and review.services), reads through workbench.dashboards."""

from __future__ import annotations

import datetime
import io
import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.forms.utils import ErrorDict
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _
from django.views import View

from approvals import services
from approvals.forms.inspection import CampaignForm, InspectionForm, RectificationStartForm, ScreenshotForm
from approvals.models import AccountProcess
from approvals.nodes import process_url, task_url
from lifecycle.http import int_param
from lifecycle.models import Account, AccountState, Role, Unit
from lifecycle.selectors import accounts_for, subtree_q, units_for, user_units
from lifecycle.tabular import write_csv, write_table
from notices.rendering import cn_date
from review.evaluation import LIST_COLUMNS, ReviewError, period_bounds
from review.models import Inspection
from review.posts import post_stats
from review.selectors import content_findings_for
from review.warnings import warnings_of
from workbench import dashboards as selectors_review
from workbench.views.tasks import TaskView, _form_errors


def _campaign_or_404(request, pk: int):
    campaign = selectors_review.campaigns_for(request.user).filter(pk=pk).first()
    if campaign is None:
        raise Http404(_("没有找到该检查活动。"))
    return campaign


def _inspector_units(request):
    units = user_units(request.user, roles=(Role.INSPECTOR,))
    if request.user.is_superuser:
        return list(Unit.objects.order_by("path")[:500])
    return list(Unit.objects.filter(subtree_q(units)).order_by("path")) if units else []


class CampaignListView(View):
    template_name = "workbench/review/campaigns.html"

    def render(self, request, form, status=200):
        return render(request, self.template_name, {
            "campaigns": selectors_review.campaigns_for(request.user)[:200],
            "form": form,
        }, status=status)

    def get(self, request):
        units = _inspector_units(request)
        return self.render(request, CampaignForm(units=units) if units else None)

    def post(self, request):
        units = _inspector_units(request)
        form = CampaignForm(request.POST, units=units)
        if not units:
            raise PermissionDenied(str(services.ERR_SCOPE_FORBIDDEN))
        # The service checks ratio and scope itself (same messages for web and API).
        data = {k: request.POST.get(k, "") for k in ("period", "kind", "ratio", "seed")}
        scope = Unit.objects.filter(code=request.POST.get("scope_unit", "")).first()
        try:
            campaign = services.campaign_create(
                actor=request.user, scope_unit=scope, **data)
        except ValidationError as exc:
            form.is_valid()
            form._errors = ErrorDict()  # show the service's messages only, once each
            _form_errors(form, exc)
            return self.render(request, form, status=400)
        messages.success(request, _("检查活动已创建，抽取 {n} 个账号。").format(
            n=campaign.inspections.count()))
        return redirect("work:campaign", campaign.pk)


class CampaignDetailView(View):
    template_name = "workbench/review/campaign.html"

    def get(self, request, pk: int):
        campaign = _campaign_or_404(request, pk)
        inspections = list(
            campaign.inspections.select_related("account__unit", "inspector").order_by(
                "account__unit__path", "account__name", "pk")
        )
        tasks = {
            p.account_id: t for p in AccountProcess.objects.filter(data__campaign=campaign.pk)
            for t in [p.task_set.order_by("-pk").first()] if t is not None
        }
        rows = [
            {"inspection": i, "task": tasks.get(i.account_id),
             "task_url": task_url(tasks[i.account_id]) if i.account_id in tasks else "",
             "sheet_url": reverse("work:inspection_sheet", args=[tasks[i.account_id].pk])
             if i.account_id in tasks else ""}
            for i in inspections
        ]
        failed_ids = set(campaign.results.get("failed_accounts", []))
        started = services.campaign_started_count(campaign)
        return render(request, self.template_name, {
            "campaign": campaign, "rows": rows,
            "open_count": services.campaign_open_tasks(campaign).count()
            + len(inspections) - started,
            "started": started,
            "failed": [r for r in rows if r["inspection"].account_id in failed_ids],
        })


class CampaignCloseView(View):
    def post(self, request, pk: int):
        campaign = _campaign_or_404(request, pk)
        try:
            campaign = services.campaign_close(actor=request.user, campaign=campaign)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("检查活动已结束，通报 {number} 已印发。").format(
                number=campaign.results["notice"]["number"]))
        return redirect("work:campaign", pk)


class InspectionSheetView(TaskView):
    """The inspection task with a multipart form: the task page's fields plus a screenshot."""

    template_name = "workbench/review/inspection_sheet.html"

    def get_task(self, request, task_pk: int):
        task = super().get_task(request, task_pk)
        if task.flow_task.task_kind != "inspection":
            raise Http404(_("没有找到该任务。"))
        return task

    def context(self, request, task, form=None, upload_form=None):
        ctx = super().context(request, task, form)
        process = ctx["process"]
        inspection = Inspection.objects.select_related("campaign").get(
            pk=process.data["inspection_id"])
        ctx.update({
            "inspection": inspection,
            "warnings": warnings_of(inspection.account, before=inspection.as_of),
            **_content_evidence(inspection),
            "findings": inspection.findings.select_related("indicator"),
            "upload_form": upload_form or ScreenshotForm(),
        })
        return ctx

    def post(self, request, task_pk: int):
        task = self.get_task(request, task_pk)
        form = InspectionForm(request.POST, prefix="d")
        upload = ScreenshotForm(request.POST, request.FILES)
        if not upload.is_valid():
            return render(request, self.template_name,
                          self.context(request, task, form, upload), status=400)
        data = {k[2:]: v for k, v in request.POST.items() if k.startswith("d-")}
        try:
            services.inspection_decide(
                task=task, actor=request.user, data=data,
                upload=upload.cleaned_data.get("screenshot"))
        except ValidationError as exc:
            form.is_valid()
            _form_errors(form, exc)
            return render(request, self.template_name,
                          self.context(request, task, form, upload), status=400)
        except services.TaskConflict as exc:
            messages.error(request, str(exc))
            return render(request, self.template_name, self.context(request, task), status=409)
        except services.TaskForbidden as exc:
            raise PermissionDenied(str(exc)) from exc
        messages.success(request, _("检查结论已记录。"))
        campaign_id = AccountProcess.objects.get(pk=task.process_id).data["campaign"]
        return redirect("work:campaign", campaign_id)


def _content_evidence(inspection: Inspection) -> dict:
    """The content-check candidates (错敏信息, links) of the account's posts in the campaign
    period up to its as-of date, and the update figures derived from its posts."""
    bounds = period_bounds(inspection.campaign.period) if inspection.campaign else None
    start = bounds[0] if bounds else inspection.as_of - datetime.timedelta(days=90)
    end = min(bounds[1], inspection.as_of) if bounds else inspection.as_of
    return {
        "content_findings": content_findings_for(inspection.account, start=start, end=end)[:200],
        "post_stats": post_stats(inspection.account, start=start, end=end),
        "content_window": (start, end),
    }


SUGGEST_CLOSURE = _(
    "该账号长期未更新、关注度低，请限期整改；确无运营必要的，请申请关停或整合到本单位其他账号。"
)


class RectifyStartView(View):
    """Order a rectification (RectificationFlow) for an account in the user's subtree."""

    template_name = "workbench/review/rectify.html"

    def get_account(self, request, account_id: int) -> Account:
        account = accounts_for(request.user).filter(pk=account_id).first()
        if account is None:
            raise Http404
        return account

    def campaign(self, request):
        raw = request.GET.get("campaign") or request.POST.get("campaign")
        try:
            pk = int_param(raw, "campaign")
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        return _campaign_or_404(request, pk) if pk is not None else None

    def findings(self, account, campaign):
        insp = Inspection.objects.filter(account=account)
        if campaign is not None:
            insp = insp.filter(campaign=campaign)
        latest = insp.order_by("-as_of", "-pk").first()
        if latest is not None:
            return services.findings_from_inspection(latest)
        days = (timezone.localdate() - account.last_post_on).days if account.last_post_on else None
        text = (_("最近发文 {day}，已 {n} 天未更新").format(day=cn_date(account.last_post_on), n=days)
                if days is not None else _("无发文记录"))
        return [{"code": "ZOMBIE", "label": str(_("长期未更新（僵尸号）")), "text": str(text)}]

    def get(self, request, account_id: int):
        account = self.get_account(request, account_id)
        campaign = self.campaign(request)
        return render(request, self.template_name, {
            "account": account, "campaign": campaign,
            # "建议关停/整合" from the zombie list: the order asks the unit to rectify or close.
            "form": RectificationStartForm(initial={"reason": SUGGEST_CLOSURE} if request.GET.get(
                "suggest") else None),
            "findings": self.findings(account, campaign),
        })

    def post(self, request, account_id: int):
        account = self.get_account(request, account_id)
        campaign = self.campaign(request)
        form = RectificationStartForm(request.POST)
        findings = self.findings(account, campaign)
        try:
            process = services.rectification_start(
                actor=request.user, account=account, reason=request.POST.get("reason", ""),
                findings=findings, campaign=campaign)
        except ValidationError as exc:
            form.is_valid()
            _form_errors(form, exc)
            return render(request, self.template_name, {
                "account": account, "campaign": campaign, "form": form, "findings": findings,
            }, status=400)
        messages.success(request, _("已下发整改通知 {number}，整改期限 {deadline}。").format(
            number=process.data["rectification"]["notice"]["number"],
            deadline=process.data["rectification"]["deadline"]))
        return redirect(process_url(process))


def _as_of(request) -> datetime.date:
    """The as-of date of a list; a malformed one (9999-99-99) is a 400, never a 500."""
    raw = request.GET.get("as_of") or ""
    try:
        day = parse_date(raw)
    except ValueError:
        day = None
    if raw and day is None:
        raise BadRequest(_("日期格式应为 YYYY-MM-DD：{value}").format(value=raw[:40]))
    return day or timezone.localdate()


class AttentionListView(View):
    """Zombie (僵尸号) and low-reach (低关注) lists of the user's subtree."""

    template_name = "workbench/review/attention.html"

    def get(self, request):
        only = request.GET.get("only") if request.GET.get("only") == "low_reach" else "zombie"
        as_of = _as_of(request)
        try:
            accounts = selectors_review.attention_accounts(user=request.user, as_of=as_of,
                                                           only=only)
        except ReviewError as exc:
            messages.error(request, str(exc))
            accounts = []
        rectifiable = {
            a.pk for a in accounts
            if a.state == AccountState.ACTIVE
            and services.rectify_unit(actor=request.user, account=a) is not None
        }
        return render(request, self.template_name, {
            "accounts": accounts, "only": only, "as_of": as_of, "rectifiable": rectifiable,
            "applicant_units": {u.pk for u in user_units(request.user, roles=(Role.APPLICANT,))},
        })


class AttentionExportView(View):
    def get(self, request):
        only = request.GET.get("only")
        only = only if only in ("zombie", "low_reach") else None
        fmt = "xlsx" if request.GET.get("fmt") == "xlsx" else "csv"
        as_of = _as_of(request)
        try:
            rows = selectors_review.attention_rows(user=request.user, as_of=as_of, only=only)
        except ReviewError as exc:
            return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
        name = f"attention-{only or 'all'}-{as_of.isoformat()}.{fmt}"
        if fmt == "csv":
            buf = io.StringIO()
            write_csv(buf, LIST_COLUMNS, rows)
            response = HttpResponse("\ufeff" + buf.getvalue(), content_type="text/csv; charset=utf-8")
        else:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / name
                write_table(path, LIST_COLUMNS, rows, fmt="xlsx")
                response = HttpResponse(
                    path.read_bytes(),
                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class WarningsView(View):
    """Early warnings (预警): accounts at risk in the user's subtree (``?unit=CODE`` — the
    unit's page — narrows it), with days left and when the unit was told."""

    template_name = "workbench/review/warnings.html"

    def get(self, request):
        unit = None
        code = request.GET.get("unit") or ""
        if code:
            unit = units_for(request.user).filter(code=code).first()
            if unit is None:
                raise Http404(_("没有找到该单位。"))
        as_of = _as_of(request)
        return render(request, self.template_name, {
            "rows": selectors_review.at_risk_for(user=request.user, as_of=as_of, unit=unit),
            "unit": unit, "as_of": as_of,
            "units": units_for(request.user).order_by("path")[:500],
        })


class DashboardView(View):
    template_name = "workbench/review/dashboard.html"

    def get(self, request):
        data = selectors_review.dashboard(request.user)
        chart = selectors_review.bar_chart
        return render(request, self.template_name, {
            "d": data,
            "at_risk": selectors_review.at_risk_for(
                user=request.user, as_of=timezone.localdate(), limit=20),
            "charts": [
                (_("按状态"), data["by_state"], chart(data["by_state"]), False),
                (_("按层级"), data["by_level"], chart(data["by_level"]), False),
                (_("按平台"), data["by_platform"], chart(data["by_platform"]), False),
                (_("每月开设"), data["opened"], chart(data["opened"]), False),
                (_("每月关停"), data["closed"], chart(data["closed"]), False),
                (_("检查合格率（按期次）"),
                 [(r["period"], f'{r["passed"]}/{r["total"]}（{(r["rate"] or 0) * 100:.1f}%）')
                  for r in data["pass_rates"]],
                 chart([(r["period"], r["rate"] or 0) for r in data["pass_rates"]],
                       percent=True), True),
                (_("逾期任务（按单位）"), data["overdue"], chart(data["overdue"]), False),
            ],
        })
