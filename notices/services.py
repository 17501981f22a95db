"""The only writers of notices: issue (number + row, render queued after commit), render
(idempotent, failure recorded), revoke (only through a new revoking notice)."""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import threading
import uuid
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from sequences import get_next_value

from lifecycle.models import Account, ChannelKind, Membership, Platform, Unit
from lifecycle.types import RequestUser, User
from notices.kinds import KINDS, REVOCATION, get_kind
from notices.models import Notice, NoticeDownload, NoticeStatus
from notices.rendering import RenderError, notice_title, render_notice_pdf, render_sheet_pdf
from notices.search import index as search_index
from notices.search import text_for as search_text_for
from notices.signing import SealError, sign_rendered
from notices.tasks import notice_render as notice_render_task

logger = logging.getLogger(__name__)

ERR_UNKNOWN_KIND = _("未知的公文种类：{kind}")
ERR_NO_UNIT = _("必须指定发文单位。")
ERR_REVOKES_REQUIRED = _("撤销通知必须指明被撤销的公文。")
ERR_REVOKES_ONLY_FOR_REVOCATION = _("只有撤销通知可以撤销公文。")
ERR_ALREADY_REVOKED = _("该公文已被撤销。")
ERR_REVOKE_SELF_KIND = _("撤销通知不能再被撤销，请另行发文。")
FAILURE_REASON_MAX = 2000


def notice_number(*, unit: Unit, series_word: str, year: int, seq: int) -> str:
    """`{unit short name}{series word}〔{year}〕{n}号` — six-cornered brackets, no leading zeros."""
    short = unit.short_name or unit.name
    return f"{short}{series_word}〔{year}〕{seq}号"


def sequence_name(*, unit: Unit, series: str, year: int) -> str:
    return f"notice-{unit.pk}-{series}-{year}"


def _json_safe(value: Any) -> Any:
    """What the JSONField will hold — dates as ISO strings, lazy texts as str."""
    return json.loads(json.dumps(value or {}, cls=DjangoJSONEncoder, ensure_ascii=False))


def _platform_label(code: str) -> str:
    try:
        return str(Platform(code).label)
    except ValueError:
        return code or ""


def _facts(
    *, kind: str, account: Account | None, issuing_unit: Unit, context: dict[str, Any],
    revokes: Notice | None,
) -> dict[str, Any]:
    """Freeze the rendered facts. Account name/platform/unit come from the account itself."""
    ctx = dict(_json_safe(context))
    ctx["issuer"] = {
        "code": issuing_unit.code, "name": issuing_unit.name, "short_name": issuing_unit.short_name,
    }
    if account is not None:
        ctx["account_id"] = account.pk
        ctx["account_name"] = account.name
        ctx["platform"] = account.platform
        ctx["platform_label"] = _platform_label(account.platform)
        ctx["unit_name"] = account.unit.name
        ctx["unit_code"] = account.unit.code
        if not ctx.get("platform_id"):
            ctx["platform_id"] = account.platform_id
        if account.supervisor_unit is not None:
            ctx.setdefault("supervisor_name", account.supervisor_unit.name)
        if account.operator:
            ctx.setdefault("operator", account.operator)
    for channel in ctx.get("channels") or []:
        if isinstance(channel, dict) and not channel.get("kind_label"):
            try:
                channel["kind_label"] = str(ChannelKind(channel.get("kind", "")).label)
            except ValueError:
                channel["kind_label"] = channel.get("kind", "")
    successor = ctx.get("successor_account")
    if isinstance(successor, dict) and not successor.get("platform_label"):
        successor["platform_label"] = _platform_label(successor.get("platform", ""))
    if revokes is not None:
        ctx.update(
            revokes_number=revokes.number,
            revokes_title=revokes.title,
            revokes_issued_on=revokes.issued_on.isoformat(),
            revokes_issuer=revokes.issuing_unit.name,
        )
    return ctx


