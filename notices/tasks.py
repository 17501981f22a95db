"""Thin Celery adapters: fetch by id, call the service (HOUSE_STYLE §5)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from notices.models import Notice, NoticeStatus

RETRY_COUNTDOWN = 60


# The soft limit raises inside the render (recorded as a failure with an error id, then
# retried); the hard limit ends a render that ignores it.
@shared_task(bind=True, max_retries=5, acks_late=True,
             soft_time_limit=settings.NOTICE_RENDER_TIME_LIMIT,
             time_limit=settings.NOTICE_RENDER_TIME_LIMIT + 30)
def notice_render(self, notice_id: int) -> str | None:
    # Imported when the job runs: notices.services queues this task on commit (issue),
    # so that module imports this one; the job calls back into the service.
    from notices.services import notice_render as render

    notice = Notice.objects.filter(pk=notice_id).first()
    if notice is None:
        return None
    notice = render(notice=notice)
    if notice.status == NoticeStatus.FAILED and not self.request.is_eager:
        # Transient failures (a worker out of memory, a font volume not mounted yet) get
        # retried; the failure stays visible in the archive meanwhile.
        raise self.retry(countdown=RETRY_COUNTDOWN * (self.request.retries + 1))
    return notice.status
