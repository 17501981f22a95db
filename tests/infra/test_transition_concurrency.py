"""Two concurrent writers on one account (PostgreSQL row locks): exactly one transition happens."""

from __future__ import annotations

import pytest

from lifecycle import services as lifecycle_services
from lifecycle.models import Account, AccountState, AccountTransition
from tests.factories import AccountFactory, UnitFactory, UserFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_it_lets_exactly_one_of_two_concurrent_closures_move(services, run_in_threads):
    account = AccountFactory(unit=UnitFactory(), state=AccountState.ACTIVE)
    actors = [UserFactory(username="closer_a"), UserFactory(username="closer_b")]

    def start_closure(barrier):
        # Each thread holds its own stale copy (state=active), as two browser tabs would.
        mine = Account.objects.get(pk=account.pk)
        actor = actors[barrier.wait()]
        return lifecycle_services.account_start_closure(account=mine, actor=actor, reason="并发关停")

    results = run_in_threads(start_closure, n=2)

    winners = [r for r, exc in results if exc is None]
    errors = [exc for _, exc in results if exc is not None]
    assert len(winners) == 1, results
    assert len(errors) == 1, results
    assert isinstance(errors[0], lifecycle_services.TransitionError)  # TransitionConflict is one too
    account.refresh_from_db()
    assert account.state == AccountState.CLOSING
    rows = AccountTransition.objects.filter(account=account, name="start_closure")
    assert rows.count() == 1
    assert rows.get().to_state == AccountState.CLOSING
