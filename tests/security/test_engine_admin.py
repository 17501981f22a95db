"""Numbers and the engine's records are not editable in the admin (issue 12 items 4 and 5):
a superuser cannot change a document-number sequence (no gap, no failing final approval)
nor a viewflow task or process around the services."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from sequences import get_next_value
from sequences.models import Sequence
from viewflow.workflow.models import Task

from tests.approvals.helpers import apply_xl

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.gov.cn", "pw")
    client.force_login(user)
    return user


def test_a_superuser_cannot_edit_a_number_sequence(client, root):
    name = f"notice:JY:复:{datetime.date.today().year}"
    get_next_value(name)
    seq = Sequence.objects.get(name=name)
    url = f"/admin/sequences/sequence/{seq.pk}/change/"
    assert client.get(url).status_code == 200  # visible, read-only
    response = client.post(url, {"name": name, "last": "5"})
    assert response.status_code == 403
    assert client.post("/admin/sequences/sequence/add/", {"name": "x", "last": "9"}).status_code == 403
    assert client.post(f"/admin/sequences/sequence/{seq.pk}/delete/", {"post": "yes"}).status_code == 403
    seq.refresh_from_db()
    assert seq.last == 1 and get_next_value(name) == 2  # gapless


def test_a_superuser_cannot_edit_engine_tasks_or_processes(client, root, nanjing):
    process = apply_xl(nanjing)
    task = Task.objects.filter(process=process, status="NEW").get()
    response = client.post(f"/admin/viewflow/task/{task.pk}/change/",
                           {"status": "DONE", "flow_task": "x", "process": process.pk})
    assert response.status_code == 403
    assert client.post(f"/admin/viewflow/process/{process.pk}/delete/",
                       {"post": "yes"}).status_code == 403
    task.refresh_from_db()
    assert task.status == "NEW"
