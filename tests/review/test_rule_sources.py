"""Rules as sourced, versioned data: every indicator carries its source and whether its value
is official or provisional; rule sets have effective dates; a new version is a copy; the
differences between two versions are viewable; campaigns pin their version and respect a
minimum sampling ratio per period."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from approvals import services as approvals
from review import services
from review.models import LOCAL_RULE, Campaign, Indicator, RuleSet, ValueStatus
from tests.approvals.review_helpers import review_world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw")


def _national():
    return RuleSet.objects.get(version="national-2019")


def test_the_national_2019_deductions_are_provisional_and_the_vetoes_sourced(db):
    rule_set = _national()
    assert rule_set.effective_from == datetime.date(2019, 4, 1)
    vetoes = Indicator.objects.filter(rule_set=rule_set, part="veto")
    deductions = Indicator.objects.filter(rule_set=rule_set, part="deduction")
    assert {i.value_status for i in vetoes} == {ValueStatus.OFFICIAL}
    assert {i.source_document for i in vetoes} == {"国办秘函〔2019〕19号"}
    assert {i.value_status for i in deductions} == {ValueStatus.PROVISIONAL}


def test_an_indicator_is_official_only_with_a_source(db):
    indicator = Indicator.objects.filter(rule_set=_national(), part="deduction").first()
    indicator.value_status = ValueStatus.OFFICIAL
    indicator.source_article = ""
    indicator.source_url = ""
    with pytest.raises(ValidationError) as exc:
        indicator.full_clean()
    assert "value_status" in exc.value.message_dict
    indicator.source_url = "javascript:alert(1)"
    with pytest.raises(ValidationError) as exc:
        indicator.full_clean()
    assert "source_url" in exc.value.message_dict
    indicator.source_url = LOCAL_RULE
    indicator.full_clean()


def test_a_new_version_is_copied_and_the_diff_is_viewable(client, admin_user):
    old = _national()
    client.force_login(admin_user)
    response = client.post(reverse("work:rule_set", args=[old.pk]),
                           {"version": "jiangsu-2027", "effective_from": "2027-01-01"})
    assert response.status_code == 302
    new = RuleSet.objects.get(version="jiangsu-2027")
    assert not new.active and new.effective_from == datetime.date(2027, 1, 1)
    assert new.indicators.count() == old.indicators.count()
    # Edit the copy: source one deduction, drop one, add one.
    typos = new.indicators.get(code="TYPOS_SENSITIVE")
    typos.max_points, typos.source_article = 15, "附件2第7项"
    typos.source_url, typos.value_status = "https://www.gov.cn/x.htm", ValueStatus.OFFICIAL
    typos.full_clean()
    typos.save()
    new.indicators.filter(code="PERSONAL_DATA").delete()
    Indicator.objects.create(rule_set=new, part="deduction", code="FILING_LATE", name="备案逾期",
                             max_points=5, source_document="苏政办发〔2026〕1号",
                             source_url=LOCAL_RULE)
    page = client.get(reverse("work:rule_set_diff") + f"?a={old.pk}&b={new.pk}").content.decode()
    assert "FILING_LATE" in page and "PERSONAL_DATA" in page
    assert "TYPOS_SENSITIVE" in page and "附件2第7项" in page and "正式" in page
    assert "2027-01-01" in page
    # The same version twice is refused, naming the field.
    response = client.post(reverse("work:rule_set", args=[old.pk]), {"version": "jiangsu-2027"})
    assert response.status_code == 400 and 'data-testid="field-error-version"' in response.content.decode()
    listing = client.get(reverse("work:rule_set", args=[new.pk])).content.decode()
    assert "暂定" in listing and "https://www.gov.cn/x.htm" in listing


def test_only_users_who_may_change_rule_sets_copy_them(client, review_world):
    client.force_login(review_world.p.nj_inspector)
    assert client.get(reverse("work:rule_sets")).status_code == 200
    response = client.post(reverse("work:rule_set", args=[_national().pk]), {"version": "x"})
    assert response.status_code == 403
    assert not RuleSet.objects.filter(version="x").exists()


def test_an_expired_version_cannot_be_activated(admin_user):
    copy = services.rule_set_copy(rule_set=_national(), version="old", actor=admin_user)
    copy.effective_to = datetime.date(2020, 1, 1)
    copy.save()
    with pytest.raises(ValidationError) as exc:
        services.rule_set_activate(rule_set=copy, actor=admin_user)
    assert "已于2020-01-01失效" in str(exc.value)


def test_a_campaign_pins_its_version(client, review_world, admin_user):
    w = review_world
    first = approvals.campaign_create(actor=w.p.nj_inspector, period="2026Q4", kind="quarterly",
                                      ratio="1", seed=1, scope_unit=w.u.nj)
    copy = services.rule_set_copy(rule_set=_national(), version="v2", actor=admin_user)
    services.rule_set_activate(rule_set=copy, actor=admin_user)
    second = approvals.campaign_create(actor=w.p.nj_inspector, period="2027Q1", kind="quarterly",
                                       ratio="1", seed=1, scope_unit=w.u.nj)
    first.refresh_from_db()
    assert first.rule_set == _national() and second.rule_set == copy
    client.force_login(w.p.nj_inspector)
    page = client.get(reverse("work:campaign", args=[first.pk])).content.decode()
    assert reverse("work:rule_set", args=[_national().pk]) in page


def test_a_city_quarterly_campaign_samples_at_least_30_percent(client, review_world):
    w = review_world
    client.force_login(w.p.nj_inspector)
    data = {"period": "2026Q4", "kind": "quarterly", "ratio": "0.2", "seed": "1", "scope_unit": "NJ"}
    response = client.post(reverse("work:campaigns"), data)
    assert response.status_code == 400
    assert "市级单位的季度抽查比例不得低于 30%" in response.content.decode()
    assert not Campaign.objects.exists()
    # A county scope, or an annual campaign, has no minimum by default.
    approvals.campaign_create(actor=w.p.nj_inspector, period="2026Q4", kind="quarterly",
                              ratio="0.2", seed=1, scope_unit=w.u.jy)
    approvals.campaign_create(actor=w.p.nj_inspector, period="2026", kind="annual",
                              ratio="0.2", seed=1, scope_unit=w.u.nj)
    # The minimum is rule-set data.
    rule_set = RuleSet.objects.get(active=True)
    rule_set.params = {**rule_set.params, "min_sampling": {"city": {"Q": "0.1"}}}
    rule_set.save()
    approvals.campaign_create(actor=w.p.nj_inspector, period="2027Q1", kind="quarterly",
                              ratio="0.2", seed=1, scope_unit=w.u.nj)
    assert Campaign.objects.count() == 3
