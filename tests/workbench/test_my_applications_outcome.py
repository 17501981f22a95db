"""我的申请 tells the applicant what became of each application — approved, not approved,
withdrawn, returned for changes, still in review — and shows the last comment, instead of
已办结 for approved and rejected alike."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from approvals import services
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = pytest.mark.django_db
QUERIES = 10


def _rows(client) -> dict[str, dict[str, str]]:
    """Account name → {outcome, comment, actions} as the page shows them."""
    html = client.get(reverse("work:applications")).content.decode()
    rows = {}
    for row in re.findall(r'<tr data-testid="application-\d+">(.*?)</tr>', html, re.S):
        cells = [re.sub(r"<[^>]+>", " ", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        cells = [re.sub(r"\s+", " ", c).strip() for c in cells]
        rows[cells[2]] = {"outcome": cells[5], "holder": cells[6], "comment": cells[7],
                         "actions": row}
    return rows


def _approve_all(nanjing, process, register=False):
    p = nanjing.p
    decide(process, p.xl_head)
    decide(process, p.jy_approver)
    decide(process, p.nj_approver, comment="同意开设，注意内容审核")
    if register:
        services.task_decide(
            task=only_open_task(process), actor=p.xl_clerk, decision="approve",
            data={"platform_id": "gh_xl_done", "verified_subject": "兴隆街道办事处",
                  "live_on": timezone.localdate().isoformat()})


def test_it_shows_the_outcome_and_the_last_comment(client, nanjing):
    p = nanjing.p
    approved = apply_xl(nanjing, name="兴隆发布")
    _approve_all(nanjing, approved, register=True)
    registering = apply_xl(nanjing, name="兴隆视频号", platform="wechat_channels")
    _approve_all(nanjing, registering)
    rejected = apply_xl(nanjing, name="兴隆微博", platform="weibo")
    decide(rejected, p.xl_head)
    decide(rejected, p.jy_approver, decision="reject", comment="功能与区账号重复")
    returned = apply_xl(nanjing, name="兴隆抖音", platform="douyin")
    decide(returned, p.xl_head)
    decide(returned, p.jy_approver, decision="return", comment="请补充运维单位")
    withdrawn = apply_xl(nanjing, name="兴隆快手", platform="kuaishou")
    services.process_withdraw(process=withdrawn, actor=p.xl_clerk)
    apply_xl(nanjing, name="兴隆头条", platform="toutiao")  # waiting for the street's head

    client.force_login(p.xl_clerk)
    rows = _rows(client)
    assert rows["兴隆发布"]["outcome"] == "批准"
    assert rows["兴隆发布"]["comment"].startswith(
        "同意：同意开设，注意内容审核 南京审核人（南京市人民政府办公室）")
    assert rows["兴隆视频号"]["outcome"] == "已批准，后续办理中"
    assert rows["兴隆微博"]["outcome"] == "不予批准"
    assert rows["兴隆微博"]["comment"].startswith("不同意：功能与区账号重复 建邺审核人")
    assert rows["兴隆抖音"]["outcome"] == "退回待修改"
    assert rows["兴隆抖音"]["comment"].startswith("退回修改：请补充运维单位")
    revision = only_open_task(returned)
    assert f'href="{reverse("work:task", args=[revision.pk])}"' in rows["兴隆抖音"]["actions"]
    assert rows["兴隆快手"]["outcome"] == "已撤回" and rows["兴隆快手"]["comment"] == "—"
    assert rows["兴隆头条"]["outcome"] == "审核中"
    assert "撤回</button>" in rows["兴隆头条"]["actions"]
    assert "已办结" not in {r["outcome"] for r in rows.values()}


def test_it_shows_a_resubmitted_application_in_review_again(client, nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    decide(process, p.jy_approver, decision="return", comment="请补充运维单位")
    services.task_decide(task=only_open_task(process), actor=p.xl_clerk, decision="approve",
                         data={"operator": "某科技公司（已补充）"}, comment="已补充")
    client.force_login(p.xl_clerk)
    row = _rows(client)["兴隆发布"]
    assert row["outcome"] == "审核中" and row["comment"].startswith("重新提交：已补充")
    assert "revise-link" not in row["actions"]


def test_it_lists_the_page_in_a_fixed_number_of_queries(client, nanjing):
    p = nanjing.p
    for i, platform in enumerate(("weibo", "douyin", "kuaishou")):
        process = apply_xl(nanjing, name=f"兴隆{i}", platform=platform)
        decide(process, p.xl_head, decision="return" if i else "approve", comment=f"意见{i}")
    client.force_login(p.xl_clerk)
    client.get(reverse("work:applications"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("work:applications"))
    process = apply_xl(nanjing, name="兴隆更多", platform="toutiao")
    decide(process, p.xl_head, decision="return", comment="再退回")
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("work:applications"))
    # session, user, the user's units (for the scope), count, page, the page's comments,
    # its open tasks, their routing and the members holding it, the site frame's menu (two
    # permission lookups, the units of its role check), the header's unread notification
    # count: the same for any number of rows.
    assert len(more) == len(few) == QUERIES, [q["sql"] for q in more.captured_queries]


@pytest.mark.parametrize("kind, status, data, label", [
    ("opening", "NEW", {"outcome": "next"}, "审核中"),
    ("opening", "NEW", {"outcome": "revise"}, "退回待修改"),
    ("opening", "DONE", {"outcome": "rejected"}, "不予批准"),
    ("opening", "DONE", {"outcome": "withdrawn"}, "已撤回"),
    ("opening", "CANCELED", {}, "已撤回"),
    ("closure", "NEW", {"outcome": "approved"}, "已批准，后续办理中"),
    ("closure", "DONE", {"outcome": "approved"}, "批准"),
    ("closure", "NEW", {"closure": {"forced": True}}, "强制关停办理中"),
    ("closure", "DONE", {"closure": {"forced": True}}, "强制关停"),
    ("rectification", "NEW", {}, "整改中"),
    ("rectification", "DONE", {"recheck": {"result": "pass"}}, "整改通过"),
    ("rectification", "DONE", {"recheck": {"result": "fail"}}, "整改未通过"),
    ("inspection", "DONE", {}, "已办结"),
])
def test_it_names_every_outcome(kind, status, data, label):
    from approvals.models import AccountProcess
    from workbench.views.accounts import application_outcome

    assert str(application_outcome(AccountProcess(kind=kind, status=status, data=data))) == label


def test_it_names_who_holds_each_application_and_since_when(client, nanjing):
    p = nanjing.p
    waiting = apply_xl(nanjing, name="兴隆头条", platform="toutiao")
    at_district = apply_xl(nanjing, name="兴隆微博", platform="weibo")
    decide(at_district, p.xl_head)
    services.task_claim(task=only_open_task(at_district), actor=p.jy_approver)
    client.force_login(p.xl_clerk)
    rows = _rows(client)
    head = p.xl_head.get_full_name() or p.xl_head.username
    assert head in rows["兴隆头条"]["holder"]
    since = only_open_task(waiting).created
    assert timezone.localtime(since).strftime("自 %Y-%m-%d %H:%M 起") in rows["兴隆头条"]["holder"]
    approver = p.jy_approver.get_full_name() or p.jy_approver.username
    assert approver in rows["兴隆微博"]["holder"] and head not in rows["兴隆微博"]["holder"]


def test_it_lists_only_my_own_applications(client, nanjing):
    p = nanjing.p
    apply_xl(nanjing, name="兴隆头条", platform="toutiao")
    client.force_login(p.xl_head)  # same unit, not the applicant
    assert _rows(client) == {}
    client.force_login(p.xl_clerk)
    assert list(_rows(client)) == ["兴隆头条"]
