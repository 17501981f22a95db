"""Files submitted with a data step (the rectification report's evidence): stored with the
decision, listed on the next approver's task page, downloadable only within scope; a file
of the wrong kind is refused with a message naming the field and nothing is stored."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals.flows import RectificationFlow
from approvals.models import AccountProcess, Decision
from lifecycle.models import AccountState
from tests.approvals.helpers import only_open_task
from tests.approvals.review_helpers import review_world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _ordered(client, w):
    client.force_login(w.p.jy_reviewer)
    response = client.post(reverse("work:rectify", args=[w.stale.pk]), {"reason": "超过90天未更新"})
    assert response.status_code == 302, response.content.decode()[:2000]
    process = AccountProcess.objects.get(account=w.stale, kind="rectification")
    task = only_open_task(process)
    assert task.flow_task == RectificationFlow.report
    return process, task


def _report(client, w, task, upload):
    client.force_login(w.p.xl_clerk)
    page = client.get(reverse("work:task", args=[task.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in page and "佐证材料附件" in page
    return client.post(reverse("work:task", args=[task.pk]), {
        "d-report": "已恢复更新，每周发布3条", "d-evidence_url": "https://example.gov.cn/a",
        "d-evidence_file": upload})


def test_it_shows_the_report_and_its_evidence_to_the_rechecking_supervisor(client, review_world):
    w = review_world
    process, task = _ordered(client, w)
    response = _report(client, w, task, SimpleUploadedFile("整改报告.pdf", PDF, "application/pdf"))
    assert response.status_code == 302, response.content.decode()[:2000]
    name = Decision.objects.get(task=task).data["evidence_file"]
    assert name.startswith(f"evidence/tasks/{task.pk}/") and default_storage.exists(name)
    assert process.__class__.objects.get(pk=process.pk).data["rectification_report"][
        "evidence_file"] == name

    recheck = only_open_task(process)
    client.force_login(w.p.jy_reviewer)
    page = client.get(reverse("work:task", args=[recheck.pk])).content.decode()
    assert "已恢复更新，每周发布3条" in page
    assert 'href="https://example.gov.cn/a"' in page
    url = reverse("work:task_evidence", args=[task.pk, "evidence_file"])
    assert f'href="{url}"' in page and "整改报告" in page
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PDF

    # Another district's approver cannot fetch it, not even knowing the URL.
    client.force_login(w.p.jb_approver)
    assert client.get(url).status_code == 404
    assert client.get(reverse("work:task_evidence", args=[task.pk, "report"])).status_code == 404


def test_it_refuses_a_file_that_is_not_a_pdf_or_image(client, review_world):
    w = review_world
    process, task = _ordered(client, w)
    hostile = SimpleUploadedFile("report.pdf", b"<html><script>alert(1)</script></html>", "text/html")
    response = _report(client, w, task, hostile)
    assert response.status_code == 400
    assert "附件只能是 PDF、PNG 或 JPG 文件。" in response.content.decode()
    assert not Decision.objects.filter(task=task).exists()
    assert only_open_task(process).pk == task.pk
    assert not default_storage.exists(f"evidence/tasks/{task.pk}/report.pdf")
    w.stale.refresh_from_db()
    assert w.stale.state == AccountState.RECTIFYING


def test_the_api_describes_the_report_without_the_upload(client, review_world):
    from rest_framework.test import APIClient

    w = review_world
    _, task = _ordered(client, w)
    api = APIClient()
    api.force_authenticate(w.p.xl_clerk)
    fields = api.get(f"/api/tasks/{task.pk}/").json()["fields"]
    assert set(fields) == {"report", "evidence_url", "evidence_text"}
