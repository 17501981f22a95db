"""OpeningFlow: application → unit head → chain → 批复 → (apps: 网信 filing) → registration →
备案回执 → active."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from approvals import actions, app_policy
from approvals.chains import last_step_unit
from approvals.flows.chain import ChainFlow, applicant_step, audit_of, last_decider, routed_units
from approvals.forms import CacFilingForm, RegistrationForm
from approvals.models import FilingKind, ProcessKind
from lifecycle import services as lifecycle


class OpeningFlow(ChainFlow, flow.Flow):
    """账号开设

    Application → unit head → chain → 批复 → registration → 备案回执 → active."""

    process_title = _("账号开设")
    process_description = _(
        "申请单位提交开设申请 → 单位负责人审核 → 按审批策略逐级审核 → 印发批复 "
        "→ 申请单位注册账号并填报平台信息 → 主管单位出具备案回执，账号启用。"
    )
    process_kind = ProcessKind.OPENING

    approve = (
        flow.Function(this.on_approved)
        .Annotation(title=_("批准开设并出具批复"))
        .Next(this.check_app)
    )

    # Apps, mini-programs and quick apps are filed with 网信 before they go live
    # (国办函〔2026〕12号; approvals.app_policy).
    check_app = (
        flow.If(this.is_app).Annotation(title=_("是否为移动应用"))
        .Then(this.cac_filing).Else(this.register)
    )

    cac_filing = applicant_step("cac_filing", CacFilingForm, _("网信部门备案")).Next(this.register)

    register = applicant_step("registration", RegistrationForm, _("注册账号并备案")).Next(
        this.activate
    )

    activate = flow.Function(this.on_registered).Annotation(title=_("账号上线")).Next(this.end)

    def is_app(self, activation) -> bool:
        return app_policy.is_app(activation.process.account.platform)

    def on_rejected(self, activation, reason: str) -> None:
        process = activation.process
        lifecycle.account_reject(
            account=process.account, actor=last_decider(process), reason=reason, **audit_of(activation)
        )

    def on_withdrawn(self, activation, reason: str) -> None:
        process = activation.process
        lifecycle.account_withdraw(
            account=process.account, actor=process.applicant, reason=reason, **audit_of(activation)
        )

    def on_approved(self, activation) -> None:
        process = activation.process
        actor = last_decider(process)
        account = lifecycle.account_approve_opening(
            account=process.account, actor=actor, reason="", **audit_of(activation)
        )
        actions.issue_notice_for(
            kind="opening_approval",
            process=process,
            account=account,
            issuing_unit=last_step_unit(process.chain, known=routed_units(process)),
            actor=actor,
        )

    def on_registered(self, activation) -> None:
        process = activation.process
        data = process.data.get("registration", {})
        account = lifecycle.account_register(
            account=process.account,
            actor=last_decider(process),
            platform_id=data["platform_id"],
            verified_subject=data["verified_subject"],
            live_on=actions.parse_iso_date(data["live_on"]),
            **audit_of(activation),
        )
        actions.issue_notice_for(
            kind="filing_receipt",
            process=process,
            account=account,
            issuing_unit=account.supervisor_unit or account.unit.supervisor or account.unit,
            actor=last_decider(process),
            context=data,
        )
        actions.open_filings(process=process, kind=FilingKind.OPENING,
                             event_on=actions.parse_iso_date(data["live_on"]))


# -- closure / merger (DESIGN §6 ClosureFlow) ---------------------------------------------
