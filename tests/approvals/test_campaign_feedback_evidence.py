"""Public feedback counts in reviews: a campaign shows each sampled account's unhandled
error reports (纠错) and complaints (差评) of the period as an automatic finding on the
inspection sheet — evidence with 0 points, the inspector decides — and keeps it out of
the score and of the rectification order."""

from __future__ import annotations

import datetime

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from approvals import selectors, services
from approvals.models import AccountProcess
from review.evaluation import feedback_evidence, period_bounds
from review.models import Feedback, Finding, Inspection, RuleSet
from review.services import feedback_handle
from tests.approvals.review_helpers import review_world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db
D = datetime.date
AS_OF = D(2026, 11, 20)


def _feedback(account, kind, day, text="x"):
    feedback = Feedback.objects.create(account=account, kind=kind, text=text)
    at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    Feedback.objects.filter(pk=feedback.pk).update(created=at)
    feedback.refresh_from_db()
    return feedback


@pytest.fixture
def with_feedback(review_world):
    w = review_world
    _feedback(w.xl, "error_report", D(2026, 10, 9), "电话错误")
    _feedback(w.xl, "error_report", D(2026, 11, 2), "链接失效")
    handled = _feedback(w.xl, "error_report", D(2026, 10, 12), "已改")
    feedback_handle(feedback=handled, actor=w.p.xl_clerk, note="已更正")
    _feedback(w.xl, "complaint", D(2026, 11, 3), "回复太慢")
    _feedback(w.xl, "praise", D(2026, 11, 4))
    _feedback(w.xl, "error_report", D(2026, 9, 30), "上一季度的")  # before the period
    _feedback(w.xl, "complaint", D(2026, 11, 25), "监测时间点之后")  # after as_of
    _feedback(w.jb, "praise", D(2026, 11, 5))
    return w


def _campaign(w, **kw):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.campaign_create(
            actor=w.p.nj_inspector, period="2026Q4", kind="quarterly", ratio="1", seed=1,
            scope_unit=w.u.nj, as_of=AS_OF, **kw)


def test_it_knows_the_days_of_a_period():
    assert period_bounds("2026Q4") == (D(2026, 10, 1), D(2026, 12, 31))
    assert period_bounds("2026H1") == (D(2026, 1, 1), D(2026, 6, 30))
    assert period_bounds("2028M02") == (D(2028, 2, 1), D(2028, 2, 29))
    assert period_bounds("2026") == (D(2026, 1, 1), D(2026, 12, 31))
    assert period_bounds("2026Q5") is None and period_bounds("") is None


def test_it_counts_unhandled_error_reports_and_complaints_in_the_window(with_feedback):
    w = with_feedback
    counts = feedback_evidence(account_ids=[w.xl.pk, w.jb.pk, w.zj.pk],
                               start=D(2026, 10, 1), end=AS_OF)
    assert counts == {w.xl.pk: (2, 1)}


def test_it_shows_the_feedback_on_the_inspection_sheet(client, with_feedback):
    w = with_feedback
    campaign = _campaign(w)
    inspection = Inspection.objects.get(campaign=campaign, account=w.xl)
    finding = inspection.findings.get(automatic=True)
    assert finding.indicator.code == "TYPOS_SENSITIVE" and finding.points == 0
    assert finding.evidence_text.startswith(
        "公众反馈（2026-10-01至2026-11-20）：未处理的纠错 2 条，差评 1 条。")
    # Accounts without unhandled reports or complaints get no such finding.
    assert not Finding.objects.filter(inspection__account=w.jb, automatic=True).exists()
    process = AccountProcess.objects.get(data__campaign=campaign.pk, account=w.xl)
    task = selectors.open_tasks(process)[0]
    client.force_login(w.p.nj_inspector)
    html = client.get(reverse("work:inspection_sheet", args=[task.pk])).content.decode()
    assert "存在错别字、敏感词：公众反馈（2026-10-01至2026-11-20）：未处理的纠错 2 条，差评 1 条" in html


def test_it_leaves_the_score_and_the_rectification_order_to_the_inspector(with_feedback):
    w = with_feedback
    campaign = _campaign(w)
    process = AccountProcess.objects.get(data__campaign=campaign.pk, account=w.xl)
    from approvals.services import task_decide

    task_decide(task=selectors.open_tasks(process)[0], actor=w.p.nj_inspector,
                decision="approve", data={})
    inspection = Inspection.objects.get(campaign=campaign, account=w.xl)
    assert (inspection.verdict, inspection.score) == ("pass", 100)
    assert inspection.findings.filter(automatic=True).count() == 1  # kept as evidence
    assert services.findings_from_inspection(inspection) == []


def test_it_uses_the_rule_sets_feedback_indicator(with_feedback):
    w = with_feedback
    rule_set = RuleSet.objects.get(active=True)
    rule_set.params = {**rule_set.params, "feedback_indicator": "BROKEN_FUNCTION"}
    rule_set.save()
    campaign = _campaign(w)
    finding = Finding.objects.get(inspection__campaign=campaign, inspection__account=w.xl,
                                  automatic=True)
    assert finding.indicator.code == "BROKEN_FUNCTION"
    rule_set.params = {**rule_set.params, "feedback_indicator": "NO_SUCH_CODE"}
    rule_set.save()
    # An indicator the rule set lacks: no evidence row (logged), the campaign still starts.
    campaign = _campaign(w)
    assert not Finding.objects.filter(inspection__campaign=campaign, automatic=True,
                                      inspection__account=w.xl).exists()
