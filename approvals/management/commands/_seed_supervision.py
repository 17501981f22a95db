"""seed_demo's supervision part (issue 14; docs/demo.md): the early warning of the account at
risk (建邺发布 微博), the Nanjing content dictionary with a post of 兴隆发布 that uses an
outdated institution name and a campaign over 兴隆 whose inspection sheet shows it, a pending
filing and an app application with its 网信 step. Each step is idempotent and skipped with a
warning when the services refuse it (the command's `attempt`)."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.selectors import open_tasks
from approvals.services import campaign_create, opening_apply, task_decide
from lifecycle.models import Account, Unit
from review import services as review_services
from review.models import Campaign, Dictionary
from review.warnings import warnings_record

DICTIONARY = "南京市错敏词库"
ENTRIES = [
    ("wrong_term", "南京市质监局", "南京市市场监督管理局",
     "南京市机构改革方案（2019年）：质监、食药监职责划入市场监管局"),
    ("wrong_term", "南京市食药监局", "南京市市场监督管理局", "南京市机构改革方案（2019年）"),
    ("forbidden", "最高级", "", "《中华人民共和国广告法》第九条"),
]


def seed_supervision(command: Any, *, units: dict[str, Unit], users: dict[str, Any],
                     accounts: dict, tally: Any) -> None:
    today = timezone.localdate()
    inspector = users.get("inspector")
    if inspector is not None and "NJ" in units:
        seed_content(command, unit=units["NJ"], inspector=inspector, today=today, tally=tally)
        if "JYXL" in units:
            seed_campaign(command, scope=units["JYXL"], inspector=inspector, today=today, tally=tally)
    if {"zhijian_clerk", "zhijian_head", "nanjing_approver"} <= set(users) and "NJZJ" in units:
        seed_app(command, unit=units["NJZJ"], users=users, tally=tally)
    result = command.attempt(_("演示预警"), lambda: warnings_record(today=today))
    if result and result["opened"]:
        tally.add(_("预警"), result["opened"])


def seed_content(command: Any, *, unit: Unit, inspector: Any, today: datetime.date, tally: Any) -> None:
    def dictionary() -> Dictionary:
        found = Dictionary.objects.filter(unit=unit, name=DICTIONARY).first()
        if found is None:
            found = review_services.dictionary_create(unit=unit, name=DICTIONARY, actor=inspector,
                                                      note=_("演示词库"))
            tally.add(_("错敏词库"))
        have = set(found.entries.filter(removed_in__isnull=True).values_list("term", flat=True))
        for kind, term, right, note in ENTRIES:
            if term not in have:
                review_services.dictionary_entry_add(dictionary=found, kind=kind, term=term,
                                                     replacement=right, source_note=note, actor=inspector)
        return found

    if command.attempt(_("演示错敏词库"), dictionary) is None:
        return
    day = today - datetime.timedelta(days=1)
    rows = [(2, {
        "platform": "wechat_official", "platform_id": "xinglongfabu",
        "published_at": f"{day.isoformat()} 09:30", "title": "关于开展食品安全宣传周活动的通知",
        "text": "兴隆街道联合南京市质监局开展宣传，详情见 http://www.example.com/activity 。",
        "url": "https://mp.weixin.qq.com/s/demo-xinglong-1",
    })]
    result = command.attempt(_("演示发文"), lambda: review_services.posts_import(rows=rows, actor=inspector))
    if result is not None and result.created:
        tally.add(_("发文"), result.created)


def seed_campaign(command: Any, *, scope: Unit, inspector: Any, today: datetime.date, tally: Any) -> None:
    period = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    if Campaign.objects.filter(scope_unit=scope, period=period).exists():
        return
    campaign = command.attempt(_("演示检查活动"), lambda: campaign_create(
        actor=inspector, period=period, kind="quarterly", ratio="1", seed=1, scope_unit=scope,
        as_of=today))
    if campaign is not None:
        tally.add(_("检查活动"))


def seed_app(command: Any, *, unit: Unit, users: dict[str, Any], tally: Any) -> None:
    """A mini-program of 南京市质监局, approved and waiting at its 网信 filing step."""
    if Account.objects.filter(unit=unit, platform="mini_program").exists():
        return

    def run() -> Any:
        process = opening_apply(
            actor=users["zhijian_clerk"], unit=unit, platform="mini_program", name="南京质检服务",
            purpose=_("计量、特种设备等办事预约与查询服务。"), operator=_("南京某信息技术有限公司"),
            contact_name="王工", contact_phone="025-83000000",
        )
        for who in ("zhijian_head", "nanjing_approver"):
            task = open_tasks(process).first()
            task_decide(task=task, actor=users[who], decision="approve", comment=_("同意"))
        return process

    if command.attempt(_("演示小程序开设申请"), run) is not None:
        tally.add(_("小程序申请"))
