"""The notices' fixtures (a world with issued notices, cleared throttles) for the public
verification pages and API."""

from tests.notices.conftest import _clear_throttles, issue, world  # noqa: F401
