"""Benchmark: `run_due` over a province (issue 15 item 6; not a test).

    .venv/bin/python bench/run_due.py [--scale 1.0] [--days 10] [--sqlite] [--daily]

Builds the province with bench/generate.py (on the services leg's PostgreSQL, started and
stopped here in var/bench-services/, or in a throwaway SQLite file with --sqlite) and runs
approvals.due.run_due for the day `--days` after generation: every open task of the
province (due a week after generation) is overdue by then, so run_due reminds each overdue
assignment, mails the escalations, evaluates the early warnings over every account's
metrics and the filing deadlines, ends the notice periods due and escalates the
rectification reports past their deadline (both through the flows, one at a time). Prints
the time and SQL statements of each part, then runs it a second time the same day (nothing
left to do: the idempotent pass) and ends with
    run_due: seconds=S cpu_seconds=C statements=N second_run_seconds=S2 (goal < 30 s)
(CPU: this process's; the PostgreSQL backend's CPU and the load average are printed too —
the machine is shared, wall time alone says little.)
With --daily it runs once a day for days 1..--days instead (what Celery beat does), so each
day only has that day's notice periods and deadlines, and prints each day and the worst.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (label, module attribute of approvals.due that run_due calls): timed one by one.
PARTS = [
    ("notice periods", "process_one_notice_period"),
    ("overdue tasks reminded", "remind_overdue"),
    ("rectifications", "rectifications_due"),
    ("reminder/escalation e-mail", "run_due_mail.send_due_mail"),
    ("early warnings", "warning_mail.send_warning_mail"),
    ("filings", "filing_mail.send_filing_mail"),
]


class Meter:
    """Wall time, this process's CPU time and SQL statements per part (a part's time includes
    the statements)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.statements: dict[str, int] = {}
        self.current: list[str] = []
        self.total = 0

    def count(self, execute, sql, params, many, context):
        self.total += 1
        if self.current:
            part = self.current[-1]
            self.statements[part] = self.statements.get(part, 0) + 1
        return execute(sql, params, many, context)

    def wrap(self, label: str, func):
        def timed(*args, **kwargs):
            self.current.append(label)
            t0, c0 = time.perf_counter(), time.process_time()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - t0
                self.cpu[label] = self.cpu.get(label, 0.0) + time.process_time() - c0
                self.current.pop()
        return timed


def _patch(meter: Meter) -> None:
    from approvals import due

    for label, attr in PARTS:
        owner = due
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        setattr(owner, name, meter.wrap(label, getattr(owner, name)))


