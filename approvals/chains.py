"""Sign-off chains: ApprovalPolicy → ordered steps, frozen on the process at start."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from approvals.models import ApprovalPolicy, StepMode
from lifecycle.models import Role, Unit, UnitLevel

# The roles of sign-off chain steps (compute_chain: the unit head, then approvers, countersigns
# included). Their units read the process's notices (approvals.actions.issue_notice_for).
CHAIN_ROLES = (Role.UNIT_HEAD, Role.APPROVER)

ERR_POLICY_FORBIDS = _("按审批策略，{level}{kind}不得提出此类申请。")

# Used when no policy row matches: climb to the city level.
DEFAULT_TOP_LEVEL = UnitLevel.CITY


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


# Administrative levels from the top; a chain climbs while the supervisor is at or below
# the policy's top level.
LEVEL_RANK = {level: rank for rank, level in enumerate(UnitLevel.values)}


def compute_chain(*, process_kind: str, unit: Unit, extra_level: bool = False) -> list[dict]:
    """Steps: the applicant unit's head, then its supervisors upward until one at the policy's
    top level (one level higher with an exemption), then the policy's optional countersign /
    any-one step. Raises ValidationError (field "unit") when the policy forbids this kind of
    application for the unit. A unit at or above the top level still gets its supervisor."""
    policy = policy_for(process_kind=process_kind, unit=unit)
    if policy is not None and not policy.allowed:
        raise ValidationError(
            {
                "unit": str(ERR_POLICY_FORBIDS).format(
                    level=unit.get_level_display(), kind=unit.get_kind_display()
                )
            }
        )
    top = LEVEL_RANK[policy.top_level if policy else DEFAULT_TOP_LEVEL]
    steps = [_step([unit], Role.UNIT_HEAD, StepMode.ANY, str(_("单位负责人审核")))]

    def approver_step(supervisor: Unit) -> dict[str, Any]:
        label = str(_("{unit}审核")).format(unit=supervisor.name)
        return _step([supervisor], Role.APPROVER, StepMode.ANY, label)

    current, seen = unit.supervisor, {unit.pk}
    while current is not None and current.pk not in seen:
        steps.append(approver_step(current))
        seen.add(current.pk)
        if LEVEL_RANK[current.level] <= top:
            above = current.supervisor
            if extra_level and above is not None and above.pk not in seen:
                steps.append(approver_step(above))  # the exemption climbs one level more
            break
        current = current.supervisor
    if policy is not None:
        extra = list(policy.extra_units.all())
        if extra:
            label = _("会签") if policy.extra_mode == StepMode.ALL else _("或签")
            steps.append(_step(extra, Role.APPROVER, policy.extra_mode, str(label)))
    return steps


def step_title(step: dict[str, Any]) -> str:
    """A chain step's title in the language of the reader (the frozen step keeps codes and
    names; the stored "label" is only a fallback for rows written before this existed)."""
    names = step.get("unit_names") or step.get("units") or []
    added = step.get("added")
    if added:  # a signer added by name (approvals.services.oa)
        return str(_("加签：{name}（{unit}）")).format(name=added.get("name", ""),
                                                   unit="、".join(names))
    if step.get("role") == Role.UNIT_HEAD:
        return str(_("单位负责人审核"))
    if step.get("mode") == StepMode.ALL and len(names) > 1:
        return str(_("会签：{units}")).format(units="、".join(names))
    if len(names) > 1:
        return str(_("或签：{units}")).format(units="、".join(names))
    if names:
        return str(_("{unit}审核")).format(unit=names[0])
    return step.get("label", "")


def last_step_unit(chain: list[dict], known: dict[str, Unit] | None = None) -> Unit:
    """The issuing unit of an opening approval: the (first) unit of the last step — from
    `known` (units already loaded, by code) when it is there."""
    code = chain[-1]["units"][0]
    if known and code in known:
        return known[code]
    return Unit.objects.get(code=code)
