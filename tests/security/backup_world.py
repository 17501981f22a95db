"""A small world for the backup round trips (SQLite here, PostgreSQL in tests/infra)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from lifecycle import security
from lifecycle.models import SecurityEvent
from notices import services as notices_services
from notices.models import Notice, NoticeStatus
from tests.factories import AccountFactory


def seed(nanjing, *, wait_rendered=lambda notices: None) -> list[Notice]:
    """Three issued notices (rendered: PDF + hashes) and a few security events."""
    account = AccountFactory(unit=nanjing.u.njzj, name="南京质检")
    notices = [
        notices_services.issue(
            kind="closure_announcement",
            account=account,
            issuing_unit=nanjing.u.njzj,
            actor=nanjing.p.njzj_clerk,
            context={"reason": f"机构改革{i}", "stop_on": "2026-12-15"},
        )
        for i in range(3)
    ]
    wait_rendered(notices)
    for notice in notices:
        notice.refresh_from_db()
        assert notice.status == NoticeStatus.RENDERED and notice.sha256, notice.failure_reason
    security.record(kind="login", user=nanjing.p.nj_approver, action="web")
    security.record(kind="login_failed", username="mallory", action="web")
    security.record(kind="denied", user=nanjing.p.jb_approver, action="GET", target="/work/x/")
    return notices


def expected_hashes() -> dict[str, str]:
    return dict(Notice.objects.exclude(sha256="").values_list("number", "sha256"))


def files_match() -> bool:
    """Every rendered notice's file on disk hashes to its recorded SHA-256."""
    from config.backup import sha256_file

    for notice in Notice.objects.exclude(sha256=""):
        path = Path(settings.MEDIA_ROOT) / notice.pdf.name
        if not path.is_file() or sha256_file(path) != notice.sha256:
            return False
    return True


def chain_head() -> tuple[int, str]:
    return SecurityEvent.objects.count(), SecurityEvent.objects.order_by("-pk").values_list(
        "hash", flat=True
    ).first() or ""
