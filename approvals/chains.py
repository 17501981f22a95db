"""Sign-off chains: ApprovalPolicy → ordered steps, frozen on the process at start."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lifecycle.models import Role, Unit

from .models import ApprovalPolicy, StepMode

ERR_POLICY_FORBIDS = _("按审批策略，{level}{kind}不得提出此类申请。")

# Used when no policy row matches: the unit head, then the supervisor.
DEFAULT_LEVELS = 1


def policy_for(*, process_kind: str, unit: Unit) -> ApprovalPolicy | None:
    """The most specific policy: exact unit kind first, then the level-wide row."""
    rows = list(
        ApprovalPolicy.objects.filter(
            process_kind=process_kind, unit_level=unit.level, unit_kind__in=[unit.kind, ""]
        ).prefetch_related("extra_units")
    )
    rows.sort(key=lambda p: p.unit_kind == "")  # exact kind before the blank wildcard
    return rows[0] if rows else None


def _step(units: list[Unit], role: str, mode: str, label: str) -> dict[str, Any]:
    return {
        "units": [u.code for u in units],
        "unit_names": [u.name for u in units],
        "role": role,
        "mode": mode,
        "label": label,
    }


def compute_chain(*, process_kind: str, unit: Unit, extra_level: bool = False) -> list[dict]:
    """Steps: the applicant unit's head, then `levels` supervisors upward (+1 with an
    exemption), then the policy's optional countersign/any-one step. Raises ValidationError
    (field "unit") when the policy forbids this kind of application for the unit."""
    policy = policy_for(process_kind=process_kind, unit=unit)
    if policy is not None and not policy.allowed:
        raise ValidationError(
            {
                "unit": str(ERR_POLICY_FORBIDS).format(
                    level=unit.get_level_display(), kind=unit.get_kind_display()
                )
            }
        )
    levels = (policy.levels if policy else DEFAULT_LEVELS) + (1 if extra_level else 0)
    steps = [_step([unit], Role.UNIT_HEAD, StepMode.ANY, str(_("单位负责人审核")))]
    current = unit.supervisor
    seen = {unit.pk}
    for _i in range(levels):
        if current is None or current.pk in seen:
            break
        steps.append(
            _step([current], Role.APPROVER, StepMode.ANY, str(_("{unit}审核")).format(unit=current.name))
        )
        seen.add(current.pk)
        current = current.supervisor
    if policy is not None:
        extra = list(policy.extra_units.all())
        if extra:
            label = _("会签") if policy.extra_mode == StepMode.ALL else _("或签")
            steps.append(_step(extra, Role.APPROVER, policy.extra_mode, str(label)))
    return steps


def last_step_unit(chain: list[dict]) -> Unit:
    """The issuing unit of an opening approval: the (first) unit of the last step."""
    return Unit.objects.get(code=chain[-1]["units"][0])
