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
    # the task page links to the two forms instead of listing everyone on every view
    assert f'href="/work/tasks/{task.pk}/add-signer/"' in page
    assert f'href="/work/tasks/{task.pk}/transfer/"' in page
    assert 'data-testid="signer"' not in page and 'data-testid="transfer-to"' not in page
    page = client.get(f"/work/tasks/{task.pk}/add-signer/").content.decode()
    signer = page.split('data-testid="signer"')[1].split("</select>")[0]
    assert f'value="{second.pk}"' in signer
    assert "xl_clerk" not in signer and "xl_head" not in signer and "nj_approver" not in signer
    page = client.get(f"/work/tasks/{task.pk}/transfer/").content.decode()
    transfer = page.split('data-testid="transfer-to"')[1].split("</select>")[0]
    assert 'value="jy_second"' in transfer and "xl_clerk" not in transfer
    # a refusal comes back on the form with what was typed, and changes nothing
    response = client.post(f"/work/tasks/{task.pk}/add-signer/",
                           {"signer": str(second.pk), "position": "before", "reason": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert "请填写加签理由" in page
    assert f'<option value="{second.pk}" selected>' in page
    assert 'value="before" checked' in page
    process.refresh_from_db()
    assert len(process.data["chain"]) == 3
    response = client.post(f"/work/tasks/{task.pk}/transfer/", {"to_user": "nobody",
                                                               "comment": "<b>出差</b>"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "转办对象必须是该环节的办理人员" in page and "&lt;b&gt;出差&lt;/b&gt;" in page
    task.refresh_from_db()
    assert task.owner == p.jy_approver
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


def test_the_add_signer_and_transfer_pages_are_for_those_who_may_use_them(client, nanjing):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    task = only_open_task(process)
    # out of scope: 404 for both pages, GET and POST
    client.force_login(p.jb_approver)
    for path in (f"/work/tasks/{task.pk}/add-signer/", f"/work/tasks/{task.pk}/transfer/"):
        assert client.get(path).status_code == 404
        assert client.post(path, {}).status_code == 404
    # in scope but not the one who may act: back to the task page with the reason
    client.force_login(p.nj_approver)
    response = client.get(f"/work/tasks/{task.pk}/add-signer/", follow=True)
    assert response.redirect_chain[-1][0] == f"/work/tasks/{task.pk}/"
    assert "您无权办理该任务" in response.content.decode()
    # a candidate who has not claimed it may add a signer, but only the holder transfers
    client.force_login(p.jy_approver)
    assert client.get(f"/work/tasks/{task.pk}/add-signer/").status_code == 200
    response = client.get(f"/work/tasks/{task.pk}/transfer/", follow=True)
    assert "只有当前办理人可以转办" in response.content.decode()
    assert 'data-testid="open-transfer"' not in client.get(f"/work/tasks/{task.pk}/").content.decode()
    # a done task: neither form
    decide(process, p.jy_approver)
    response = client.get(f"/work/tasks/{task.pk}/add-signer/", follow=True)
    assert response.redirect_chain[-1][0] == f"/work/tasks/{task.pk}/"
    assert "该任务已办结" in response.content.decode()


def test_the_task_page_does_not_look_up_signer_candidates(client, nanjing):
    """The 加签 picker's people are read on its own page only: the task page's statements do
    not touch the candidates' memberships."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    process = apply_xl(nanjing)
    decide(process, nanjing.p.xl_head)
    task = only_open_task(process)
    client.force_login(nanjing.p.jy_approver)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/work/tasks/{task.pk}/").status_code == 200
    assert not [q for q in ctx.captured_queries if "lifecycle_membership" in q["sql"]
                and "auth_user" in q["sql"] and "approvals_decision" in q["sql"]]
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(f"/work/tasks/{task.pk}/add-signer/").status_code == 200
    assert [q for q in ctx.captured_queries if "lifecycle_membership" in q["sql"]
            and "approvals_decision" in q["sql"]]
