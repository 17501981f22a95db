"""Inspection campaigns through the web views: create (sample + automatic findings + one
inspector task per account), inspect on the task page and on the inspection sheet (with a
screenshot), close → 通报 listing the failed accounts, pass rates stored."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.test import TestCase
from django.urls import reverse
from PIL import Image

from approvals import selectors, services
from approvals.flows import InspectionFlow
from approvals.models import AccountProcess
from approvals.nodes import announce_task
from notices.models import Notice
from review.evaluation import review
from review.models import Campaign, Finding, Inspection
from tests.approvals.closure_helpers import pdf_text
from tests.approvals.review_helpers import review_world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def _create(client, world, **fields):
    client.force_login(world.p.nj_inspector)
    data = {"period": "2026Q4", "kind": "quarterly", "ratio": "1", "seed": "7",
            "scope_unit": "NJ", **fields}
    with after_commit():  # the inspection processes are started by a job after commit
        return client.post(reverse("work:campaigns"), data)


def after_commit():
    """Run on-commit callbacks (the campaign start job) at the end of the block, as a real
    commit would; the test's own transaction never commits."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def _campaign_tasks(campaign):
    processes = AccountProcess.objects.filter(data__campaign=campaign.pk)
    return {p.account_id: t for p in processes for t in selectors.open_tasks(p)}


def _open_campaign(w):
    with after_commit():
        return services.campaign_create(
            actor=w.p.nj_inspector, period="2026Q4", kind="quarterly", ratio="1", seed=1,
            scope_unit=w.u.nj)


def _png() -> io.BytesIO:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, format="PNG")
    buf.seek(0)
    buf.name = "shot.png"
    return buf


def test_it_creates_a_campaign_with_tasks_and_automatic_findings(client, review_world):
    w = review_world
    response = _create(client, w)
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get()
    assert campaign.inspecting_unit == w.u.nj and campaign.as_of is not None
    assert campaign.inspections.count() == 5  # ratio 1: every active account under 南京
    stale = Inspection.objects.get(campaign=campaign, account=w.stale)
    assert stale.vetoes == ["NO_UPDATE_14D"] and stale.zombie
    assert Finding.objects.filter(inspection=stale, automatic=True,
                                  indicator__code="NO_UPDATE_14D").exists()
    tasks = _campaign_tasks(campaign)
    assert len(tasks) == 5
    assert all(t.flow_task == InspectionFlow.inspect for t in tasks.values())
    # The inspector's queue shows them; a 江北 approver's does not.
    assert set(selectors.queue_for(w.p.nj_inspector)) == set(tasks.values())
    assert not selectors.queue_for(w.p.jb_approver).exists()
    page = client.get(reverse("work:campaign", args=[campaign.pk]))
    assert page.status_code == 200 and "兴隆旧号" in page.content.decode()


def test_it_samples_reproducibly_like_review_sample(review_world):
    w = review_world
    a = services.sample_accounts(scope=w.u.nj, ratio="0.4", seed=3)
    b = services.sample_accounts(scope=w.u.nj, ratio="0.4", seed=3)
    assert a == b and len(a) == 2
    import datetime

    from lifecycle.models import Account

    names = {i["account"]["name"] for i in review(as_of=datetime.date.today(), unit=w.u.nj,
                                                  ratio=0.4, seed=3)}
    assert names == set(Account.objects.filter(pk__in=a).values_list("name", flat=True))


@pytest.mark.parametrize("ratio", ["0", "1.5", "-0.1", "abc"])
def test_it_rejects_a_ratio_outside_zero_one_and_writes_nothing(client, review_world, ratio):
    response = _create(client, review_world, ratio=ratio)
    assert response.status_code == 400
    assert "抽查比例必须大于 0 且不超过 1" in response.content.decode()
    assert not Campaign.objects.exists() and not AccountProcess.objects.exists()


