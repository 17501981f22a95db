"""RectificationFlow: 整改通知 with a deadline → report → recheck → active, or forced closure."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from approvals import actions
from approvals.flows.chain import audit_of
from approvals.flows.closure import start_forced_closure
from approvals.flows.inspection import owner_route, start_account_process, supervisor_route
from approvals.forms.inspection import RecheckForm, RectificationReportForm
from approvals.models import AccountProcess, ProcessKind
from approvals.nodes import RoutedView, task_redirect
from lifecycle.models import Role


class RectificationFlow(flow.Flow):
    """账号整改

    整改通知 with a deadline → the owning unit reports → the supervisor unit rechecks:
    pass → active; more → the report again (more material, same deadline); fail, or no
    report by the deadline (run_due) → forced closure."""

    process_class = AccountProcess
    lock_impl = lock.select_for_update_lock
    process_title = _("账号整改")
    process_description = _(
        "下发整改通知（含整改期限）→ 主办单位提交整改报告 → 主管单位复核：通过则账号"
        "恢复运行；材料不足可退回补充；不通过或逾期未提交报告则强制关停。"
    )

    start = flow.StartHandle(this.start_process).Annotation(title=_("发起")).Next(this.order)

    order = (
        flow.Function(this.on_order).Annotation(title=_("下发整改通知")).Next(this.report)
    )

    report = (
        RoutedView(task_redirect, kind="rectification_report", role=Role.APPLICANT,
                   form=RectificationReportForm, route=owner_route)
        .Annotation(title=_("提交整改报告"))
        .Next(this.check_overdue)
    )

    check_overdue = (
        flow.Switch()
        .Annotation(title=_("是否逾期"))
        .Case(this.escalate, this.is_overdue)
        .Default(this.recheck)
    )

    recheck = (
        RoutedView(task_redirect, kind="recheck", role=Role.SUPERVISOR_REVIEWER,
                   form=RecheckForm, route=supervisor_route)
        .Annotation(title=_("主管单位复核"))
        .Next(this.route)
    )

    route = (
        flow.Switch()
        .Annotation(title=_("复核结论"))
        .Case(this.passed, this.recheck_passed)
        .Case(this.report, this.needs_more)
        .Default(this.failed)
    )

    passed = flow.Function(this.on_passed).Annotation(title=_("恢复运行")).Next(this.end)
    failed = flow.Function(this.on_failed).Annotation(title=_("强制关停")).Next(this.end)
    escalate = (
        flow.Function(this.on_overdue).Annotation(title=_("逾期未整改，强制关停")).Next(this.end)
    )

    end = flow.End().Annotation(title=_("完成"))

    def start_process(self, activation, *, account, unit, actor, data):
        return start_account_process(activation, account=account, unit=unit, actor=actor,
                      kind=ProcessKind.RECTIFICATION, data=data)

    def on_order(self, activation) -> None:
        actions.rectification_order(process=activation.process,
                                            audit=audit_of(activation))

    def is_overdue(self, activation) -> bool:
        return bool(activation.process.data["rectification"].get("overdue"))

    def recheck_passed(self, activation) -> bool:
        return (activation.process.data.get("recheck") or {}).get("result") == "pass"

    def needs_more(self, activation) -> bool:
        """The reviewer asks for more material: the report step again, same deadline."""
        return (activation.process.data.get("recheck") or {}).get("result") == "more"

    def on_passed(self, activation) -> None:
        actions.rectification_pass(process=activation.process, audit=audit_of(activation))

    def on_failed(self, activation) -> None:
        actions.rectification_fail(process=activation.process, audit=audit_of(activation),
                                   start_closure=start_forced_closure)

    def on_overdue(self, activation) -> None:
        actions.rectification_fail(process=activation.process, audit=audit_of(activation),
                                   overdue=True, start_closure=start_forced_closure)
