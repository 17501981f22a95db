"""The OA panel of the process page and the task page's 加签 / 转办 pickers: each action goes
through its service, out-of-scope is 404, refusals come back as a message, the pickers list
only eligible people."""

from __future__ import annotations

import pytest

from approvals import services
from approvals.models import ProcessCopy, ProcessEvent
from approvals.nodes import process_url
from lifecycle import services as lifecycle
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = pytest.mark.django_db


def test_the_process_page_offers_urge_comment_copy_and_a_confirmed_withdraw(client, nanjing):
    process = apply_xl(nanjing)
    client.force_login(nanjing.p.xl_clerk)
    page = client.get(process_url(process)).content.decode()
    assert 'data-testid="urge-form"' in page and 'data-testid="comment-form"' in page
    assert 'data-testid="copy-form"' in page
    assert 'data-testid="withdraw-form" data-confirm="撤回后流程终止' in page
    assert "xl_head" in page  # a colleague is a copy target
    assert ">兴隆填报员（xl_clerk）" not in page  # but not oneself


def test_urge_from_the_web_is_recorded_and_rate_limited(client, nanjing):
    process = apply_xl(nanjing)
    client.force_login(nanjing.p.xl_clerk)
    url = f"/work/processes/{process.pk}/urge/"
    page = client.post(url, {"comment": "请尽快"}, follow=True).content.decode()
    assert "已催办当前办理人员" in page
    page = client.post(url, follow=True).content.decode()
    assert "分钟后再催办" in page
    assert ProcessEvent.objects.filter(kind="urge").count() == 1
    page = client.get(process_url(process)).content.decode()
    assert "请尽快" in page  # the record on the process page


def test_out_of_scope_process_and_task_are_404(client, nanjing):
    process = apply_xl(nanjing)
    task = only_open_task(process)
    client.force_login(nanjing.p.jb_approver)
    for url in (f"/work/processes/{process.pk}/urge/", f"/work/processes/{process.pk}/copy/",
                f"/work/processes/{process.pk}/comment/", f"/work/tasks/{task.pk}/add-signer/"):
        assert client.post(url, {"comment": "x"}).status_code == 404, url
    assert not ProcessEvent.objects.exists()


def test_copy_and_comment_from_the_web(client, nanjing):
    p, u = nanjing.p, nanjing.u
    process = apply_xl(nanjing)
    client.force_login(p.jy_approver)
    page = client.post(f"/work/processes/{process.pk}/copy/",
                       {"users": ["abc"]}, follow=True).content.decode()
    assert "请至少选择一位人员或一个单位" in page  # junk ids are ignored, nothing chosen
    page = client.post(f"/work/processes/{process.pk}/copy/",
                       {"units": [str(u.jb.pk)]}, follow=True).content.decode()
    assert "只能抄送给您所在单位及下级单位" in page
    client.post(f"/work/processes/{process.pk}/copy/", {"units": [str(u.xl.pk)]})
    assert ProcessCopy.objects.filter(process=process, unit=u.xl).count() == 1
    page = client.post(f"/work/processes/{process.pk}/comment/", {"comment": "<b>看过</b>"},
                       follow=True).content.decode()
    assert "评论已发表" in page and "&lt;b&gt;看过&lt;/b&gt;" in page


def test_add_signer_and_transfer_pickers_list_only_eligible_people(client, nanjing):
    p, u = nanjing.p, nanjing.u
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    task = only_open_task(process)
    second = lifecycle.user_upsert(username="jy_second", full_name="建邺二审", password="pw",
                                   memberships=[(u.jy, "approver")])
    services.task_claim(task=task, actor=p.jy_approver)
    client.force_login(p.jy_approver)
    page = client.get(f"/work/tasks/{task.pk}/").content.decode()
    signer = page.split('data-testid="signer"')[1].split("</select>")[0]
    transfer = page.split('data-testid="transfer-to"')[1].split("</select>")[0]
    assert f'value="{second.pk}"' in signer
    assert "xl_clerk" not in signer and "xl_head" not in signer and "nj_approver" not in signer
    assert 'value="jy_second"' in transfer and "xl_clerk" not in transfer
    page = client.post(f"/work/tasks/{task.pk}/add-signer/",
                       {"signer": str(second.pk), "position": "after", "reason": ""},
                       follow=True).content.decode()
    assert "请填写加签理由" in page
    client.post(f"/work/tasks/{task.pk}/add-signer/",
                {"signer": str(second.pk), "position": "after", "reason": "请二审"})
    process.refresh_from_db()
    assert process.data["chain"][2]["user"] == second.pk
    response = client.post(f"/work/tasks/{task.pk}/transfer/", {"to_user": "jy_second",
                                                               "comment": "出差"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.owner == second
    assert ProcessEvent.objects.filter(kind="transfer", comment="出差").exists()