def test_it_rejects_an_empty_scope_and_writes_nothing(client, review_world):
    with pytest.raises(ValidationError) as exc:
        services.campaign_create(
            actor=review_world.p.nj_inspector, period="2026Q4", kind="quarterly", ratio="0.5",
            seed=1, scope_unit=review_world.u.sq)
    assert "scope_unit" in exc.value.message_dict
    assert "没有运行中或整改中的账号" in exc.value.message_dict["scope_unit"][0]
    response = _create(client, review_world, scope_unit="JYXLSQ")
    assert response.status_code == 400 and "没有运行中或整改中的账号" in response.content.decode()
    assert not Campaign.objects.exists() and not AccountProcess.objects.exists()


def test_it_refuses_a_scope_outside_the_inspectors_subtree(review_world):
    with pytest.raises(ValidationError) as exc:
        services.campaign_create(
            actor=review_world.p.jy_inspector, period="2026Q4", kind="quarterly", ratio="1",
            seed=1, scope_unit=review_world.u.nj)
    assert "scope_unit" in exc.value.message_dict
    assert not Campaign.objects.exists()


def test_it_runs_a_campaign_through_the_web_and_issues_the_report(
    client, review_world, django_capture_on_commit_callbacks
):
    w = review_world
    _create(client, w)
    campaign = Campaign.objects.get()
    tasks = _campaign_tasks(campaign)
    # 南京质检: a manual veto with evidence, on the task page (fields prefixed "d-").
    task = tasks[w.zj.pk]
    page = client.get(reverse("work:task", args=[task.pk]))
    assert page.status_code == 200 and "出现严重表述错误" in page.content.decode()
    bad = client.post(reverse("work:task", args=[task.pk]), {"d-veto_SERIOUS_ERROR": "on"})
    assert bad.status_code == 400  # evidence is required with a finding
    response = client.post(reverse("work:task", args=[task.pk]), {
        "d-veto_SERIOUS_ERROR": "on", "d-evidence_text": "3月5日推文将“国务院”误写",
        "d-evidence_url": "https://mp.weixin.qq.com/s/abc"})
    assert response.status_code == 302, response.content.decode()[:2000]
    # 南京质检微博: deductions on the inspection sheet with a screenshot.
    task = tasks[w.zj_weibo.pk]
    sheet = reverse("work:inspection_sheet", args=[task.pk])
    assert client.get(sheet).status_code == 200
    response = client.post(sheet, {"d-ded_UPDATE_NOT_TIMELY": "3", "d-evidence_text": "更新不及时",
                                   "screenshot": _png()})
    assert response.status_code == 302, response.content.decode()[:2000]
    # the others pass (no finding) — 兴隆旧号 fails on its automatic veto.
    for account in (w.xl, w.stale, w.jb):
        response = client.post(reverse("work:task", args=[tasks[account.pk].pk]), {})
        assert response.status_code == 302, response.content.decode()[:2000]
    zj = Inspection.objects.get(campaign=campaign, account=w.zj)
    assert zj.verdict == "fail" and zj.vetoes == ["SERIOUS_ERROR"] and zj.score is None
    assert zj.inspector == w.p.nj_inspector
    weibo = Inspection.objects.get(campaign=campaign, account=w.zj_weibo)
    assert weibo.verdict == "pass" and weibo.score == 97
    assert weibo.findings.get(automatic=False).evidence_file.name.startswith("evidence/tasks/")
    # The done inspection task shows what was recorded, with the screenshot to download.
    page = client.get(reverse("work:task", args=[task.pk])).content.decode()
    assert "更新不及时" in page and "shot" in page
    shot = client.get(reverse("work:task_evidence", args=[task.pk, "screenshot"]))
    assert shot.status_code == 200 and b"".join(shot.streaming_content).startswith(b"\x89PNG")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("work:campaign_close", args=[campaign.pk]))
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == "closed"
    assert campaign.results["total"] == 5 and campaign.results["passed"] == 3
    assert campaign.results["pass_rate"] == 0.6
    assert set(campaign.results["failed_accounts"]) == {w.zj.pk, w.stale.pk}
    notice = Notice.objects.get(kind="inspection_report")
    assert notice.issuing_unit == w.u.nj and notice.number == campaign.results["notice"]["number"]
    text = pdf_text(notice)
    assert "南京质检" in text and "兴隆旧号" in text and "严重表述错误" in text
    assert "江北新区发布" not in text and "60%" in text
    page = client.get(reverse("work:campaign", args=[campaign.pk])).content.decode()
    assert notice.number in page and f"rectify-{w.zj.pk}" in page


