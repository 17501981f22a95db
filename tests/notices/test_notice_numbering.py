from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from notices.models import Notice

YEAR = None


def _year():
    return timezone.localdate().year


@pytest.mark.django_db
def test_it_numbers_per_unit_series_and_year(world, issue, django_capture_on_commit_callbacks):
    y = _year()
    with django_capture_on_commit_callbacks(execute=False):
        a1 = issue("closure_announcement", unit=world.u.njzj, account=world.zj_account)
        a2 = issue("merger_announcement", unit=world.u.njzj, account=world.zj_account)
        o1 = issue("rectification_order", unit=world.u.njzj, account=world.zj_account)
        r1 = issue("inspection_report", unit=world.u.njzj, account=None)
        j1 = issue("filing_receipt", unit=world.u.jy)
    # Both announcement kinds share the 公告 series; orders and reports share 发.
    assert [a1.number, a2.number] == [f"宁质监公告〔{y}〕1号", f"宁质监公告〔{y}〕2号"]
    assert [o1.number, r1.number] == [f"宁质监发〔{y}〕1号", f"宁质监发〔{y}〕2号"]
    assert j1.number == f"建政办备〔{y}〕1号"


@pytest.mark.django_db
def test_it_gives_back_the_number_of_a_rolled_back_issue(
    world, issue, django_capture_on_commit_callbacks
):
    y = _year()
    with django_capture_on_commit_callbacks(execute=False):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                issue("opening_approval")
                raise RuntimeError("approval rolled back")
        notice = issue("opening_approval")
    assert notice.number == f"宁政办复〔{y}〕1号"
    assert Notice.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_numbers_20_concurrent_issues_1_to_20(world, monkeypatch):
    from notices import services

    # Rendering is not what this test is about; the numbers are.
    monkeypatch.setattr("notices.tasks.notice_render.delay", lambda notice_id: None)
    errors: list[BaseException] = []
    barrier = threading.Barrier(20)

    def worker():
        try:
            barrier.wait(timeout=10)
            services.issue(
                kind="opening_approval", account=world.xl_account, issuing_unit=world.u.nj,
                actor=world.p.nj_approver,
            )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    seqs = sorted(Notice.objects.values_list("seq", flat=True))
    assert seqs == list(range(1, 21))
    assert Notice.objects.values("number").distinct().count() == 20
