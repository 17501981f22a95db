"""Apps and mini-programs (issue 14 item 6; docs/review.md): 国办函〔2026〕12号
《政务移动互联网应用程序规范化管理办法》 (2026-01-25) covers APPs, 小程序 and 快应用 — not
public accounts. Units below county level in principle do not build them; each is filed with
the 网信 department before launch (the OpeningFlow's `cac_filing` step, before registration);
changes and closures are reported (the change and closure filings of approvals.filings).

Configurable: settings.APP_PLATFORMS (the platform codes this policy covers) and
settings.APP_MIN_LEVEL (the lowest unit level that may apply; default county)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lifecycle.models import Platform, Unit, UnitLevel

RULE_SOURCE = "国办函〔2026〕12号《政务移动互联网应用程序规范化管理办法》（2026年1月25日）"
RULE_TEXT = _(
    "政务移动互联网应用程序（APP、小程序、快应用，不含公众账号）：县级以下单位原则上不开发建设；"
    "上线前须向网信部门备案；变更、关停须按规定报告。"
)
ERR_APP_LEVEL = _(
    "{level}单位原则上不开发建设政务移动互联网应用程序（APP、小程序、快应用）。依据：{source}。"
)
ERR_CAC_BEFORE_LIVE = _("上线日期不能早于网信备案日期 {day}：应用须先向网信部门备案再上线。")

# Unit levels from the top; a level's index is its depth.
LEVEL_ORDER = [UnitLevel.PROVINCE, UnitLevel.CITY, UnitLevel.COUNTY, UnitLevel.TOWNSHIP,
               UnitLevel.COMMUNITY]


def app_platforms() -> tuple[str, ...]:
    return tuple(getattr(settings, "APP_PLATFORMS", (Platform.APP, Platform.MINI_PROGRAM,
                                                     Platform.QUICK_APP)))


def is_app(platform: str) -> bool:
    return platform in app_platforms()


def check_app_opening(*, unit: Unit, platform: str) -> None:
    """Refuse an app of a unit below the lowest level allowed (ValidationError on `unit`)."""
    if not is_app(platform):
        return
    lowest = getattr(settings, "APP_MIN_LEVEL", UnitLevel.COUNTY)
    if unit.level in LEVEL_ORDER and lowest in LEVEL_ORDER and (
        LEVEL_ORDER.index(unit.level) > LEVEL_ORDER.index(lowest)
    ):
        raise ValidationError({"unit": str(ERR_APP_LEVEL).format(
            level=unit.get_level_display(), source=RULE_SOURCE)})


def check_live_after_cac(*, cac: dict | None, live_on: str | datetime.date | None) -> None:
    """The registration of an app goes live on or after its 网信 filing date."""
    if not cac or not live_on:
        return
    filed = datetime.date.fromisoformat(str(cac["cac_filed_on"]))
    live = live_on if isinstance(live_on, datetime.date) else datetime.date.fromisoformat(str(live_on))
    if live < filed:
        raise ValidationError({"live_on": str(ERR_CAC_BEFORE_LIVE).format(day=filed.isoformat())})
