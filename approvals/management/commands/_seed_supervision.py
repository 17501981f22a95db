"""seed_demo's supervision part (issue 14; docs/demo.md): the early warning of the account at
risk, and — as they are built — a post with a 错敏 finding, a pending filing and an app
application with its 网信 step. Each step is idempotent and skipped with a warning when the
services refuse it (the command's `attempt`)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from review.warnings import warnings_record


def seed_supervision(command: Any, *, units: dict, users: dict, accounts: dict, tally: Any) -> None:
    today = timezone.localdate()
    result = command.attempt(_("演示预警"), lambda: warnings_record(today=today))
    if result and result["opened"]:
        tally.add(_("预警"), result["opened"])
