"""Thin Celery tasks of the approvals app (no logic: they call services).

Due work has one Celery entry, `config.celery.run_due` (beat, every minute), which calls
approvals.due.run_due like `manage.py run_due` does."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model

from review.models import Campaign


@shared_task(
    name="approvals.tasks.campaign_start", ignore_result=True, acks_late=True,
    autoretry_for=(Exception,), retry_backoff=True, max_retries=5,
)
def campaign_start(campaign_id: int, actor_id: int | None) -> int:
    """Start the inspection processes of a new campaign (idempotent: safe to redeliver)."""
    # Imported when the job runs: campaign_create (approvals.services.inspections) queues
    # this task on commit, so that module imports this one at module level; a module-level
    # import back would make the two a circular import. The job reaches back into it.
    from approvals.services.inspections import campaign_start_inspections

    campaign = Campaign.objects.select_related("inspecting_unit").get(pk=campaign_id)
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return campaign_start_inspections(campaign=campaign, actor=actor)
