"""申请开设账号 on the web: required marks, the phone check, the chain preview with names,
and a resumable draft."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lifecycle.models import Account
from tests.approvals.helpers import apply_xl
from workbench.models import ApplicationDraft

pytestmark = pytest.mark.django_db

GOOD = {"unit": "JYXL", "platform": "weibo", "name": "兴隆微博", "purpose": "发布信息",
        "contact_name": "张三", "contact_phone": "025-12345678"}


def test_it_marks_the_required_fields(client, nanjing):
    client.force_login(nanjing.p.xl_clerk)
    html = client.get(reverse("work:apply_opening")).content.decode()
    for name in ("unit", "platform", "name", "purpose", "contact_name", "contact_phone"):
        block = html.split(f'data-testid="field-{name}"', 1)[1].split("</label>", 1)[0]
        assert 'class="gm-required"' in block, name
    for name in ("operator", "exemption_reason", "plan"):
        block = html.split(f'data-testid="field-{name}"', 1)[1].split("</label>", 1)[0]
        assert 'class="gm-required"' not in block, name


@pytest.mark.parametrize("phone", ["025-1", "12345", "abc", "1381234567"])
def test_it_refuses_a_malformed_phone_naming_the_field(client, nanjing, phone):
    client.force_login(nanjing.p.xl_clerk)
    response = client.post(reverse("work:apply_opening"), dict(GOOD, contact_phone=phone))
    html = response.content.decode()
    assert response.status_code == 400
    error = html.split('data-testid="field-error-contact_phone"', 1)[1].split("</span>", 1)[0]
    assert "联系电话" in error and "格式不正确" in error
    assert 'data-testid="error-summary"' in html
    assert not Account.objects.filter(name="兴隆微博").exists()


@pytest.mark.parametrize("phone", ["13812345678", "025-12345678", "02512345678", "84123456",
                                   "025-8412 3456", "400-123-4567", "025-12345678-801"])
def test_it_accepts_common_phone_forms(client, nanjing, phone):
    client.force_login(nanjing.p.xl_clerk)
    response = client.post(reverse("work:apply_opening"), dict(GOOD, contact_phone=phone))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Account.objects.get(name="兴隆微博").contact_phone == phone.replace(" ", "")


def test_it_names_every_missing_required_field(client, nanjing):
    client.force_login(nanjing.p.xl_clerk)
    response = client.post(reverse("work:apply_opening"), {"unit": "JYXL", "platform": "weibo"})
    html = response.content.decode()
    assert response.status_code == 400
    summary = html.split('data-testid="error-summary"', 1)[1].split("</div>", 1)[0]
    for label in ("账号名称", "开设用途", "联系人", "联系电话"):
        assert label in summary, label


def test_it_previews_the_chain_with_units_and_people(client, nanjing):
    client.force_login(nanjing.p.xl_clerk)
    html = client.get(reverse("work:apply_opening")).content.decode()
    preview = html.split('data-testid="chain-preview"', 1)[1].split("</ol>", 1)[0]
    assert preview.count('data-testid="chain-step"') == 3
    assert "单位负责人审核" in preview and "兴隆负责人" in preview
    assert "建邺区人民政府办公室审核" in preview and "建邺审核人" in preview
    assert "南京市人民政府办公室" in preview and "南京审核人" in preview
    assert preview.index("兴隆负责人") < preview.index("建邺审核人") < preview.index("南京审核人")


def test_the_preview_climbs_one_level_when_the_unit_has_the_platform(client, nanjing):
    apply_xl(nanjing, platform="weibo", name="兴隆微博一号")
    client.force_login(nanjing.p.xl_clerk)
    fragment = client.get(reverse("work:apply_chain"), {"unit": "JYXL", "platform": "weibo"})
    html = fragment.content.decode()
    assert html.count('data-testid="chain-step"') == 4 and 'data-testid="chain-extra"' in html
    other = client.get(reverse("work:apply_chain"), {"unit": "JYXL", "platform": "douyin"})
    assert other.content.decode().count('data-testid="chain-step"') == 3


def test_the_preview_shows_nothing_for_a_unit_the_user_is_not_clerk_of(client, nanjing):
    client.force_login(nanjing.p.jbdp_clerk)
    html = client.get(reverse("work:apply_chain"), {"unit": "JYXL", "platform": "weibo"}).content.decode()
    assert "兴隆负责人" not in html and "建邺审核人" not in html


def test_it_saves_a_draft_and_restores_it(client, nanjing):
    client.force_login(nanjing.p.xl_clerk)
    response = client.post(reverse("work:apply_opening"),
                           {"action": "draft", "unit": "JYXL", "platform": "douyin", "name": "兴隆抖音",
                            "contact_phone": "bad"})
    assert response.status_code == 302
    assert not Account.objects.filter(name="兴隆抖音").exists()
    draft = ApplicationDraft.objects.get(user=nanjing.p.xl_clerk, kind="opening")
    assert draft.data["name"] == "兴隆抖音" and draft.data["platform"] == "douyin"

    client.logout()
    client.force_login(nanjing.p.xl_clerk)  # a new session: the draft is still there
    html = client.get(reverse("work:apply_opening")).content.decode()
    assert 'data-testid="draft-restored"' in html and 'value="兴隆抖音"' in html
    assert '<option value="douyin" selected>' in html


def test_a_draft_is_its_owners_only(client, nanjing):
    from lifecycle import services

    ApplicationDraft.objects.create(user=nanjing.p.xl_clerk, kind="opening", data={"name": "私有草稿"})
    other = services.user_upsert(username="xl_clerk2", full_name="兴隆填报员二", password="pw",
                                 memberships=[(nanjing.u.xl, "applicant")])
    client.force_login(other)
    assert "私有草稿" not in client.get(reverse("work:apply_opening")).content.decode()


def test_submitting_removes_the_draft(client, nanjing):
    ApplicationDraft.objects.create(user=nanjing.p.xl_clerk, kind="opening", data={"name": "兴隆微博"})
    client.force_login(nanjing.p.xl_clerk)
    response = client.post(reverse("work:apply_opening"), GOOD)
    assert response.status_code == 302
    assert not ApplicationDraft.objects.filter(user=nanjing.p.xl_clerk).exists()


def test_a_draft_can_be_discarded(client, nanjing):
    ApplicationDraft.objects.create(user=nanjing.p.xl_clerk, kind="opening", data={"name": "x"})
    client.force_login(nanjing.p.xl_clerk)
    client.post(reverse("work:apply_opening"), {"action": "discard"})
    assert not ApplicationDraft.objects.exists()


@pytest.mark.parametrize("email", ["zhangsan", "a@b", "张三@", "x@@example.gov.cn"])
def test_it_refuses_a_malformed_email_naming_the_field(client, nanjing, email):
    client.force_login(nanjing.p.xl_clerk)
    response = client.post(reverse("work:apply_opening"), dict(GOOD, contact_email=email))
    html = response.content.decode()
    assert response.status_code == 400
    error = html.split('data-testid="field-error-contact_email"', 1)[1].split("</span>", 1)[0]
    assert "联系邮箱" in error and "格式不正确" in error
    assert not Account.objects.filter(name="兴隆微博").exists()


def test_it_keeps_a_valid_email_and_shows_it_to_the_approver(client, nanjing):
    client.force_login(nanjing.p.xl_clerk)
    response = client.post(reverse("work:apply_opening"),
                           dict(GOOD, contact_email=" zhangsan@jianye.gov.cn "))
    assert response.status_code == 302, response.content.decode()[:2000]
    account = Account.objects.get(name="兴隆微博")
    assert account.contact_email == "zhangsan@jianye.gov.cn"
    html = client.get(reverse("work:apply_opening")).content.decode()
    block = html.split('data-testid="field-contact_email"', 1)[1].split("</label>", 2)[1]
    assert 'type="email"' in block
