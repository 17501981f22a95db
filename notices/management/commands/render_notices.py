"""Render notices whose PDF is missing: every failed notice, and pending notices older than
NOTICE_PENDING_RETRY_AFTER seconds (their after-commit job was lost). Idempotent."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone

from lifecycle.management.base import GovCommand
from notices.models import Notice, NoticeStatus
from notices.selectors import notices_to_retry
from notices.services import notice_render


class Command(GovCommand):
    help = (
        "Render failed notices and pending notices older than --pending-older-than seconds "
        "(default NOTICE_PENDING_RETRY_AFTER). Rendered notices are never touched."
    )

    def add_arguments(self, parser):
        parser.add_argument("--pending-older-than", type=int, default=None)
        parser.add_argument("--id", type=int, action="append", dest="ids", default=[])

    def process_one_notice(self, notice: Notice) -> bool:
        """True when the notice ends up rendered."""
        notice = notice_render(notice=notice)
        ok = notice.is_rendered
        line = f"{notice.number}: {notice.get_status_display()}"
        if not ok:
            line += f" — {notice.failure_reason}"
        self.stdout.write(line)
        return ok

    def handle(self, *args, **options) -> str:
        seconds = options["pending_older_than"]
        if seconds is None:
            seconds = settings.NOTICE_PENDING_RETRY_AFTER
        cutoff = timezone.now() - datetime.timedelta(seconds=seconds)
        qs = notices_to_retry(pending_older_than=cutoff)
        if options["ids"]:
            qs = Notice.objects.filter(pk__in=options["ids"]).exclude(
                status=NoticeStatus.RENDERED
            )
        done = failed = 0
        for notice in qs.iterator():
            if self.process_one_notice(notice):
                done += 1
            else:
                failed += 1
        self.stdout.write(f"rendered={done} failed={failed}")
        if failed:
            raise CommandError(f"{failed} notice(s) could not be rendered")
        return ""
