"""REST routes of the OA actions and the notification centre (approvals.api_oa): scope
404, refusals 403/409, bad input 400 naming the field, nothing written on refusal."""

from __future__ import annotations

import pytest

from approvals.models import ProcessCopy, ProcessEvent
from lifecycle.models import Notification
from tests.approvals.helpers import apply_xl, decide, only_open_task

pytestmark = pytest.mark.django_db


def test_urge_comment_and_events(nanjing, client_for):
    p = nanjing.p
    process = apply_xl(nanjing)
    clerk = client_for(p.xl_clerk)
    response = clerk.post(f"/api/processes/{process.pk}/urge/", {"comment": "急"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "urge"
    again = clerk.post(f"/api/processes/{process.pk}/urge/", {}, format="json")
    assert again.status_code == 409 and "分钟后再催办" in again.json()["detail"]
    assert clerk.post(f"/api/processes/{process.pk}/comments/", {"comment": ""},
                      format="json").status_code == 400
    assert clerk.post(f"/api/processes/{process.pk}/comments/", {"comment": "补充说明"},
                      format="json").status_code == 201
    events = clerk.get(f"/api/processes/{process.pk}/events/").json()
    assert [e["kind"] for e in events] == ["urge", "comment"]
    # out of scope: 404, nothing written
    outsider = client_for(p.jb_approver)
    assert outsider.post(f"/api/processes/{process.pk}/urge/", {}, format="json").status_code == 404
    assert outsider.get(f"/api/processes/{process.pk}/events/").status_code == 404
    assert ProcessEvent.objects.count() == 2


def test_copy_by_username_and_unit_code(nanjing, client_for):
    p = nanjing.p
    process = apply_xl(nanjing)
    approver = client_for(p.jy_approver)
    bad = approver.post(f"/api/processes/{process.pk}/copy/", {"users": ["nobody"]}, format="json")
    assert bad.status_code == 400 and "users" in bad.json()
    bad = approver.post(f"/api/processes/{process.pk}/copy/", {"units": ["NOPE"]}, format="json")
    assert bad.status_code == 400 and "units" in bad.json()
    ok = approver.post(f"/api/processes/{process.pk}/copy/", {"units": ["JYXL"], "comment": "阅"},
                       format="json")
    assert ok.status_code == 201
    assert ProcessCopy.objects.filter(process=process, unit=nanjing.u.xl).exists()


def test_add_signer_and_transfer(nanjing, client_for):
    p = nanjing.p
    process = apply_xl(nanjing)
    decide(process, p.xl_head)
    task = only_open_task(process)
    approver = client_for(p.jy_approver)
    bad = approver.post(f"/api/tasks/{task.pk}/add-signer/",
                        {"signer": "jb_approver", "position": "after", "reason": "请把关"},
                        format="json")
    assert bad.status_code == 400 and "signer" in bad.json()
    bad = approver.post(f"/api/tasks/{task.pk}/add-signer/",
                        {"signer": "nj_archivist", "position": "middle", "reason": "x"},
                        format="json")
    assert bad.status_code == 400 and "position" in bad.json()
    # transfer needs the holder: the approver has not claimed it → 409
    response = approver.post(f"/api/tasks/{task.pk}/transfer/", {"to_user": "nj_approver"},
                             format="json")
    assert response.status_code == 409
    assert client_for(p.jb_approver).post(f"/api/tasks/{task.pk}/add-signer/", {},
                                          format="json").status_code == 404


def test_notifications_list_and_read(nanjing, client_for, django_capture_on_commit_callbacks):
    p = nanjing.p
    with django_capture_on_commit_callbacks(execute=True):
        apply_xl(nanjing)
    head = client_for(p.xl_head)
    body = head.get("/api/notifications/").json()
    assert body["unread"] == 1 and body["results"][0]["kind"] == "task_new"
    mine = body["results"][0]["id"]
    other = Notification.objects.create(recipient=p.xl_clerk, kind="urged", title="x")
    response = head.post("/api/notifications/read/", {"ids": [mine, other.pk]}, format="json")
    assert response.json() == {"marked": 1, "unread": 0}
    other.refresh_from_db()
    assert other.read_at is None
    # Ids no database integer can hold: a 400 naming the field, nothing marked.
    for bad in (-253401626438429802496, 2**63, 0):
        response = head.post("/api/notifications/read/", {"ids": [other.pk, bad]}, format="json")
        assert response.status_code == 400 and "ids" in response.json(), bad
    other.refresh_from_db()
    assert other.read_at is None
