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
