"""The notices' fixtures (a world with issued notices) for the archive pages."""

from tests.notices.conftest import issue, world  # noqa: F401
