"""The default retention schedule (保管期限表): editable data afterwards."""

from django.db import migrations

DEFAULTS = {
    "opening_approval": ("Y", "批复：永久"),
    "closure_announcement": ("Y", "公告：永久"),
    "merger_announcement": ("Y", "公告：永久"),
    "revocation": ("Y", "撤销通知：永久"),
    "inspection_report": ("D30", "通报：30年"),
    "rectification_order": ("D30", "通知：30年"),
    "change_filing": ("D30", "函：30年"),
    "filing_receipt": ("D10", "回执：10年"),
}


def install(apps, schema_editor):
    RetentionRule = apps.get_model("notices", "RetentionRule")
    for kind, (retention, note) in DEFAULTS.items():
        RetentionRule.objects.get_or_create(kind=kind, defaults={"retention": retention,
                                                                 "note": note})


class Migration(migrations.Migration):

    dependencies = [
        ('notices', '0005_archive'),
    ]

    operations = [
        migrations.RunPython(install, migrations.RunPython.noop),
    ]
