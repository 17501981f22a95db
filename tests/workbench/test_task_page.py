"""The task page (issue 11 §2, §3): what is decided first (account, applicant, purpose, the
chain with names), 同意 / 不同意 / 退回 as separate buttons (退回 listing the earlier steps by
name), the 实施方案 previewed and downloaded through the scoped, logged route, a
resubmission's changes, a rectification's findings, reason, deadline and notice; the
timeline of human steps with superseded sign-offs and the current holders."""

from __future__ import annotations

import io
import logging
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfWriter

from approvals import services
from approvals.models import Decision, DecisionKind
from tests.approvals.helpers import apply_xl, decide, only_open_task
from tests.approvals.review_helpers import review_world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def _pdf(pages=2) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=200, height=280)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _page(client, user, task) -> str:
    client.force_login(user)
    response = client.get(reverse("work:task", args=[task.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_it_shows_what_is_decided_and_three_separate_buttons(client, nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head, comment="街道同意")
    html = _page(client, p.jy_approver, only_open_task(process))
    facts = _text(html.split('data-testid="what-is-decided"')[1].split("</table>")[0])
    for text in ("兴隆发布", "微信公众号", "发布街道政务信息", "兴隆街道办事处"):
        assert text in facts, text
    assert (p.xl_clerk.get_full_name() or p.xl_clerk.username) in facts
    for value in ("approve", "reject", "return"):
        assert f'name="d-decision" value="{value}"' in html
    assert 'id="id_d-decision"' not in html  # no dropdown defaulting to 同意
    # 退回 lists the earlier step by name, and the applicant.
    box = html.split('data-testid="return-to"')[1].split("</select>")[0]
    assert "申请人（修改后重新提交）" in box and "第 1 步：单位负责人审核" in box
    assert "南京市人民政府办公室审核" not in box  # later steps are not offered
    # The chain card names who signed the first step.
    svg = html.split('data-testid="chain-svg"')[1].split("</svg>")[0]
    assert 'data-state="done"' in svg and 'data-state="current"' in svg
    assert (p.xl_head.get_full_name() or p.xl_head.username) in svg
    # The current step names who may act, and the timeline the human steps only.
    waiting = _text(html.split('data-testid="waiting-card"')[1].split("</ul>")[0])
    assert (p.jy_approver.get_full_name() or p.jy_approver.username) in waiting
    timeline = _text(html.split('data-testid="timeline"')[1])
    assert "街道同意" in timeline and "发起申请" in timeline
    for engine in ("分派审核", "汇总意见", "统计结果", "流转"):
        assert engine not in timeline


def test_return_to_a_named_earlier_step_from_the_buttons(client, nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    decide(process, p.jy_approver)
    task = only_open_task(process)
    client.force_login(p.nj_approver)
    response = client.post(reverse("work:task", args=[task.pk]),
                           {"d-decision": "return", "d-return_to": "0", "d-comment": "请街道复核"})
    assert response.status_code == 302
    row = Decision.objects.get(task=task)
    assert row.decision == DecisionKind.RETURN and row.return_to == 0
    assert only_open_task(process).data["step"] == 0
    # without a reason: 400 naming the comment, nothing written
    task = only_open_task(process)
    client.force_login(p.xl_head)
    response = client.post(reverse("work:task", args=[task.pk]), {"d-decision": "reject"})
    assert response.status_code == 400 and "必须说明理由" in response.content.decode()
    assert not Decision.objects.filter(task=task).exists()


def test_the_plan_is_previewed_and_downloaded_through_the_logged_route(client, nanjing, caplog):
    p = nanjing.p
    process = apply_xl(nanjing, plan=SimpleUploadedFile("实施方案.pdf", _pdf(2), "application/pdf"))
    decide(process, p.xl_head)
    task = only_open_task(process)
    html = _page(client, p.jy_approver, task)
    url = reverse("work:task_evidence", args=[task.pk, "plan"])
    plan = html.split('data-testid="plan"')[1].split("</td>")[0]
    assert f'href="{url}"' in plan and "已上传" not in plan
    assert plan.count('data-testid="preview-page"') == 2
    with caplog.at_level(logging.INFO, logger="govmedia.files"):
        page = client.get(url + "?page=1")
        download = client.get(url)
    assert page.status_code == 200 and page["Content-Type"] == "image/png"
    assert page.content.startswith(b"\x89PNG")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert "attachment" in download["Content-Disposition"]
    logged = [r.getMessage() for r in caplog.records if r.name == "govmedia.files"]
    assert len(logged) == 2 and f"user={p.jy_approver.pk}" in logged[0] and "key=plan" in logged[0]
    # Everyone who may see the task may read it (the applicant too); others get 404.
    client.force_login(p.xl_clerk)
    assert client.get(url).status_code == 200
    client.force_login(p.jb_approver)
    assert client.get(url).status_code == 404
    client.force_login(p.jy_approver)
    assert client.get(url + "?page=9").status_code == 404
    assert client.get(reverse("work:task_evidence", args=[task.pk, "secret"])).status_code == 404


def test_a_resubmission_shows_its_changes_and_the_superseded_sign_offs(client, nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head, comment="第一轮同意")
    decide(process, p.jy_approver, decision="return", comment="用途太笼统")
    services.task_decide(task=only_open_task(process), actor=p.xl_clerk, decision="approve",
                         data={"purpose": "发布兴隆街道政务信息和办事指南"}, comment="已细化用途")
    html = _page(client, p.xl_head, only_open_task(process))
    changes = _text(html.split('data-testid="resubmission"')[1].split("</table>")[0])
    assert "开设用途" in changes and "发布兴隆街道政务信息和办事指南" in changes
    assert "已从第一步重新审核" in html
    timeline = html.split('data-testid="timeline"')[1]
    assert timeline.count('data-testid="superseded"') == 2  # the head's 同意, the district's 退回
    assert "重新提交" in timeline and "已细化用途" in timeline


def test_a_rectification_task_shows_findings_reason_deadline_and_notice(client, review_world):
    w = review_world
    process = services.rectification_start(
        actor=w.p.jy_reviewer, account=w.stale, reason="超过两周未更新",
        findings=[{"label": "内容更新", "text": "2周内无更新", "points": 5}])
    task = only_open_task(process)
    html = _page(client, w.p.xl_clerk, task)
    box = _text(html.split('data-testid="rectification"')[1].split("</table>")[0])
    assert "超过两周未更新" in box and "内容更新：2周内无更新" in box and "扣 5 分" in box
    plan = process.__class__.objects.get(pk=process.pk).data["rectification"]
    assert plan["deadline"] in box and plan["notice"]["number"] in box


def test_the_process_page_shows_people_the_timeline_not_the_engine(client, nanjing):
    from approvals.nodes import process_url

    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head, comment="街道同意")
    client.force_login(p.xl_clerk)
    html = client.get(process_url(process)).content.decode()
    assert 'data-testid="chain-svg"' in html and 'data-testid="timeline"' in html
    text = _text(html)
    assert "街道同意" in text and (p.jy_approver.get_full_name() or p.jy_approver.username) in text
    for engine in ("分派审核", "汇总意见", "统计结果", "BPMN"):
        assert engine not in text, engine
