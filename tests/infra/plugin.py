"""Loaded only by the services leg (`python -m pytest -p tests.infra.plugin`).

Jobs are not eager in that leg (CELERY_TASK_ALWAYS_EAGER=false: the worker,
beat and pytest all point at the real Redis). Tests that are not marked
`services` keep running their jobs in-process, as in `make test`: their data
lives in a test transaction that is never committed, so no worker could ever
see it, and they assert a job's effect right after triggering it. Tests marked
`services` dispatch for real, to the worker started by scripts/services.sh or
to one started by the `celery_worker_proc` fixture.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _jobs_dispatch_mode(request):
    from config.celery import app

    real = request.node.get_closest_marker("services") is not None
    before = app.conf.task_always_eager
    app.conf.task_always_eager = not real
    yield
    app.conf.task_always_eager = before
