"""The default approval policies (DESIGN §6, BRIEF §3) with today's model.

Migrations 0002/0004 install them on `migrate`; `ensure_default_policies()` restores them
where a table flush removed them (transactional tests, a reset demo database)."""

from __future__ import annotations

from approvals.models import ApprovalPolicy

# (process_kind, unit_level, unit_kind, allowed, top_level, note)
DEFAULT_POLICIES = [
    ("opening", "province", "", True, "province", "省级单位：单位负责人 → 省政府办公厅"),
    ("opening", "city", "", True, "city", "市级部门：单位负责人 → 市政府办公室"),
    ("opening", "county", "", True, "city", "县级单位：单位负责人 → 县（区）政府办 → 市政府办"),
    ("opening", "township", "", True, "city", "乡镇（街道）：单位负责人 → 县（区）政府办 → 市政府办"),
    ("opening", "community", "", False, "city", "村（社区）原则上不单独开设账号"),
    ("opening", "township", "internal", False, "city", "内设机构不得开设"),
    ("change", "province", "", True, "province", ""),
    ("change", "city", "", True, "city", ""),
    ("change", "county", "", True, "county", ""),
    ("change", "township", "", True, "county", ""),
    ("change", "community", "", True, "township", ""),
    ("closure", "province", "", True, "province", ""),
    ("closure", "city", "", True, "city", ""),
    ("closure", "county", "", True, "county", ""),
    ("closure", "township", "", True, "county", ""),
    ("closure", "community", "", True, "township", "社区账号关停：社区负责人 → 街道"),
]


def ensure_default_policies() -> int:
    """Create the missing default rows; existing (possibly edited) rows are left alone."""
    created = 0
    for kind, level, unit_kind, allowed, top_level, note in DEFAULT_POLICIES:
        _policy, was_created = ApprovalPolicy.objects.get_or_create(
            process_kind=kind, unit_level=level, unit_kind=unit_kind,
            defaults={"allowed": allowed, "top_level": top_level, "note": note},
        )
        created += was_created
    return created
