"""Benchmark: the lists of issue 15 item 4 at province scale and at 1 % of it (not a test).

    .venv/bin/python bench/pages.py [--scale 1.0] [--sqlite] [--repeat 5] [--rounds 2]

Builds two databases with bench/generate.py — the province at `--scale` and 1 % of it —
on the services leg's PostgreSQL (scripts/services.sh start --stores, var/bench-services/,
stopped again at the end) or, with --sqlite, in two throwaway SQLite files. In each, a
child process opens every list through Django's test client as its usual reader (the
hottest approver, an applicant, the province office's approver) and records the SQL
statements, the best server time of `--repeat` runs and the EXPLAIN of each SELECT; the
two sizes are measured in turn `--rounds` times (best kept), so a change of load on a
shared machine does not fall on one size only.
Prints per list: statements at both sizes (equal = flat), the time ratio
(province ÷ 1 %, goal ≤ 1.3) and every sequential scan of a large table in the plans.
Ends with one line:
    pages: sql_equal=K/N worst_time_ratio=R seq_scans_on_large_tables=S
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Tables that grow with the province (a sequential scan of one of these is a finding).
LARGE_TABLES = (
    "viewflow_task", "viewflow_process", "approvals_accountprocess", "approvals_taskassignment",
    "approvals_decision", "lifecycle_account", "lifecycle_accounttransition", "notices_notice",
    "review_metricsnapshot", "viewflow_task_previous",
)
RANDOM_PAGE_COST = 1.1
# (reader, url): the reader is resolved in the generated data (reader()).
LISTS = [
    ("hot", "/workflow/queue/"),
    ("hot", "/workflow/inbox/"),
    ("hot", "/workflow/archive/"),
    ("applicant", "/work/applications/"),
    ("hot", "/work/accounts/"),
    ("hot", "/work/accounts/?state=active&platform=weibo"),
    ("province", "/notices/"),
    ("province", "/notices/?q=批复"),
    ("province", "/work/dashboard/"),
    ("hot", "/api/tasks/"),
    ("hot", "/api/tasks/?status=done"),
    ("hot", "/api/accounts/"),
    ("province", "/api/notices/"),
]


def child(args) -> None:
    """Generate into args.database_url, then measure every list; print JSON."""
    from bench.generate import setup_django

    setup_django(args.database_url, args.var_dir)
    from django.core.management import call_command

    from bench.generate import generate

    saved = Path(args.var_dir) / f"counts-{args.child_scale}.json"
    if args.phase == "generate":  # a process of its own: its memory is not the sweep's
        call_command("migrate", verbosity=0)
        counts = generate(scale=args.child_scale, seed=15, log=lambda *_: None)
        from django.db import connection as conn

        with conn.cursor() as cursor:  # statistics and visibility map, as autovacuum would
            cursor.execute("VACUUM ANALYZE" if conn.vendor == "postgresql" else "ANALYZE")
        saved.write_text(json.dumps(counts))
        return
    counts = json.loads(saved.read_text())
    from django.contrib.auth import get_user_model
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from lifecycle.models import Membership

    User = get_user_model()
    readers = {
        "hot": User.objects.get(username=counts["hot approvers"][0]),
        "applicant": User.objects.filter(memberships__role="applicant").order_by("pk").first(),
        "province": User.objects.filter(
            pk__in=Membership.objects.filter(unit__level="city", role="approver")
            .values("user_id")).order_by("pk").first(),
    }
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    out = {"counts": {k: v for k, v in counts.items() if k != "hot approvers"}, "lists": {}}
    for reader, url in LISTS:
        client = Client()
        client.force_login(readers[reader])
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        with CaptureQueriesContext(connection) as ctx:
            client.get(url)
        queries = [q["sql"] for q in ctx.captured_queries]  # before the next request resets them
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - t0)
        scans = set()
        plans = []
        for sql in queries:
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            with connection.cursor() as cursor:
                prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
                cursor.execute(prefix + sql)
                plan = " | ".join(str(row[-1]) for row in cursor.fetchall())
            found = {t for t in LARGE_TABLES if f"Seq Scan on {t} " in plan
                     or f"SCAN {t}" in plan and f"SCAN {t} USING" not in plan}
            if found:
                plans.append({"sql": sql, "plan": plan})
            scans |= found
        out["lists"][f"{reader} {url}"] = {
            "sql": len(queries), "best_ms": min(times) * 1000,
            "seq_scans": sorted(scans), "plans": plans,
        }
    # The process that served the sweep runs the same code a gunicorn worker does.
    status = Path("/proc/self/status").read_text().splitlines()
    out["rss_mib"] = {line.split(":")[0]: int(line.split()[1]) / 1024 for line in status
                      if line.startswith(("VmRSS:", "VmHWM:"))}
    print("JSON:" + json.dumps(out))


def start_postgres() -> tuple[str, Path]:
    from bench.decisions import SERVICES_DIR, start_services

    env = start_services()
    return env["DATABASE_URL"], SERVICES_DIR


def create_database(url: str, name: str) -> str:
    import psycopg

    base, _slash, _db = url.rpartition("/")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        # Storage on SSD, as in production (docs/performance.md "Sizing"): the default 4.0
        # prices an index probe like a disk seek and hash-joins whole tables instead.
        conn.execute(f'ALTER DATABASE "{name}" SET random_page_cost = {RANDOM_PAGE_COST}')
    return f"{base}/{name}"


def _child(label: str, scale: float, url: str, tmp: Path, repeat: int, phase: str,
           env: dict[str, str]) -> dict:
    run = subprocess.run(
        [sys.executable, __file__, "--child-scale", str(scale), "--database-url", url,
         "--var-dir", str(tmp), "--repeat", str(repeat), "--phase", phase],
        capture_output=True, text=True, env=env,
    )
    if run.returncode:
        raise SystemExit(f"{label} {phase}: {run.stderr[-3000:]}")
    if phase == "generate":
        return {}
    line = next((x for x in run.stdout.splitlines() if x.startswith("JSON:")), None)
    if line is None:
        raise SystemExit(f"{label}: {run.stderr[-3000:]}")
    return json.loads(line[5:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="the province (1 = 100,000 accounts)")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2,
                        help="measure the two sizes in turn this many times (default 2)")
    parser.add_argument("--child-scale", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--var-dir", help=argparse.SUPPRESS)
    parser.add_argument("--phase", default="measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_scale is not None:
        child(args)
        return
    tmp = Path(tempfile.mkdtemp(prefix="govmedia-bench-pages-"))
    results = {}
    try:
        if not args.sqlite:
            from bench.decisions import stop_services

            base_url, _dir = start_postgres()
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.local",
                   DEBUG="false", ALLOWED_HOSTS="testserver", SECRET_KEY="bench-only")
        sizes = (("small", args.scale / 100), ("large", args.scale))
        urls = {}
        for label, scale in sizes:
            if args.sqlite:
                urls[label] = f"sqlite:///{tmp / label}.sqlite3"
            else:
                urls[label] = create_database(base_url, f"pages_{label}")
            t0 = time.perf_counter()
            _child(label, scale, urls[label], tmp, args.repeat, "generate", env)
            print(f"{label}: scale {scale} generated in {time.perf_counter() - t0:.0f} s", flush=True)
        # The sizes are measured in turn, --rounds times, each list's best time kept: on a
        # shared machine the load changes by the minute, and one size measured while it is
        # high would skew every ratio.
        for _round in range(args.rounds):
            for label, scale in sizes:
                found = _child(label, scale, urls[label], tmp, args.repeat, "measure", env)
                if label not in results:
                    results[label] = found
                    print(f"{label}: {found['counts']}", flush=True)
                    continue
                for key, row in found["lists"].items():
                    best = results[label]["lists"][key]
                    best["best_ms"] = min(best["best_ms"], row["best_ms"])
                results[label]["rss_mib"] = found["rss_mib"]
    finally:
        if not args.sqlite:
            stop_services()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    small, large = results["small"]["lists"], results["large"]["lists"]
    db = "SQLite" if args.sqlite else "PostgreSQL"
    print(f"\n{db}; province scale {args.scale} vs {args.scale / 100}; best of {args.repeat} x "
          f"{args.rounds} rounds; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'list':58} {'SQL 1%':>6} {'SQL':>5} {'ms 1%':>7} {'ms':>7} {'ratio':>6}  "
          "seq scans (large tables)")
    equal = 0
    worst = 0.0
    scans = 0
    for key in small:
        a, b = small[key], large[key]
        ratio = b["best_ms"] / a["best_ms"]
        worst = max(worst, ratio)
        equal += a["sql"] == b["sql"]
        scans += len(b["seq_scans"])
        print(f"{key:58} {a['sql']:6} {b['sql']:5} {a['best_ms']:7.1f} {b['best_ms']:7.1f} "
              f"{ratio:6.2f}  {', '.join(b['seq_scans']) or '-'}")
    for key in large:
        for found in large[key]["plans"]:
            print(f"\n-- {key}: {found['sql'][:400]}\n   "
                  + found["plan"].replace(" | ", "\n   ")[:3000])
    rss = results["large"].get("rss_mib", {})
    print(f"\nweb process after the sweep (province): RSS {rss.get('VmRSS', 0):.0f} MiB, "
          f"peak {rss.get('VmHWM', 0):.0f} MiB (goal <= 150 MB)")
    print(f"pages: sql_equal={equal}/{len(small)} worst_time_ratio={worst:.2f} "
          f"seq_scans_on_large_tables={scans}")


if __name__ == "__main__":
    main()
