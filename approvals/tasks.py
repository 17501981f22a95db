"""Thin Celery tasks of the approvals app (no logic: the command does the work)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="approvals.tasks.run_due", ignore_result=True)
def run_due() -> str:
    """Beat/cron entry point for `manage.py run_due` (config.celery schedules its own
    wrapper every minute; this one is for deployments that schedule app tasks directly)."""
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("run_due", stdout=out)
    return out.getvalue()


@shared_task(
    name="approvals.tasks.campaign_start", ignore_result=True, acks_late=True,
    autoretry_for=(Exception,), retry_backoff=True, max_retries=5,
)
def campaign_start(campaign_id: int, actor_id: int | None) -> int:
    """Start the inspection processes of a new campaign (idempotent: safe to redeliver)."""
    from django.contrib.auth import get_user_model

    from approvals.services_review import campaign_start_inspections
    from review.models import Campaign

    campaign = Campaign.objects.select_related("inspecting_unit").get(pk=campaign_id)
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return campaign_start_inspections(campaign=campaign, actor=actor)
