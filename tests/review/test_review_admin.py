"""The review admin: every screen loads, and the rule set says its points are defaults."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model

from review.models import Feedback, MetricSnapshot, RuleSet
from tests.review.helpers import account, inspect

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, nanjing):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(user)
    acc = account(nanjing.u.xl, "兴隆发布")
    inspect(acc, vetoes=("SECRET_LEAK",), deductions={"UNVERIFIED": 3})
    Feedback.objects.create(account=acc, kind="error_report", text="链接失效")
    return client


@pytest.mark.parametrize("model", ["ruleset", "indicator"])
def test_it_lists_and_adds(admin_client, model):
    assert admin_client.get(f"/admin/review/{model}/").status_code == 200
    assert admin_client.get(f"/admin/review/{model}/add/").status_code == 200


@pytest.mark.parametrize("model", ["campaign", "inspection", "metricsnapshot", "feedback"])
def test_review_records_are_append_only(admin_client, model):
    """Issue 12 item 3 (the finding: campaigns, inspections, findings, snapshots and
    feedback were editable or deletable in the admin; this test used to add them)."""
    from django.apps import apps

    assert admin_client.get(f"/admin/review/{model}/").status_code == 200
    assert admin_client.get(f"/admin/review/{model}/add/").status_code == 403
    obj = apps.get_model("review", model).objects.first()
    if obj is not None:
        assert admin_client.post(f"/admin/review/{model}/{obj.pk}/delete/",
                                 {"post": "yes"}).status_code == 403
        assert admin_client.get(f"/admin/review/{model}/{obj.pk}/change/").status_code == 200
        assert apps.get_model("review", model).objects.filter(pk=obj.pk).exists()


def test_it_states_that_the_points_are_defaults(admin_client):
    rule_set = RuleSet.objects.get(active=True)
    page = admin_client.get(f"/admin/review/ruleset/{rule_set.pk}/change/").content.decode()
    assert "默认值" in page and "应按上级正式印发的指标表替换" in page
    assert "NO_UPDATE_14D" in page


def test_it_activates_one_rule_set_and_deactivates_the_others(admin_client):
    old = RuleSet.objects.get(active=True)
    new = RuleSet.objects.create(name="江苏省政务新媒体检查指标", version="2020")
    response = admin_client.post(
        "/admin/review/ruleset/",
        {
            "action": "activate",
            "_selected_action": [new.pk],
        },
    )
    assert response.status_code == 302
    assert RuleSet.objects.get(active=True) == new
    old.refresh_from_db()
    assert not old.active


def test_it_shows_an_inspection_with_its_findings(admin_client):
    from review.models import Inspection

    insp = Inspection.objects.get()
    page = admin_client.get(f"/admin/review/inspection/{insp.pk}/change/").content.decode()
    assert "SECRET_LEAK" in page or "泄露国家秘密" in page


def test_it_shows_the_active_box_ticked_for_the_active_rule_set(admin_client):
    active = RuleSet.objects.get(active=True)
    html = admin_client.get(f"/admin/review/ruleset/{active.pk}/change/").content.decode()
    assert 'name="active" id="id_active" checked' in html


def test_it_labels_the_feedback_and_metrics_columns(admin_client):
    """Field names are labelled (Chinese by default), never shown as `handled_at`."""
    feedback = admin_client.get("/admin/review/feedback/").content.decode()
    assert "提交时间" in feedback and "处理时间" in feedback and "处理人" in feedback
    assert "handled at" not in feedback.lower() and "handled by" not in feedback.lower()
    MetricSnapshot.objects.create(account=Feedback.objects.first().account,
                                  as_of=datetime.date(2026, 12, 1), followers=10)
    snapshots = admin_client.get("/admin/review/metricsnapshot/").content.decode()
    assert "粉丝数" in snapshots and "发文总数" in snapshots


def test_the_snapshot_list_marks_corrected_rows_with_flat_queries(
    admin_client, nanjing, django_assert_max_num_queries
):
    """A correction is a new row (issue 12 item 3): the admin lists both, the replaced one
    marked 已更正, with as many queries for many rows as for one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from review.services import metrics_import

    acc = Feedback.objects.first().account

    def push(followers, day="2026-12-01"):
        metrics_import(
            rows=[
                (
                    2,
                    {
                        "platform": acc.platform,
                        "platform_id": acc.platform_id,
                        "as_of": day,
                        "followers": str(followers),
                        "posts_total": "1",
                        "last_post_on": "",
                        "interaction_enabled": "false",
                    },
                )
            ],
            source="cli",
        )

    push(10)
    with CaptureQueriesContext(connection) as one:
        html = admin_client.get("/admin/review/metricsnapshot/").content.decode()
    assert "已更正" in html and html.count('alt="True"') == 0
    push(12)
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        push(5, day)
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = admin_client.get("/admin/review/metricsnapshot/").content.decode()
    assert html.count('alt="True"') == 1  # the first 2026-12-01 row, replaced by the second
    assert MetricSnapshot.objects.filter(account=acc, as_of="2026-12-01").count() == 2
