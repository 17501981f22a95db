"""Notices on the real stack: gapless numbers under concurrency on PostgreSQL, rendering on a
real Celery worker, and a render job redelivered after its worker process is SIGKILLed."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from django.conf import settings

from notices import services as notices_services
from notices.models import Notice, NoticeStatus
from tests.factories import AccountFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _issue(nanjing, reason="机构改革", **extra):
    account = extra.pop("account", None) or AccountFactory(unit=nanjing.u.njzj, name="南京质检")
    return notices_services.issue(
        kind="closure_announcement", account=account, issuing_unit=nanjing.u.njzj,
        actor=nanjing.p.njzj_clerk, context={"reason": reason, "stop_on": "2026-12-15"},
    )


def test_it_numbers_twenty_concurrent_issuances_one_to_twenty(services, run_in_threads, nanjing):
    account = AccountFactory(unit=nanjing.u.njzj, name="南京质检")

    def issue(barrier):
        barrier.wait()
        return _issue(nanjing, account=account).seq

    results = run_in_threads(issue, n=20)
    assert [exc for _r, exc in results if exc is not None] == []
    assert sorted(r for r, _exc in results) == list(range(1, 21))
    numbers = set(Notice.objects.values_list("number", flat=True))
    assert len(numbers) == 20


def test_it_renders_on_a_real_worker(services, wait_for, nanjing):
    notice = _issue(nanjing)  # committed: on_commit queues notice_render to the worker

    def rendered():
        notice.refresh_from_db()
        return notice.status == NoticeStatus.RENDERED

    wait_for(rendered, timeout=90, message="the worker to render the notice")
    assert Path(notice.pdf.path).is_file() and notice.sha256 and notice.pages >= 1


def test_it_redelivers_a_render_killed_midway_and_keeps_one_pdf(
    services, celery_worker_proc, wait_for, nanjing
):
    worker = celery_worker_proc(name="render", concurrency=1)
    # A long reason makes a many-page document, so the render is still running when killed.
    notice = _issue(nanjing, reason="因机构改革，账号停止更新。" * 1500)
    wait_for(worker.busy_children, timeout=60, message="the render to start")
    worker.kill_children(signal.SIGKILL)

    def rendered():
        notice.refresh_from_db()
        return notice.status == NoticeStatus.RENDERED

    wait_for(rendered, timeout=180, message="the redelivered render")
    assert Notice.objects.filter(number=notice.number).count() == 1
    assert Notice.objects.count() == 1
    # Files are named "<pk>-<sha256 prefix>.pdf" (the notice) and "<pk>-sheet-<prefix>.pdf"
    # (its 公文处理单): one of each for this notice, the stored ones.
    pdf_dir = Path(settings.MEDIA_ROOT) / Path(notice.pdf.name).parent
    files = sorted(p.name for p in pdf_dir.glob(f"{notice.pk}-*.pdf"))
    assert files == sorted([Path(notice.pdf.name).name, Path(notice.sheet_pdf.name).name])
