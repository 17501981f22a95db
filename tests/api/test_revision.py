"""POST /api/tasks/{id}/decide/ on a returned closure's revision step: `data` overlays the
application as it stands, is validated like a new application and replaces its plan."""

from __future__ import annotations

import pytest
from django.utils import timezone

from approvals import services
from approvals.models import Decision
from tests.api.helpers import imported
from tests.approvals.helpers import decide, only_open_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def returned(nanjing):
    zj = imported(nanjing.u.njzj, "南京质检", platform="wechat_official", platform_id="njzj")
    process = services.closure_apply(
        actor=nanjing.p.njzj_clerk, account=zj, kind="close", reason="职能划转，账号停止运营",
        stop_on=timezone.localdate(), successor_channels=[{"kind": "phone", "value": "025-1"}],
    )
    decide(process, nanjing.p.njzj_head, decision="return", comment="请写明网址")
    return process, only_open_task(process)


def test_it_describes_the_revision_fields(nanjing, client_for, returned):
    _, task = returned
    body = client_for(nanjing.p.njzj_clerk).get(f"/api/tasks/{task.pk}/").json()
    assert body["kind"] == "revision"
    assert {"kind", "reason", "stop_on", "successor_account"} <= set(body["fields"])
    assert body["fields"]["stop_on"]["type"] == "date"


def test_it_resubmits_with_only_the_changed_channels(nanjing, client_for, returned):
    process, task = returned
    channels = [{"kind": "website", "value": "https://scjgj.nanjing.gov.cn"}]
    response = client_for(nanjing.p.njzj_clerk).post(
        f"/api/tasks/{task.pk}/decide/",
        {"decision": "approve", "data": {"successor_channels": channels}}, format="json",
    )
    assert response.status_code == 200, response.content
    process.refresh_from_db()
    assert process.data["closure"]["channels"] == channels
    assert process.data["closure"]["reason"] == "职能划转，账号停止运营"  # kept as it stood
    assert only_open_task(process).flow_task.task_kind == "decision"


def test_a_vague_revision_is_400_and_writes_nothing(nanjing, client_for, returned):
    process, task = returned
    response = client_for(nanjing.p.njzj_clerk).post(
        f"/api/tasks/{task.pk}/decide/",
        {"decision": "approve",
         "data": {"successor_channels": [{"kind": "other", "value": "其他平台"}]}},
        format="json",
    )
    assert response.status_code == 400
    assert "successor_channels" in response.json()
    process.refresh_from_db()
    assert process.data["closure"]["channels"] == [{"kind": "phone", "value": "025-1"}]
    assert not Decision.objects.filter(task=task).exists()