def test_it_refuses_to_close_with_open_inspections(review_world):
    w = review_world
    campaign = _open_campaign(w)
    with pytest.raises(ValidationError) as exc:
        services.campaign_close(actor=w.p.nj_inspector, campaign=campaign)
    assert "5 个账号未完成检查" in str(exc.value)
    campaign.refresh_from_db()
    assert campaign.state == "open" and not Notice.objects.exists()


def test_it_rejects_deductions_above_the_indicator_max(review_world):
    w = review_world
    campaign = _open_campaign(w)
    task = _campaign_tasks(campaign)[w.zj.pk]
    from approvals.services import task_decide

    with pytest.raises(ValidationError):
        task_decide(task=task, actor=w.p.nj_inspector, decision="approve",
                    data={"deductions": [{"code": "UPDATE_NOT_TIMELY", "points": 999}],
                          "evidence_text": "x"})
    assert Inspection.objects.get(campaign=campaign, account=w.zj).verdict == ""


def test_it_starts_the_inspections_in_a_job_after_commit_and_only_once(review_world):
    w = review_world
    with after_commit() as callbacks:
        campaign = services.campaign_create(
            actor=w.p.nj_inspector, period="2026Q4", kind="quarterly", ratio="1", seed=1,
            scope_unit=w.u.nj)
        # Before the commit nothing is started, and the campaign cannot be closed.
        assert services.campaign_started_count(campaign) == 0
        with pytest.raises(ValidationError) as exc:
            services.campaign_close(actor=w.p.nj_inspector, campaign=campaign)
        assert "5 个账号未完成检查" in str(exc.value)
    # one start job (the inspection tasks it creates each announce themselves after commit)
    assert len([c for c in callbacks if getattr(c, "func", None) is not announce_task]) == 1
    assert services.campaign_started_count(campaign) == 5
    # Redelivered job: nothing more.
    assert services.campaign_start_inspections(campaign=campaign, actor=w.p.nj_inspector) == 0
    assert len(_campaign_tasks(campaign)) == 5


def test_recorded_findings_are_never_replaced(review_world):
    """Issue 12 item 3: findings are append-only. The record step used to delete the
    inspection's manual findings and write them again; a second run is now refused and
    the recorded findings stay as they were."""
    from approvals import actions
    from approvals.services import task_decide

    w = review_world
    campaign = _open_campaign(w)
    task = _campaign_tasks(campaign)[w.zj.pk]
    task_decide(task=task, actor=w.p.nj_inspector, decision="approve",
                data={"ded_UPDATE_NOT_TIMELY": "3", "evidence_text": "更新不及时"})
    inspection = Inspection.objects.get(campaign=campaign, account=w.zj)
    before = list(Finding.objects.filter(inspection=inspection).values_list("pk", "points"))
    assert (inspection.verdict, len(before)) == ("pass", 1)
    process = AccountProcess.objects.get(pk=task.process_id)
    process.data["inspection"]["deductions"] = [{"code": "UPDATE_NOT_TIMELY", "points": 1}]
    with pytest.raises(ValidationError, match="只增不改"):
        actions.inspection_record(process=process)
    assert list(Finding.objects.filter(inspection=inspection).values_list("pk", "points")) == before
    # Also a pass without findings: a second run never re-scores the recorded verdict.
    task = _campaign_tasks(campaign)[w.xl.pk]
    task_decide(task=task, actor=w.p.nj_inspector, decision="approve", data={})
    clean = Inspection.objects.get(campaign=campaign, account=w.xl)
    process = AccountProcess.objects.get(pk=task.process_id)
    process.data["inspection"]["vetoes"] = ["SERIOUS_ERROR"]
    with pytest.raises(ValidationError, match="只增不改"):
        actions.inspection_record(process=process)
    assert Inspection.objects.get(pk=clean.pk).verdict == clean.verdict
    assert not Finding.objects.filter(inspection=clean, automatic=False).exists()
