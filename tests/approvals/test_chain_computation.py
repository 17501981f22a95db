"""Chains per level, kind, exemption and policy (DESIGN §6)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from approvals.chains import compute_chain
from approvals.models import ApprovalPolicy, StepMode
from lifecycle import services
from lifecycle.models import UnitKind, UnitLevel

pytestmark = pytest.mark.django_db


def codes(chain):
    return [s["units"] for s in chain]


def test_it_climbs_from_a_street_to_the_city(nanjing):
    chain = compute_chain(process_kind="opening", unit=nanjing.u.xl)
    assert codes(chain) == [["JYXL"], ["JY"], ["NJ"]]
    assert chain[0]["role"] == "unit_head" and chain[1]["role"] == "approver"


def test_it_stops_a_county_office_at_the_city_like_a_county_department(nanjing):
    dept = services.unit_upsert(code="JYJY", name="建邺区教育局", short_name="建教",
                                level=UnitLevel.COUNTY, kind=UnitKind.DEPARTMENT, parent=nanjing.u.jy)
    assert codes(compute_chain(process_kind="opening", unit=dept)) == [["JYJY"], ["JY"], ["NJ"]]
    assert codes(compute_chain(process_kind="opening", unit=nanjing.u.jy)) == [["JY"], ["NJ"]]


def test_it_sends_a_city_department_to_the_city_office(nanjing):
    assert codes(compute_chain(process_kind="opening", unit=nanjing.u.njzj)) == [["NJZJ"], ["NJ"]]


def test_it_climbs_one_level_more_with_an_exemption(nanjing):
    chain = compute_chain(process_kind="opening", unit=nanjing.u.xl, extra_level=True)
    assert codes(chain) == [["JYXL"], ["JY"], ["NJ"], ["JS"]]


def test_it_uses_the_closure_policy(nanjing):
    assert codes(compute_chain(process_kind="closure", unit=nanjing.u.xl)) == [["JYXL"], ["JY"]]
    assert codes(compute_chain(process_kind="closure", unit=nanjing.u.sq)) == [["JYXLSQ"], ["JYXL"]]


def test_it_refuses_a_community_opening_by_policy(nanjing):
    with pytest.raises(ValidationError) as exc:
        compute_chain(process_kind="opening", unit=nanjing.u.sq)
    assert "不得提出此类申请" in exc.value.message_dict["unit"][0]


def test_it_prefers_the_exact_kind_and_appends_a_countersign_step(nanjing):
    policy = ApprovalPolicy.objects.create(
        process_kind="opening", unit_level=UnitLevel.CITY, unit_kind=UnitKind.DEPARTMENT,
        top_level=UnitLevel.CITY, extra_mode=StepMode.ALL,
    )
    policy.extra_units.set([nanjing.u.jy, nanjing.u.jb])
    chain = compute_chain(process_kind="opening", unit=nanjing.u.njzj)
    assert codes(chain) == [["NJZJ"], ["NJ"], ["JY", "JB"]]
    assert chain[-1]["mode"] == "all"


def test_it_keeps_running_processes_on_their_frozen_chain(nanjing):
    from tests.approvals.helpers import apply_xl

    process = apply_xl(nanjing)
    ApprovalPolicy.objects.filter(process_kind="opening", unit_level="township").update(
        top_level=UnitLevel.COUNTY)
    process.refresh_from_db()
    assert codes(process.chain) == [["JYXL"], ["JY"], ["NJ"]]
    assert codes(compute_chain(process_kind="opening", unit=nanjing.u.xl)) == [["JYXL"], ["JY"]]


def test_it_installs_the_same_defaults_by_migration_as_ensure_default_policies(db):
    from approvals.defaults import DEFAULT_POLICIES, ensure_default_policies

    assert ensure_default_policies() == 0
    rows = {
        (p.process_kind, p.unit_level, p.unit_kind): (p.allowed, p.top_level)
        for p in ApprovalPolicy.objects.all()
    }
    assert rows == {(k, lv, uk): (a, t) for k, lv, uk, a, t, _n in DEFAULT_POLICIES}
