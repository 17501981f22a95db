"""Policies say up to which administrative level a chain climbs (not a hop count): a county
office applying for itself then stops at the city like a county department does."""

from django.db import migrations, models

TOP = {
    "opening": {"province": "province", "city": "city", "county": "city", "township": "city",
                "community": "city"},
    "change": {"province": "province", "city": "city", "county": "county", "township": "county",
               "community": "township"},
    "closure": {"province": "province", "city": "city", "county": "county", "township": "county",
                "community": "township"},
}


def set_top_levels(apps, schema_editor):
    ApprovalPolicy = apps.get_model("approvals", "ApprovalPolicy")
    for policy in ApprovalPolicy.objects.all():
        policy.top_level = TOP.get(policy.process_kind, {}).get(policy.unit_level, "city")
        policy.save(update_fields=["top_level"])


class Migration(migrations.Migration):
    dependencies = [("approvals", "0003_delegation")]
    operations = [
        migrations.AddField(
            model_name="approvalpolicy",
            name="top_level",
            field=models.CharField(
                choices=[("province", "省级"), ("city", "市级"), ("county", "县级"),
                         ("township", "乡镇（街道）"), ("community", "村（社区）")],
                default="city",
                help_text="单位负责人之后，沿主管单位逐级向上审核，直到该层级的主管单位为止",
                max_length=16, verbose_name="审核至层级",
            ),
        ),
        migrations.RunPython(set_top_levels, migrations.RunPython.noop),
        migrations.RemoveField(model_name="approvalpolicy", name="levels"),
    ]
