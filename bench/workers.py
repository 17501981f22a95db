"""Benchmark: rendering workers on the services leg (issue 15 item 5; not a test).

    .venv/bin/python bench/notices.py --workers 2 [--notices 60] [--rounds 2] [--rss-notices 1000]
    .venv/bin/python bench/workers.py --workers 2 …   (the same)

Starts PostgreSQL + Redis (scripts/services.sh start --stores, var/bench-services/) and, for
each leg, a Celery worker (`celery -A config worker --pool prefork --concurrency C`) on a
fresh database. A leg issues `--notices` notices through notices.services.issue (each
queues its render job in Redis after commit) and times until every one is rendered; legs
alternate between 1 and `--workers` pool processes, `--rounds` times. Reported per leg:
notices/s, the worker processes' CPU seconds (user + system, parent and pool) and CPU per
notice; the speed-up `--workers` ÷ 1 from the summed legs (goal ≥ 1.8; the machine has 2
cores shared with other work, so the CPU columns say whether the cores were there).

Then one worker with one pool process renders `--rss-notices` notices while the pool
process's RSS is sampled every 100 rendered notices (goal: flat within 10 % after the first
100). Ends with
    workers: speedup=X.XX cpu_per_notice_1=A ms cpu_per_notice_N=B ms rss_growth=G %
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.decisions import children, cpu_seconds  # noqa: E402


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Worker:
    """A Celery worker in its own session, stopped with its pool."""

    def __init__(self, concurrency: int, env: dict[str, str], log: Path) -> None:
        self.concurrency = concurrency
        self.log = log
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv/bin/celery"), "-A", "config", "worker", "--pool", "prefork",
             "--concurrency", str(concurrency), "-n", f"bench{concurrency}@%h",
             "--without-heartbeat", "--without-mingle", "--without-gossip",
             "--loglevel", "WARNING"],
            cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def pids(self) -> list[int]:
        return [self.proc.pid, *children(self.proc.pid)]

    def pool(self) -> list[int]:
        return children(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def _issue(n: int, unit, account) -> list[int]:
    from bench.notices import CONTEXT
    from notices import services

    return [services.issue(kind="closure_announcement", account=account, issuing_unit=unit,
                           actor=None, context=CONTEXT).pk for _ in range(n)]


def _wait(ids: list[int], worker: Worker, timeout: float, on_progress=None) -> None:
    from notices.models import Notice, NoticeStatus

    deadline = time.monotonic() + timeout
    last = -1
    while True:
        done = Notice.objects.filter(pk__in=ids).exclude(status=NoticeStatus.PENDING).count()
        if on_progress and done != last:
            on_progress(done)
            last = done
        if done >= len(ids):
            failed = Notice.objects.filter(pk__in=ids, status=NoticeStatus.FAILED).first()
            if failed is not None:
                raise SystemExit(f"render failed: {failed.failure_reason}")
            return
        if worker.proc.poll() is not None:
            raise SystemExit(f"worker exited: {worker.log.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            raise SystemExit(f"{done}/{len(ids)} rendered after {timeout:.0f} s")
        time.sleep(0.2)


def leg(concurrency: int, n: int, env, tmp: Path, unit, account) -> dict[str, float]:
    worker = Worker(concurrency, env, tmp / f"worker{concurrency}.log")
    try:
        # Warm up: one job per pool process (imports, fonts, the first connection).
        _wait(_issue(concurrency * 2, unit, account), worker, 300)
        pids = worker.pids()
        cpu0, t0 = cpu_seconds(pids), time.perf_counter()
        _wait(_issue(n, unit, account), worker, 60 + n * 10)
        seconds = time.perf_counter() - t0
        cpu = cpu_seconds(pids) - cpu0
    finally:
        worker.stop()
    return {"seconds": seconds, "cpu": cpu, "n": n}


def rss_leg(n: int, env, tmp: Path, unit, account) -> list[tuple[int, float]]:
    worker = Worker(1, env, tmp / "worker-rss.log")
    samples: list[tuple[int, float]] = []

    def sample(done: int) -> None:
        if done and (done // 100) > len(samples) - 1 or done == n:
            pool = worker.pool()
            if pool:
                samples.append((done, _rss_mib(pool[0])))

    try:
        _wait(_issue(2, unit, account), worker, 300)
        samples.append((0, _rss_mib(worker.pool()[0])))
        _wait(_issue(n, unit, account), worker, 60 + n * 10, on_progress=sample)
    finally:
        worker.stop()
    return samples


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--notices", type=int, default=60, help="notices per leg")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rss-notices", type=int, default=1000)
    args, _rest = parser.parse_known_args(argv)

    from bench.decisions import start_services, stop_services
    from bench.pages import create_database

    tmp = Path(tempfile.mkdtemp(prefix="govmedia-bench-workers-"))
    try:
        services = start_services()
        url = create_database(services["DATABASE_URL"], "workers")
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.local",
                   DATABASE_URL=url, CELERY_BROKER_URL=services["CELERY_BROKER_URL"],
                   CELERY_TASK_ALWAYS_EAGER="false", MEDIA_ROOT=str(tmp / "media"),
                   GOVMEDIA_VAR_DIR=str(tmp), SECRET_KEY="bench-only", LOG_LEVEL="WARNING",
                   CELERY_BEAT_RUN_DUE="false", DEBUG="false")
        os.environ.update(env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from bench.notices import world

        unit, account = world()
        legs: dict[int, list[dict[str, float]]] = {1: [], args.workers: []}
        print(f"{'leg':>4} {'pool':>4} {'notices':>7} {'s':>7} {'notices/s':>9} "
              f"{'CPU s':>7} {'CPU ms/notice':>13}", flush=True)
        for r in range(args.rounds):
            for c in (1, args.workers):
                m = leg(c, args.notices, env, tmp, unit, account)
                legs[c].append(m)
                print(f"{r + 1:>4} {c:>4} {m['n']:>7} {m['seconds']:7.1f} "
                      f"{m['n'] / m['seconds']:9.2f} {m['cpu']:7.1f} "
                      f"{m['cpu'] / m['n'] * 1000:13.0f}", flush=True)

        def total(c: int, key: str) -> float:
            return sum(m[key] for m in legs[c])

        rate1 = total(1, "n") / total(1, "seconds")
        rate_n = total(args.workers, "n") / total(args.workers, "seconds")
        speedup = rate_n / rate1
        cpu1 = total(1, "cpu") / total(1, "n") * 1000
        cpu_n = total(args.workers, "cpu") / total(args.workers, "n") * 1000
        load = os.getloadavg()
        print(f"1 pool process: {rate1:.2f} notices/s; {args.workers}: {rate_n:.2f} notices/s; "
              f"speed-up {speedup:.2f} (goal >= 1.8); CPU per notice {cpu1:.0f} vs "
              f"{cpu_n:.0f} ms; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
              f"on {os.cpu_count()} cores", flush=True)
        samples = rss_leg(args.rss_notices, env, tmp, unit, account)
        print("render worker RSS MiB (notices rendered: RSS): "
              + ", ".join(f"{n}: {rss:.0f}" for n, rss in samples))
        base = next((rss for n, rss in samples if n >= 100), samples[0][1])
        growth = (samples[-1][1] - base) / base * 100
        print(f"RSS after 100: {base:.0f} MiB, after {samples[-1][0]}: {samples[-1][1]:.0f} MiB "
              f"({growth:+.1f} %, goal within 10 %)")
        print(f"workers: speedup={speedup:.2f} cpu_per_notice_1={cpu1:.0f} ms "
              f"cpu_per_notice_{args.workers}={cpu_n:.0f} ms rss_growth={growth:.1f} %")
    finally:
        stop_services()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