def _backend_cpu(connection) -> float:
    """CPU seconds of the PostgreSQL backend serving this connection (from /proc: the
    services leg's cluster runs on this machine); 0 on SQLite."""
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child(args) -> None:
    from bench.generate import generate, setup_django

    setup_django(args.database_url, args.var_dir)
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    counts = generate(scale=args.child_scale, seed=15, log=lambda *_: None)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    from approvals.due import run_due
    from approvals.models import TaskAssignment

    if args.daily:
        out = {"counts": {k: v for k, v in counts.items() if k != "hot approvers"}, "days": []}
        for d in range(1, args.days + 1):
            day = timezone.localdate() + datetime.timedelta(days=d)
            meter = Meter()
            with connection.execute_wrapper(meter.count):
                t0, c0 = time.perf_counter(), time.process_time()
                summary = run_due(today=day)
                out["days"].append([day.isoformat(), time.perf_counter() - t0,
                                    time.process_time() - c0, meter.total, summary])
        out["load"] = os.getloadavg()
        print("JSON:" + json.dumps(out))
        return
    today = timezone.localdate() + datetime.timedelta(days=args.days)
    overdue = TaskAssignment.objects.filter(due_on__lt=today).count()
    out = {"counts": {k: v for k, v in counts.items() if k != "hot approvers"},
           "overdue assignments": overdue, "today": today.isoformat()}
    meter = Meter()
    _patch(meter)
    db0 = _backend_cpu(connection)
    with connection.execute_wrapper(meter.count):
        t0, c0 = time.perf_counter(), time.process_time()
        out["summary"] = run_due(today=today)
        out["seconds"] = time.perf_counter() - t0
        out["cpu"] = time.process_time() - c0
        out["statements"] = meter.total
        out["parts"] = {label: [meter.seconds.get(label, 0.0), meter.cpu.get(label, 0.0),
                                meter.statements.get(label, 0)]
                        for label, _attr in PARTS}
    out["db_cpu"] = _backend_cpu(connection) - db0
    with connection.execute_wrapper(meter.count):
        meter.total = 0
        t0 = time.perf_counter()
        out["second_summary"] = run_due(today=today)
        out["second_seconds"] = time.perf_counter() - t0
        out["second_statements"] = meter.total
    out["load"] = os.getloadavg()
    print("JSON:" + json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="the province (1 = 100,000 accounts)")
    parser.add_argument("--days", type=int, default=10, help="run_due this many days after generation")
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--daily", action="store_true",
                        help="run_due once a day for days 1..--days (as Celery beat does), not "
                             "once on day --days; prints each day and the worst")
    parser.add_argument("--child-scale", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--var-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_scale is not None:
        child(args)
        return
    tmp = Path(tempfile.mkdtemp(prefix="govmedia-bench-run-due-"))
    try:
        if args.sqlite:
            url = f"sqlite:///{tmp}/province.sqlite3"
        else:
            from bench.decisions import start_services
            from bench.pages import create_database

            url = create_database(start_services()["DATABASE_URL"], "run_due")
        t0 = time.perf_counter()
        run = subprocess.run(
            [sys.executable, __file__, "--child-scale", str(args.scale), "--database-url", url,
             "--var-dir", str(tmp), "--days", str(args.days)] + (["--daily"] if args.daily else []),
            capture_output=True, text=True,
            env=dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.local", DEBUG="false",
                     SECRET_KEY="bench-only", LOG_LEVEL="ERROR",
                     EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
        )
        line = next((x for x in run.stdout.splitlines() if x.startswith("JSON:")), None)
        if line is None:
            raise SystemExit(run.stderr[-3000:])
        result = json.loads(line[5:])
        elapsed = time.perf_counter() - t0
    finally:
        if not args.sqlite:
            from bench.decisions import stop_services

            stop_services()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    db = "SQLite" if args.sqlite else "PostgreSQL"
    print(f"{db}; scale {args.scale}: {result['counts']}; {elapsed:.0f} s with generation")
    if args.daily:
        for day, seconds, cpu, statements, summary in result["days"]:
            print(f"{day}  {seconds:7.2f} s  CPU {cpu:6.2f} s  SQL {statements:6}  {summary}")
        worst = max(result["days"], key=lambda row: row[1])
        print("load average after: " + " ".join(f"{x:.2f}" for x in result["load"]))
        print(f"run_due daily: worst_day={worst[0]} seconds={worst[1]:.1f} cpu_seconds={worst[2]:.1f}"
              f" statements={worst[3]} (goal < 30 s)")
        return
    print(f"run_due for {result['today']}: {result['overdue assignments']} overdue assignments")
    print(result["summary"])
    print(f"{'part':30} {'seconds':>8} {'CPU s':>8} {'SQL':>8}")
    for label, (seconds, cpu, statements) in result["parts"].items():
        print(f"{label:30} {seconds:8.2f} {cpu:8.2f} {statements:8}")
    print(f"{'run_due (all)':30} {result['seconds']:8.2f} {result['cpu']:8.2f} "
          f"{result['statements']:8}")
    print(f"{'second run, same day':30} {result['second_seconds']:8.2f} {'':8} "
          f"{result['second_statements']:8}")
    print(f"database backend CPU during run_due: {result['db_cpu']:.2f} s; "
          "load average after: " + " ".join(f"{x:.2f}" for x in result["load"]))
    print(f"run_due: seconds={result['seconds']:.1f} cpu_seconds={result['cpu']:.1f} "
          f"statements={result['statements']} "
          f"second_run_seconds={result['second_seconds']:.1f} (goal < 30 s)")


if __name__ == "__main__":
    main()
