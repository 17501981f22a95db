"""Install the default national-2019 rule set (DESIGN §8, BRIEF §2).

Veto items: the seven red lines quoted from 国办秘函〔2019〕19号 by inspection reports.
Deduction items: those seen in published reports; their points are OUR DEFAULTS (the official
table was not reachable) summing to 100 — administrators replace them in the admin by adding
a new version of the rule set. The data is frozen here on purpose (a migration must not
change meaning when code changes later).
"""

from django.db import migrations

NAME = "全国政务新媒体检查指标"
VERSION = "national-2019"

PARAMS = {
    # review.evaluation.rules_from_rule_set reads these.
    "zombie_days": 90,
    "pass_mark": 60,
    "low_reach": {"followers_below": 100, "posts_per_year_below": 12},
}

# (code, name, automatic, params)
VETOES = [
    ("NO_UPDATE_14D", "监测时间点前2周内无更新", True, {"days": 14}),
    ("NO_INTERACTION", "未提供有效互动功能", True, {}),
    ("SERIOUS_ERROR", "出现严重表述错误", False, {}),
    ("SECRET_LEAK", "泄露国家秘密", False, {}),
    ("HARMFUL_CONTENT", "发布或链接反动、暴力、色情等内容", False, {}),
    ("BOUGHT_FOLLOWERS", "购买“粉丝”", False, {}),
    ("FORCED_LIKES", "强制要求群众点赞、关注", False, {}),
]

# (code, name, default max points) — the points must sum to 100.
DEDUCTIONS = [
    ("UPDATE_NOT_TIMELY", "更新不及时", 20),
    ("BROKEN_FUNCTION", "栏目、菜单、链接等功能不可用", 15),
    ("UNRELATED_REPOSTS", "点赞、转发与职能无关的信息", 10),
    ("COMMERCIAL_INFO", "发布商业广告等商业信息", 10),
    ("SUBJECT_MISMATCH", "认证主体与主办单位不一致", 10),
    ("UNVERIFIED", "账号未认证", 10),
    ("TYPOS_SENSITIVE", "存在错别字、敏感词", 10),
    ("PERSONAL_DATA", "个人信息未脱敏", 10),
    ("CHANGE_NOT_FILED", "变更、关停未备案", 5),
]
assert sum(points for _code, _name, points in DEDUCTIONS) == 100

NOTE = (
    "默认指标体系，依据国办秘函〔2019〕19号公开报道整理。单项否决项为公开的7条红线；"
    "扣分项分值为系统默认值（官方扣分细则未公开），应按上级正式印发的指标表替换（新增版本后启用）。"
)


def install(apps, schema_editor):
    RuleSet = apps.get_model("review", "RuleSet")
    Indicator = apps.get_model("review", "Indicator")
    rule_set, created = RuleSet.objects.get_or_create(
        name=NAME, version=VERSION,
        defaults={"note": NOTE, "params": PARAMS,
                  "active": not RuleSet.objects.filter(active=True).exists()},
    )
    if not created:
        return
    rows = [
        Indicator(rule_set=rule_set, part="veto", code=code, name=name, max_points=0,
                  automatic=automatic, params=params, position=i)
        for i, (code, name, automatic, params) in enumerate(VETOES, start=1)
    ] + [
        Indicator(rule_set=rule_set, part="deduction", code=code, name=name, max_points=points,
                  automatic=False, params={}, position=i)
        for i, (code, name, points) in enumerate(DEDUCTIONS, start=1)
    ]
    Indicator.objects.bulk_create(rows)


def uninstall(apps, schema_editor):
    RuleSet = apps.get_model("review", "RuleSet")
    Indicator = apps.get_model("review", "Indicator")
    Finding = apps.get_model("review", "Finding")
    Campaign = apps.get_model("review", "Campaign")
    rule_set = RuleSet.objects.filter(name=NAME, version=VERSION).first()
    if rule_set is None:
        return
    if Campaign.objects.filter(rule_set_id=rule_set.pk).exists() or Finding.objects.filter(
        indicator__rule_set_id=rule_set.pk
    ).exists():
        return  # in use: keep it (the schema reversal below then refuses, as it should)
    # Raw deletes: nothing refers to these rows (checked above), and the collector trips
    # over historical model classes when it follows the reverse relations.
    alias = schema_editor.connection.alias
    Indicator.objects.filter(rule_set_id=rule_set.pk)._raw_delete(alias)
    RuleSet.objects.filter(pk=rule_set.pk)._raw_delete(alias)


class Migration(migrations.Migration):
    dependencies = [("review", "0001_initial")]

    operations = [migrations.RunPython(install, uninstall)]