# Official documents are Chinese whatever the reader's UI language: facts copied into the
# notice (platform labels, titles) and the rendered text are produced under zh-hans.
@translation.override("zh-hans")
@transaction.atomic
def issue(
    *,
    kind: str,
    account: Account | None,
    issuing_unit: Unit,
    actor: User | None,
    process_id: int | None = None,
    context: dict[str, Any] | None = None,
    revokes: Notice | None = None,
) -> Notice:
    """Allocate the next gapless number, save the notice (pending) and queue its rendering
    after commit. A rollback of the caller's transaction rolls the number back too."""
    if kind not in KINDS:
        raise ValidationError({"kind": str(ERR_UNKNOWN_KIND).format(kind=kind)})
    if issuing_unit is None:
        raise ValidationError({"issuing_unit": ERR_NO_UNIT})
    spec = get_kind(kind)
    if kind == REVOCATION and revokes is None:
        raise ValidationError({"revokes": ERR_REVOKES_REQUIRED})
    if kind != REVOCATION and revokes is not None:
        raise ValidationError({"revokes": ERR_REVOKES_ONLY_FOR_REVOCATION})
    if revokes is not None:
        revokes = Notice.objects.select_for_update().select_related("issuing_unit").get(
            pk=revokes.pk
        )
        if revokes.status == NoticeStatus.REVOKED:
            raise ValidationError({"revokes": ERR_ALREADY_REVOKED})
        if revokes.kind == REVOCATION:
            raise ValidationError({"revokes": ERR_REVOKE_SELF_KIND})
        if account is None:
            account = revokes.account

    issued_on = timezone.localdate()
    year = issued_on.year
    facts = _facts(
        kind=kind, account=account, issuing_unit=issuing_unit, context=context or {},
        revokes=revokes,
    )
    title = notice_title(kind=kind, context=facts)[:300]
    # Gapless: the sequence row is locked until this transaction ends (django-sequences).
    seq = get_next_value(sequence_name(unit=issuing_unit, series=spec.series, year=year))
    notice = Notice(
        kind=kind,
        number=notice_number(unit=issuing_unit, series_word=spec.series_word, year=year, seq=seq),
        series=spec.series,
        year=year,
        seq=seq,
        title=title,
        issuing_unit=issuing_unit,
        account=account,
        process_id=process_id,
        issued_on=issued_on,
        context=facts,
        revokes=revokes,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    # The fields' own rules; not the five look-ups full_clean would add: the related rows
    # were passed in as loaded objects, and number/sequence uniqueness comes from the
    # gapless sequence row locked above — the database's FK and unique constraints (Meta)
    # still hold both.
    notice.full_clean(
        exclude=["pdf", "context", "issuing_unit", "account", "created_by", "revokes"],
        validate_unique=False, validate_constraints=False,
    )
    notice.save()
    if revokes is not None:
        revokes.status = NoticeStatus.REVOKED
        revokes.save(update_fields=["status"])

    notice_id = notice.pk
    transaction.on_commit(lambda: notice_render_task.delay(notice_id))
    return notice


ERR_REVOKE_FORBIDDEN = _("只有发文单位的负责人或审核人可以撤销该公文。")
ERR_REVOKE_REASON = _("请填写撤销理由。")
# Who may revoke a notice on behalf of the unit that issued it.
REVOKING_ROLES = ("unit_head", "approver")


def may_revoke(*, user: RequestUser, notice: Notice) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return Membership.objects.filter(
        user=user, unit_id=notice.issuing_unit_id, role__in=REVOKING_ROLES).exists()


def notice_revoke(*, notice: Notice, actor: User, reason: str, replacement: str = "") -> Notice:
    """A correction is a new notice: the issuing unit's 撤销通知 revokes `notice` (which is
    never edited; it is marked revoked and verification says so)."""
    reason = (reason or "").strip()
    if not may_revoke(user=actor, notice=notice):
        raise PermissionDenied(str(ERR_REVOKE_FORBIDDEN))
    if not reason:
        raise ValidationError({"reason": ERR_REVOKE_REASON})
    return issue(
        kind=REVOCATION, account=notice.account, issuing_unit=notice.issuing_unit, actor=actor,
        context={"reason": reason, "replacement": (replacement or "").strip()}, revokes=notice,
    )


class RenderTimeout(Exception):
    """The render took longer than NOTICE_RENDER_TIME_LIMIT seconds."""


@contextlib.contextmanager
def render_time_limit(seconds: float) -> Iterator[None]:
    """In-process guard on a render (eager jobs, `render_notices`, a worker's task): after
    `seconds` the render is interrupted with RenderTimeout (SIGALRM, so only where Python
    delivers signals: the main thread of the process — a management command, a Celery
    worker child, a sync gunicorn worker). A Celery worker also has the task's soft/hard
    time limits (notices.tasks); threads elsewhere rely on the bounded input."""
    if (seconds <= 0 or not hasattr(signal, "setitimer")
            or threading.current_thread() is not threading.main_thread()):
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        raise RenderTimeout(f"render exceeded {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _fail(*, notice: Notice, reason: str, crashed: bool = False) -> Notice:
    """Mark the notice failed. The details go to the log and to `failure_reason` behind an
    error id (`[id] …`, Notice.failure_id): users see only 「生成失败，错误编号 id」."""
    error_id = uuid.uuid4().hex[:12]
    if crashed:
        logger.exception("notice=%s render crashed error_id=%s", notice.pk, error_id)
    else:
        logger.warning("notice=%s render failed error_id=%s: %s", notice.pk, error_id, reason)
    reason = f"[{error_id}] {reason}"
    with transaction.atomic():
        locked = Notice.objects.select_for_update().get(pk=notice.pk)
        if not locked.is_rendered:
            Notice.objects.filter(pk=notice.pk).update(
                status=NoticeStatus.FAILED if locked.status != NoticeStatus.REVOKED
                else NoticeStatus.REVOKED,
                failure_reason=reason[:FAILURE_REASON_MAX],
            )
    notice.refresh_from_db()
    return notice


def notice_render(*, notice: Notice) -> Notice:
    """Render the PDF once. Rendered → no-op. Errors mark the notice failed with the reason
    (the approval that issued it stands); a later call retries."""
    notice.refresh_from_db()
    if notice.is_rendered:
        return notice
    try:
        with render_time_limit(settings.NOTICE_RENDER_TIME_LIMIT):
            rendered = render_notice_pdf(notice)
            # Signed in the same job: a redelivered or concurrent job signs again, but only
            # the first writer's signed file is kept (below).
            rendered, signer, serial = sign_rendered(notice, rendered)
            sheet = render_sheet_pdf(notice)
    except (RenderError, SealError, RenderTimeout) as exc:
        return _fail(notice=notice, reason=str(exc))
    except Exception as exc:  # any crash of templates or WeasyPrint (a Celery soft limit too)
        return _fail(notice=notice, reason=f"{type(exc).__name__}: {exc}", crashed=True)

    # Short write transaction (the render above holds no lock): first writer wins; a
    # concurrent second render finds the row rendered and writes nothing.
    with transaction.atomic():
        locked = Notice.objects.select_for_update().get(pk=notice.pk)
        if locked.is_rendered:
            return locked
        name = f"{locked.pk}-{rendered.sha256[:12]}.pdf"
        locked.pdf.save(name, ContentFile(rendered.data, name=name), save=False)
        locked.sheet_pdf.save(
            f"{locked.pk}-sheet-{sheet.sha256[:12]}.pdf", ContentFile(sheet.data), save=False
        )
        locked.sheet_sha256 = sheet.sha256
        locked.sha256 = rendered.sha256
        locked.sm3 = rendered.sm3
        locked.search_text = search_text_for(locked)
        locked.signer = signer[:300]
        locked.signer_serial = serial
        locked.size = len(rendered.data)
        locked.pages = rendered.pages
        locked.rendered_at = timezone.now()
        locked.failure_reason = ""
        if locked.status != NoticeStatus.REVOKED:
            locked.status = NoticeStatus.RENDERED
        locked.save(
            update_fields=[
                "pdf", "sha256", "sm3", "size", "pages", "rendered_at", "failure_reason",
                "status", "sheet_pdf", "sheet_sha256", "signer", "signer_serial", "search_text",
            ]
        )
        search_index(locked.pk, locked.search_text)
    notice.refresh_from_db()
    return notice


def notice_download_record(
    *, notice: Notice, user: RequestUser, ip: str | None, channel: str = "web"
) -> NoticeDownload:
    return NoticeDownload.objects.create(
        notice=notice, user=user if user.is_authenticated else None, ip=ip or None,
        channel=channel,
    )


def is_sha256(value: str) -> bool:
    value = (value or "").strip().lower()
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)
