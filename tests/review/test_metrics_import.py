"""The metrics import writer (review.services.metrics_import): snapshots plus the accounts'
latest figures through lifecycle.services.account_set_metrics; a bad row writes nothing."""

from __future__ import annotations

import datetime

import pytest

from lifecycle.models import Account
from lifecycle.services import AccountMetrics, account_set_metrics
from review.models import MetricSnapshot
from review.services import MetricsImportError, MetricsImportResult, metrics_import
from tests.review.helpers import account

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2019, 6, 15)


@pytest.fixture
def fb(nanjing):
    return account(
        nanjing.u.xl,
        "兴隆发布",
        platform="weibo",
        platform_id="xlfb",
        followers=10,
        posts_total=5,
        last_post_on=datetime.date(2019, 1, 1),
    )


def _row(as_of, followers="1200", posts="340", last="2019-06-09", inter="是"):
    return {
        "platform": "weibo",
        "platform_id": "xlfb",
        "as_of": as_of,
        "followers": followers,
        "posts_total": posts,
        "last_post_on": last,
        "interaction_enabled": inter,
    }


def test_it_writes_snapshots_and_the_accounts_latest_figures(fb):
    result = metrics_import(
        rows=[(2, _row("2019-06-10")), (3, _row("2019-06-01", "900", "300", ""))], today=TODAY
    )
    assert result == MetricsImportResult(rows=2, created=2, updated=0, accounts_updated=1)
    fb.refresh_from_db()
    assert (fb.followers, fb.posts_total, fb.last_post_on, fb.interaction_enabled) == (
        1200,
        340,
        datetime.date(2019, 6, 9),
        True,
    )
    assert sorted(MetricSnapshot.objects.values_list("as_of", "followers")) == [
        (datetime.date(2019, 6, 1), 900),
        (datetime.date(2019, 6, 10), 1200),
    ]


def test_it_keeps_the_newer_figures_when_an_older_day_arrives(fb):
    metrics_import(rows=[(2, _row("2019-06-10"))], today=TODAY)
    result = metrics_import(rows=[(2, _row("2019-06-01", "5", "6", "", "否"))], today=TODAY)
    assert (result.created, result.accounts_updated) == (1, 0)
    fb.refresh_from_db()
    assert (fb.followers, fb.interaction_enabled) == (1200, True)


def test_it_writes_nothing_when_a_row_is_bad(fb):
    with pytest.raises(MetricsImportError) as exc:
        metrics_import(rows=[(2, _row("2019-06-10")), (3, _row("2019-06-11", followers="-1"))], today=TODAY)
    assert [(row, field) for row, field, _m in exc.value.errors.lines] == [(3, "followers")]
    assert not MetricSnapshot.objects.exists()
    fb.refresh_from_db()
    assert fb.followers == 10


def test_it_keeps_the_current_value_of_a_blank_figure(fb):
    before = fb.updated
    written = account_set_metrics(
        metrics={
            fb.pk: AccountMetrics(followers=None, posts_total=7, last_post_on=None, interaction_enabled=False)
        }
    )
    assert written == 1
    fb.refresh_from_db()
    assert (fb.followers, fb.posts_total, fb.last_post_on, fb.interaction_enabled) == (
        10,
        7,
        datetime.date(2019, 1, 1),
        False,
    )
    assert Account.objects.get(pk=fb.pk).updated > before
