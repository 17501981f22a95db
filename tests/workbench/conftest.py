"""The notices' fixtures (a world with issued notices) for the archive pages, and `archive`:
three notices of that world (an approval, a closure announcement, a filing receipt)."""

import pytest

from tests.notices.conftest import closure_context, issue, world  # noqa: F401


@pytest.fixture
def archive(world, issue, django_capture_on_commit_callbacks):  # noqa: F811 (the fixtures above)
    with django_capture_on_commit_callbacks(execute=True):
        xl = issue("opening_approval", unit=world.u.nj, account=world.xl_account)
        zj = issue("closure_announcement", unit=world.u.njzj, account=world.zj_account,
                   context=closure_context(world.successor))
        jb = issue("filing_receipt", unit=world.u.nj, account=world.jb_account)
    return world, xl, zj, jb
