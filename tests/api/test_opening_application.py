"""POST /api/applications/opening/ → approvals.services.opening_apply (same rules, same texts)."""

from __future__ import annotations

import pytest
from django import forms

from approvals.models import AccountProcess
from lifecycle import services
from lifecycle.models import Account, AccountState
from tests.api.helpers import imported

pytestmark = pytest.mark.django_db

URL = "/api/applications/opening/"
BODY = {
    "unit": "JYXL", "platform": "wechat_official", "name": "兴隆发布", "purpose": "发布街道政务信息",
    "operator": "某科技公司", "contact_name": "张三", "contact_phone": "025-12345678",
}


def test_it_starts_the_opening_flow(nanjing, client_for):
    response = client_for(nanjing.p.xl_clerk).post(URL, BODY, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    process = AccountProcess.objects.get(pk=body["process_id"])
    account = Account.objects.get(name="兴隆发布")
    assert body == {"process_id": process.pk, "account": {
        "id": account.pk, "name": "兴隆发布", "platform": "wechat_official", "platform_id": ""}}
    assert process.account == account and process.applicant == nanjing.p.xl_clerk
    assert account.state == AccountState.APPLYING
    assert account.operator == "某科技公司" and account.contact_phone == "025-12345678"
    assert [s["units"] for s in process.chain] == [["JYXL"], ["JY"], ["NJ"]]


def test_operator_and_exemption_reason_are_optional(nanjing, client_for):
    body = {k: v for k, v in BODY.items() if k != "operator"}
    assert client_for(nanjing.p.xl_clerk).post(URL, body, format="json").status_code == 201


@pytest.mark.parametrize("field", ["unit", "platform", "name", "purpose", "contact_name",
                                   "contact_phone"])
def test_it_requires_each_field(nanjing, client_for, field):
    body = {k: v for k, v in BODY.items() if k != field}
    response = client_for(nanjing.p.xl_clerk).post(URL, body, format="json")
    assert response.status_code == 400
    # The web form's own text (approvals.forms.OpeningForm), not a second wording.
    assert response.json() == {field: [str(forms.Field.default_error_messages["required"])]}
    assert not Account.objects.exists()


@pytest.mark.parametrize("field, value", [("name", ""), ("name", "x" * 201), ("platform", "myspace"),
                                          ("contact_phone", "1" * 51), ("name", {"a": 1}),
                                          ("purpose", ["a"])])
def test_it_refuses_bad_values(nanjing, client_for, field, value):
    response = client_for(nanjing.p.xl_clerk).post(URL, {**BODY, field: value}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_it_refuses_a_unit_where_i_am_not_an_applicant(nanjing, client_for):
    # JY exists and is in 建邺; a 兴隆 clerk may not apply in its name. Same answer as
    # for a unit code that does not exist at all.
    client = client_for(nanjing.p.xl_clerk)
    for code in ("JY", "JB", "NOPE"):
        response = client.post(URL, {**BODY, "unit": code}, format="json")
        assert response.status_code == 400
        assert list(response.json()) == ["unit"]
    assert Account.objects.count() == 0


def test_it_refuses_an_internal_unit_with_the_service_message(nanjing, client_for):
    services.membership_add(user=nanjing.p.xl_clerk, unit=nanjing.u.nb, role="applicant")
    response = client_for(nanjing.p.xl_clerk).post(URL, {**BODY, "unit": "JYXLNB"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"unit": [str(services.ERR_INTERNAL_UNIT)]}


def test_it_refuses_a_unit_that_may_not_open(nanjing, client_for):
    services.membership_add(user=nanjing.p.xl_clerk, unit=nanjing.u.sq, role="applicant")
    nanjing.u.sq.may_open_accounts = False
    nanjing.u.sq.save()
    response = client_for(nanjing.p.xl_clerk).post(URL, {**BODY, "unit": "JYXLSQ"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"unit": [str(services.ERR_UNIT_MAY_NOT_OPEN)]}


def test_it_asks_for_an_exemption_reason_for_a_second_account(nanjing, client_for):
    imported(nanjing.u.xl, "兴隆老号", platform="wechat_official")
    client = client_for(nanjing.p.xl_clerk)
    response = client.post(URL, BODY, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "exemption_reason": [str(services.ERR_ONE_PER_PLATFORM).format(name="兴隆老号")]
    }
    assert not Account.objects.filter(name="兴隆发布").exists()
    response = client.post(URL, {**BODY, "exemption_reason": "面向企业服务"}, format="json")
    assert response.status_code == 201
    process = AccountProcess.objects.get(pk=response.json()["process_id"])
    assert len(process.chain) == 4  # one level higher


def test_it_refuses_a_non_object_body(nanjing, client_for):
    response = client_for(nanjing.p.xl_clerk).post(URL, [BODY], format="json")
    assert response.status_code == 400


def test_it_refuses_malformed_json(nanjing, client_for):
    response = client_for(nanjing.p.xl_clerk).post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_a_contact_email_is_optional_and_checked(nanjing, client_for):
    client = client_for(nanjing.p.xl_clerk)
    response = client.post(URL, {**BODY, "contact_email": "zhangsan"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["contact_email"]
    assert "联系邮箱" in response.json()["contact_email"][0]
    assert not Account.objects.exists()
    response = client.post(URL, {**BODY, "contact_email": "zhangsan@jianye.gov.cn"}, format="json")
    assert response.status_code == 201, response.content
    assert Account.objects.get(name="兴隆发布").contact_email == "zhangsan@jianye.gov.cn"
