"""The engine's viewflow flows, one module per flow (DESIGN §6). Nodes call approvals.actions
(never the entry services above them, never views); human nodes are RoutedView tasks that
approvals.services.task_decide decides."""

from approvals.flows.chain import ChainFlow
from approvals.flows.change import ChangeFlow
from approvals.flows.closure import ClosureFlow, start_forced_closure
from approvals.flows.inspection import InspectionFlow
from approvals.flows.opening import OpeningFlow
from approvals.flows.rectification import RectificationFlow

__all__ = [
    "ChainFlow", "ChangeFlow", "ClosureFlow", "InspectionFlow", "OpeningFlow", "RectificationFlow",
    "start_forced_closure",
]
