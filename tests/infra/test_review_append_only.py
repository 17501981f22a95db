"""Monitoring snapshots are append-only on PostgreSQL (issue 12 item 3; migration
review/0008): UPDATE and DELETE are refused by a trigger, a correction through the service
is a new row and the latest row of the day is the current one."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.utils import DatabaseError

from review.models import MetricSnapshot
from review.selectors import current_snapshots
from review.services import metrics_import
from tests.factories import AccountFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _push(account, followers):
    row = {
        "platform": account.platform,
        "platform_id": account.platform_id,
        "as_of": "2026-12-01",
        "followers": str(followers),
        "posts_total": "10",
        "last_post_on": "2026-11-30",
        "interaction_enabled": "true",
    }
    return metrics_import(rows=[(2, row)], source="cli")


def test_the_trigger_refuses_to_edit_or_delete_a_snapshot(services, nanjing):
    account = AccountFactory(unit=nanjing.u.xl)
    assert _push(account, 100).created == 1
    first = MetricSnapshot.objects.get()
    for attempt in (
        lambda: MetricSnapshot.objects.filter(pk=first.pk).update(followers=1),
        lambda: MetricSnapshot.objects.filter(pk=first.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert MetricSnapshot.objects.get().followers == 100

    result = _push(account, 120)  # a correction: a new row, the contract's "updated"
    assert (result.created, result.updated) == (0, 1)
    assert list(MetricSnapshot.objects.order_by("pk").values_list("followers", flat=True)) == [100, 120]
    assert list(current_snapshots().values_list("followers", flat=True)) == [120]
    account.refresh_from_db()
    assert account.followers == 120
