"""Default approval policies (DESIGN §6, BRIEF §3). Data, editable in the admin.

Policies say up to which administrative level a chain climbs (not a hop count): a county
office applying for itself then stops at the city like a county department does."""

from django.db import migrations

# (process_kind, unit_level, unit_kind, allowed, levels (unused since top_level), note)
DEFAULTS = [
    ("opening", "province", "", True, 1, "省级单位：单位负责人 → 省政府办公厅"),
    ("opening", "city", "", True, 1, "市级部门：单位负责人 → 市政府办公室"),
    ("opening", "county", "", True, 2, "县级单位：单位负责人 → 县（区）政府办 → 市政府办"),
    ("opening", "township", "", True, 2, "乡镇（街道）：单位负责人 → 县（区）政府办 → 市政府办"),
    ("opening", "community", "", False, 3, "村（社区）原则上不单独开设账号"),
    ("opening", "township", "internal", False, 0, "内设机构不得开设"),
    ("change", "province", "", True, 1, ""),
    ("change", "city", "", True, 1, ""),
    ("change", "county", "", True, 1, ""),
    ("change", "township", "", True, 1, ""),
    ("change", "community", "", True, 1, ""),
    ("closure", "province", "", True, 1, ""),
    ("closure", "city", "", True, 1, ""),
    ("closure", "county", "", True, 1, ""),
    ("closure", "township", "", True, 1, ""),
    ("closure", "community", "", True, 1, "社区账号关停：社区负责人 → 街道"),
]


# The level each chain climbs to, by process kind and applicant level.
TOP = {
    "opening": {"province": "province", "city": "city", "county": "city", "township": "city",
                "community": "city"},
    "change": {"province": "province", "city": "city", "county": "county", "township": "county",
               "community": "township"},
    "closure": {"province": "province", "city": "city", "county": "county", "township": "county",
                "community": "township"},
}


def install(apps, schema_editor):
    ApprovalPolicy = apps.get_model("approvals", "ApprovalPolicy")
    for kind, level, unit_kind, allowed, levels, note in DEFAULTS:
        ApprovalPolicy.objects.get_or_create(
            process_kind=kind, unit_level=level, unit_kind=unit_kind,
            defaults={"allowed": allowed, "note": note,
                      "top_level": TOP.get(kind, {}).get(level, "city")},
        )


class Migration(migrations.Migration):
    dependencies = [("approvals", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
