"""Apps, mini-programs and quick apps (国办函〔2026〕12号): barred below county level, a 网信
filing step (number, date) before go-live in the opening flow, the rule and its source shown
in the forms."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from approvals import services
from approvals.models import AccountProcess, Filing
from lifecycle.models import Account, AccountState
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = pytest.mark.django_db


def _apply_city_app(nanjing, platform="mini_program"):
    return services.opening_apply(
        actor=nanjing.p.njzj_clerk, unit=nanjing.u.njzj, platform=platform, name="南京市场监管服务",
        purpose="办事服务", operator="某科技公司", contact_name="李四", contact_phone="025-1234567",
    )


def test_a_township_may_not_apply_for_an_app(nanjing, client):
    for platform in ("app", "mini_program", "quick_app"):
        with pytest.raises(ValidationError) as exc:
            apply_xl(nanjing, name=f"兴隆{platform}", platform=platform)
        assert "国办函〔2026〕12号" in exc.value.message_dict["unit"][0]
    assert not Account.objects.exists() and not AccountProcess.objects.exists()
    # The web form shows the rule and refuses with the message; the API answers 400.
    client.force_login(nanjing.p.xl_clerk)
    page = client.get(reverse("work:apply_opening")).content.decode()
    assert "国办函〔2026〕12号" in page and "上线前须向网信部门备案" in page
    api = APIClient()
    token, _ = Token.objects.get_or_create(user=nanjing.p.xl_clerk)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api.post("/api/applications/opening/", {
        "unit": "JYXL", "platform": "mini_program", "name": "兴隆小程序", "purpose": "服务",
        "operator": "x", "contact_name": "张三", "contact_phone": "025-1234567"}, format="json")
    assert response.status_code == 400
    assert "国办函〔2026〕12号" in str(response.json()["unit"])


def test_an_app_is_filed_with_cac_before_it_goes_live(nanjing):
    p = nanjing.p
    process = _apply_city_app(nanjing)
    decide(process, p.njzj_head)
    decide(process, p.nj_approver)  # a city department's chain: its head, then the city office
    cac = only_open_task(process)
    assert cac.flow_task.task_kind == "cac_filing"
    with pytest.raises(ValidationError) as exc:
        services.task_decide(task=cac, actor=p.njzj_clerk, decision="approve", data={})
    assert {"cac_filing_number", "cac_filed_on"} <= set(exc.value.message_dict)
    today = datetime.date.today()
    services.task_decide(task=cac, actor=p.njzj_clerk, decision="approve",
                         data={"cac_filing_number": "苏网信备32010026001号",
                               "cac_filed_on": today.isoformat()})
    register = only_open_task(process)
    assert register.flow_task.task_kind == "registration"
    with pytest.raises(ValidationError) as exc:
        services.task_decide(task=register, actor=p.njzj_clerk, decision="approve", data={
            "platform_id": "wx123", "verified_subject": "南京市质量技术监督局",
            "live_on": (today - datetime.timedelta(days=1)).isoformat()})
    assert "网信备案日期" in exc.value.message_dict["live_on"][0]
    services.task_decide(task=register, actor=p.njzj_clerk, decision="approve", data={
        "platform_id": "wx123", "verified_subject": "南京市质量技术监督局",
        "live_on": today.isoformat()})
    process.refresh_from_db()
    assert process.data["cac_filing"]["cac_filing_number"] == "苏网信备32010026001号"
    assert Account.objects.get(pk=process.account_id).state == AccountState.ACTIVE
    assert Filing.objects.filter(process=process, kind="opening").count() == 2


def test_a_public_account_has_no_cac_step(nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    for person in (p.xl_head, p.jy_approver, p.nj_approver):
        decide(process, person)
    assert only_open_task(process).flow_task.task_kind == "registration"
