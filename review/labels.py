"""People's labels of the indicator codes of the national 2019 rule set (the codes stay the
stored values; pages show these, in the reader's language). A code of a later rule set that
is not listed here shows its Indicator.name (workbench_tags.indicator_labels)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

INDICATOR_LABELS = {
    "NO_UPDATE_14D": _("监测时间点前2周内无更新"),
    "NO_INTERACTION": _("未提供有效互动功能"),
    "SERIOUS_ERROR": _("出现严重表述错误"),
    "SECRET_LEAK": _("泄露国家秘密"),
    "HARMFUL_CONTENT": _("发布或链接反动、暴力、色情等内容"),
    "BOUGHT_FOLLOWERS": _("购买“粉丝”"),
    "FORCED_LIKES": _("强制要求群众点赞、关注"),
    "UPDATE_NOT_TIMELY": _("更新不及时"),
    "BROKEN_FUNCTION": _("栏目、菜单、链接等功能不可用"),
    "UNRELATED_REPOSTS": _("点赞、转发与职能无关的信息"),
    "COMMERCIAL_INFO": _("发布商业广告等商业信息"),
    "SUBJECT_MISMATCH": _("认证主体与主办单位不一致"),
    "UNVERIFIED": _("账号未认证"),
    "TYPOS_SENSITIVE": _("存在错别字、敏感词"),
    "PERSONAL_DATA": _("个人信息未脱敏"),
    "CHANGE_NOT_FILED": _("变更、关停未备案"),
}


def indicator_label(code: str, names: dict[str, str] | None = None) -> str:
    """The label of one indicator code: ours, else the rule set's name, else the code."""
    if code in INDICATOR_LABELS:
        return str(INDICATOR_LABELS[code])
    return (names or {}).get(code, code)
