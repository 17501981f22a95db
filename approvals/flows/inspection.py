"""Review flows (DESIGN §6): one InspectionFlow process per sampled account of a campaign,
and the RectificationFlow of a failed account.

    InspectionFlow:    start → inspect (inspectors of the inspecting unit) → record → end
    RectificationFlow: start → order (→ rectifying, 整改通知 with a deadline in working days)
                       → report (owning unit's clerks) → check_overdue
                       check_overdue: overdue → escalate (fail recheck → forced closure)
                                      else → recheck (supervisor unit's reviewers) → route
                       route: pass → passed (active) · fail → failed (closing → forced closure)

An inspection is a process per account (not one campaign process with a split) because
every process row names its account (AccountProcess), which is what scopes inboxes and
lists; the campaign is the group (process.data["campaign"]).

Nodes call approvals.actions; human steps are RoutedView tasks decided through
approvals.services.task_decide (web task page, inspection sheet, REST API)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from approvals import actions
from approvals.forms.inspection import InspectionForm
from approvals.models import AccountProcess, ProcessKind
from approvals.nodes import RoutedView, task_redirect
from lifecycle.models import Role

INSPECTION_KIND = ProcessKind.INSPECTION  # AccountProcess.kind of InspectionFlow processes


def inspector_route(process) -> dict[str, Any]:
    return {"units": [process.data["inspecting_unit"]], "role": Role.INSPECTOR, "round": 0}


def owner_route(process) -> dict[str, Any]:
    return {"units": [process.account.unit.code], "role": Role.APPLICANT, "round": 0}


def supervisor_route(process) -> dict[str, Any]:
    return {"units": [process.data["rectification"]["recheck_unit"]],
            "role": Role.SUPERVISOR_REVIEWER, "round": 0}


def start_account_process(activation, *, account, unit, actor, kind, data):
    """Fill a new review process (inspection, rectification) from its start arguments."""
    process = activation.process
    process.kind = kind
    process.account = account
    process.unit = unit
    process.applicant = actor
    process.data = {"round": 0, **data}
    activation.task.owner = actor
    return process


class InspectionFlow(flow.Flow):
    """账号检查

    One sampled account of a campaign: the inspector records manual vetoes, deductions
    and evidence; automatic findings were pre-filled when the campaign was created."""

    process_class = AccountProcess
    lock_impl = lock.select_for_update_lock
    process_title = _("账号检查")
    process_description = _(
        "检查活动抽中的账号：检查员记录否决项、扣分项和证据；自动判定结果和公众反馈在创建"
        "检查活动时已预填。"
    )

    start = flow.StartHandle(this.start_process).Annotation(title=_("发起")).Next(this.inspect)

    inspect = (
        RoutedView(task_redirect, kind="inspection", role=Role.INSPECTOR,
                   form=InspectionForm, route=inspector_route)
        .Annotation(title=_("检查打分"))
        .Next(this.record)
    )

    record = flow.Function(this.on_inspected).Annotation(title=_("记录检查结论")).Next(this.end)

    end = flow.End().Annotation(title=_("完成"))

    def start_process(self, activation, *, account, unit, actor, data):
        return start_account_process(activation, account=account, unit=unit, actor=actor,
                      kind=INSPECTION_KIND, data=data)

    def on_inspected(self, activation) -> None:
        actions.inspection_record(process=activation.process)
