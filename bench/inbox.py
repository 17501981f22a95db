"""Benchmark: the approver's queue and inbox at two data sizes (not a test).

    .venv/bin/python bench/inbox.py [--small 2000] [--large 100000] [--keep]

DESIGN §10: "inbox cost independent of total data size". Builds a throwaway SQLite database
(migrations + bulk inserts, no flow execution): units (1 province, 20 cities, 400 counties),
one approver per county, and account processes, each with 5 finished tasks and one open
review task routed to its county (TaskAssignment). Then, for one county approver, times in
the same run at the small size and again after growing the data to the large size (the
growth goes to the other counties, so the approver's own queue stays the same):
  1. approvals.selectors.queue_for(user): count + first page of 50 rows (what the page runs);
  2. GET /workflow/queue/ through Django's test client (the whole page, queries counted);
  3. viewflow's own Task.objects.queue(...) count for the same user, for comparison.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COUNTIES = 400


def setup_django(tmp: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["GOVMEDIA_VAR_DIR"] = str(tmp)
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import warnings

    warnings.filterwarnings("ignore")
    import django

    django.setup()


def build_world():
    from django.core.management import call_command

    from lifecycle import services
    from lifecycle.models import UnitKind, UnitLevel

    call_command("migrate", verbosity=0)
    root = services.unit_upsert(code="R", name="省政府办公厅", level=UnitLevel.PROVINCE,
                                kind=UnitKind.GOVERNMENT_OFFICE, parent=None)
    cities = [
        services.unit_upsert(code=f"C{i:02d}", name=f"市{i}", level=UnitLevel.CITY,
                             kind=UnitKind.GOVERNMENT_OFFICE, parent=root)
        for i in range(20)
    ]
    counties = [
        services.unit_upsert(code=f"K{i:03d}", name=f"县{i}", level=UnitLevel.COUNTY,
                             kind=UnitKind.GOVERNMENT_OFFICE, parent=cities[i % 20])
        for i in range(COUNTIES)
    ]
    users = [
        services.user_upsert(username=f"approver{i}", full_name=f"审核人{i}", password="bench-pass",
                             memberships=[(unit, "approver")])
        for i, unit in enumerate(counties)
    ]
    return counties, users


def add_processes(counties, start: int, count: int, skip=None) -> None:
    """Bulk rows shaped like what OpeningFlow writes (process, account, tasks, routing).
    `skip`: a county that gets none of these (its approver's own queue stays the same)."""
    counties = [c for c in counties if c != skip]
    from django.db import connection, transaction
    from django.utils import timezone
    from viewflow.workflow.models import Process, Task
    from viewflow.workflow.status import PROCESS, STATUS

    from approvals.flows import OpeningFlow
    from approvals.models import TaskAssignment
    from lifecycle.models import Account, AccountState

    now = timezone.now()
    with transaction.atomic():
        accounts = Account.objects.bulk_create(
            Account(name=f"账号{start + i}", platform="weibo", platform_id=f"uid{start + i}",
                    unit=counties[(start + i) % len(counties)], state=AccountState.APPLYING)
            for i in range(count)
        )
        processes = Process.objects.bulk_create(
            Process(flow_class=OpeningFlow, status=PROCESS.NEW, created=now,
                    data={"chain": [], "step": 1, "round": 0})
            for _ in range(count)
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO approvals_accountprocess (process_ptr_id, kind, account_id, unit_id)"
                " VALUES (%s, %s, %s, %s)",
                [(p.pk, "opening", a.pk, a.unit_id) for p, a in zip(processes, accounts, strict=True)],
            )
        code_of = {c.pk: c.code for c in counties}
        done = []
        open_ = []
        for p, a in zip(processes, accounts, strict=True):
            for _ in range(5):
                done.append(Task(process=p, flow_task=OpeningFlow.sign_off, flow_task_type="HUMAN",
                                 status=STATUS.DONE, created=now, finished=now,
                                 data={"units": [], "step": 0, "round": 0}))
            code = code_of[a.unit_id]
            open_.append(Task(process=p, flow_task=OpeningFlow.sign_off, flow_task_type="HUMAN",
                              status=STATUS.NEW, created=now,
                              data={"units": [code], "step": 1, "round": 0, "role": "approver"}))
        Task.objects.bulk_create(done, batch_size=5000)
        open_tasks = Task.objects.bulk_create(open_, batch_size=5000)
        unit_of = {a.pk: a.unit_id for a in accounts}
        account_of = {p.pk: a.pk for p, a in zip(processes, accounts, strict=True)}
        TaskAssignment.objects.bulk_create(
            (TaskAssignment(task=t, unit_id=unit_of[account_of[t.process_id]], role="approver")
             for t in open_tasks),
            batch_size=5000,
        )


def measure(user, repeat: int = 7) -> dict[str, float]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from viewflow.workflow.models import Task

    from approvals import selectors
    from approvals.flows import OpeningFlow

    def best(fn):
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times), statistics.median(times)

    def selector():
        qs = selectors.queue_for(user)
        qs.count()
        list(qs.select_related("process__accountprocess__account")[:50])

    # Keep one connection across requests, as production does (CONN_MAX_AGE), so the page
    # time is the page's work and its queries can be counted.
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    client = Client()
    client.force_login(user)

    def page():
        response = client.get("/workflow/queue/")
        assert response.status_code == 200, response.status_code

    def viewflow_queue():
        Task.objects.queue([OpeningFlow], user).count()

    page()  # warm: session, URL resolver, templates
    with CaptureQueriesContext(connection) as ctx:
        page()
    page_queries = len(ctx.captured_queries)
    return {
        "queue size": selectors.queue_for(user).count(),
        "selector (count + 50 rows)": best(selector)[0],
        "page GET /workflow/queue/": best(page)[0],
        "page queries": page_queries,
        "viewflow Task.objects.queue count": best(viewflow_queue)[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=2_000, help="processes at the small size")
    parser.add_argument("--large", type=int, default=100_000, help="processes at the large size")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="govmedia-bench-inbox-"))
    setup_django(tmp)
    from viewflow.workflow.models import Task

    counties, users = build_world()
    user = users[7]
    add_processes(counties, 0, args.small)
    small = measure(user)
    small_tasks = Task.objects.count()
    t0 = time.perf_counter()
    # Growth goes to the other counties: the approver's own work is unchanged, the total grows.
    add_processes(counties, args.small, args.large - args.small, skip=counties[7])
    grown = time.perf_counter() - t0
    large = measure(user)
    large_tasks = Task.objects.count()
    print(f"tasks: {small_tasks} → {large_tasks} (grown in {grown:.1f} s)   db: {tmp}")
    print(f"{'':38} {'small':>10} {'large':>10} {'large/small':>12}")
    for key in small:
        a, b = small[key], large[key]
        if isinstance(a, float):
            print(f"{key:38} {a * 1000:8.1f}ms {b * 1000:8.1f}ms {b / a:11.2f}×")
        else:
            print(f"{key:38} {a:10} {b:10}")
    if not args.keep:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
