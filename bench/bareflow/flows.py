"""start → approve (viewflow's UpdateProcessView: GET the form, POST it) → end."""

from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.flow.views import UpdateProcessView

from bench.bareflow.models import BareProcess

APPROVER = "bare_approver"


class BareApprovalFlow(flow.Flow):
    process_class = BareProcess
    lock_impl = lock.select_for_update_lock

    start = flow.StartHandle(this.start_process).Next(this.approve)
    approve = (
        flow.View(UpdateProcessView.as_view(fields=["approved", "comment"]))
        .Assign(username=APPROVER)
        .Next(this.end)
    )
    end = flow.End()

    def start_process(self, activation, *, text=""):
        activation.process.text = text
        return activation.process
