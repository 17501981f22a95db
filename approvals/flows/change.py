"""ChangeFlow: rename / new operator / new subject / contact → chain → applied → 变更备案函."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from approvals import actions
from approvals.flows.chain import ChainFlow, audit_of, last_decider, revise_node
from approvals.forms.closure import ChangeApplyForm
from approvals.models import ProcessKind


class ChangeFlow(ChainFlow, flow.Flow):
    """账号变更

    Rename / new operator / new verified subject / contact change → chain → the change is
    applied (history keeps before/after) → 变更备案函 from the account's supervisor unit."""

    process_title = _("账号变更")
    process_description = _(
        "申请单位提交更名、运维单位、认证主体或联系人变更 → 逐级审核 → 变更生效（保"
        "留变更前后记录）→ 主管单位出具变更备案函。"
    )
    process_kind = ProcessKind.CHANGE

    revise = revise_node(ChangeApplyForm)

    approve = (
        flow.Function(this.on_approved)
        .Annotation(title=_("批准变更并备案"))
        .Next(this.end)
    )

    def on_rejected(self, activation, reason: str) -> None:
        """Nothing was applied; the account keeps its values."""

    def on_approved(self, activation) -> None:
        actions.change_apply_approved(process=activation.process, actor=last_decider(activation.process),
                                       audit=audit_of(activation))


# -- forced closure (a failed rectification recheck, or a supervisor's decision) -----------
