"""Benchmark: decisions per second through govmedia beside bare viewflow (not a test).

    .venv/bin/python bench/decisions.py [--decisions 400] [--threads 8] [--workers 2]
                                        [--rounds 2] [--sqlite]

Starts what it needs and stops it again: the services leg's PostgreSQL and Redis
(scripts/services.sh start --stores, in var/bench-services/ so a parallel `make
test-services` keeps its own), then gunicorn (sync workers, CONN_MAX_AGE 60, settings
bench.settings: the project plus bare viewflow's flow). `--sqlite` runs against a throwaway
SQLite file instead (no Redis: jobs run in-process, so the final step also renders).

The world is built through the project's own services (units, users, opening applications:
a city department's chain is [unit head, city government office]), so every task decided
here is a real one:
  bare         bare viewflow's approval flow (bench.bareflow): GET viewflow's task form + POST
  api-mid      POST /api/tasks/<id>/decide/ at an intermediate step (the unit head's step;
               the flow moves on to the next step)
  api-final    the same at the final step (批复 issued, its rendering queued)
  web-mid      GET the workbench task page + POST the decision, intermediate step
  web-final    the same at the final step
The legs alternate (`--rounds` times each) and run with `--threads` client threads on
loopback. For each: decisions/s, p50/p95 latency, server CPU per decision (gunicorn
processes; PostgreSQL's backends separately), SQL statements per decision (counted
in-process through Django's test client on extra tasks of the same kind), worker RSS.
Ends with one line:
    decisions: api/bare=X.XX web/bare=Y.YY sql_per_decision=N
(ratios of the intermediate step's decisions/s; SQL of the API's intermediate decision).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# GOVMEDIA_BENCH_SERVICES_DIR lets two benchmarks run side by side, each with its own cluster.
SERVICES_DIR = Path(os.environ.get("GOVMEDIA_BENCH_SERVICES_DIR") or ROOT / "var" / "bench-services")
PASSWORD = "bench-pass-12345"
PLATFORMS = 12  # one live account per (unit, platform): departments = processes / 12
SQL_SAMPLES = 5
LEGS = ("bare", "api-mid", "api-final", "web-mid", "web-final")
CLK = os.sysconf("SC_CLK_TCK")


# -- services --------------------------------------------------------------------------


def start_services() -> dict[str, str]:
    env = dict(os.environ, GOVMEDIA_SERVICES_DIR=str(SERVICES_DIR))
    subprocess.run([str(ROOT / "scripts/services.sh"), "start", "--stores"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    values = {}
    for line in (SERVICES_DIR / "env").read_text().splitlines():
        m = re.match(r"export (\w+)=(.*)", line)
        if m:
            values[m.group(1)] = m.group(2)
    return values


def stop_services() -> None:
    env = dict(os.environ, GOVMEDIA_SERVICES_DIR=str(SERVICES_DIR))
    subprocess.run([str(ROOT / "scripts/services.sh"), "stop"], env=env, check=False,
                   stdout=subprocess.DEVNULL)


def postgres_pids() -> list[int]:
    pg_dir = SERVICES_DIR / "pg.dir"
    if not pg_dir.exists():
        return []
    pid_file = Path(pg_dir.read_text().strip()) / "data" / "postmaster.pid"
    try:
        master = int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return []
    return [master, *children(master)]


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / CLK


def rss_mib(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, value = line.split(":")
            values[key] = int(value.split()[0]) / 1024
    return values.get("VmRSS", 0.0), values.get("VmHWM", 0.0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the world ---------------------------------------------------------------------------


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import warnings

    warnings.filterwarnings("ignore")
    import django

    django.setup()


def build_world(args) -> dict:
    """Units, users and open tasks through the project's services; returns the task ids of
    each leg (the first SQL_SAMPLES of each are kept for the in-process SQL count)."""
    from django.contrib.auth.models import Permission
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from approvals import services as approvals
    from approvals.flows import OpeningFlow
    from bench.bareflow.flows import APPROVER, BareApprovalFlow
    from lifecycle import services
    from lifecycle.models import Platform, Role, UnitKind, UnitLevel

    call_command("migrate", verbosity=0)
    threads = args.threads
    per_leg = args.decisions + SQL_SAMPLES
    processes = 2 * per_leg  # the mid legs (api, web) and the final legs
    departments = -(-2 * processes // PLATFORMS)
    province = services.unit_upsert(code="P", name="省政府办公厅", short_name="省府办",
                                    level=UnitLevel.PROVINCE, kind=UnitKind.GOVERNMENT_OFFICE,
                                    parent=None)
    city = services.unit_upsert(code="C", name="市政府办公室", short_name="市府办",
                                level=UnitLevel.CITY, kind=UnitKind.GOVERNMENT_OFFICE,
                                parent=province)
    depts = [
        services.unit_upsert(code=f"D{i:04d}", name=f"市部门{i}", short_name=f"部{i}",
                             level=UnitLevel.CITY, kind=UnitKind.DEPARTMENT, parent=city)
        for i in range(departments)
    ]
    clerk = services.user_upsert(username="clerk", full_name="填报员", password=PASSWORD,
                                 memberships=[(d, Role.APPLICANT) for d in depts])
    heads = [
        services.user_upsert(username=f"head{t}", full_name=f"负责人{t}", password=PASSWORD,
                             memberships=[(d, Role.UNIT_HEAD) for d in depts[t::threads]])
        for t in range(threads)
    ]
    approvers = [
        services.user_upsert(username=f"approver{t}", full_name=f"市审核人{t}", password=PASSWORD,
                             memberships=[(city, Role.APPROVER)])
        for t in range(threads)
    ]
    bare = services.user_upsert(username=APPROVER, full_name="bare", password=PASSWORD)
    bare.user_permissions.add(*Permission.objects.filter(content_type__app_label="bareflow"))
    tokens = {u.pk: Token.objects.get_or_create(user=u)[0].key for u in heads + approvers}

    platforms = list(Platform.values)
    slots = [(d, platforms[p]) for p in range(PLATFORMS) for d in depts]

    def open_task(process_id: int) -> Task:
        return Task.objects.get(process_id=process_id, status=STATUS.NEW,
                                flow_task=OpeningFlow.sign_off)

    t0 = time.perf_counter()
    mid, final = [], []
    for n in range(2 * processes):
        dept, platform = slots[n]
        process = approvals.opening_apply(actor=clerk, unit=dept, platform=platform,
                                          name=f"{dept.name}{platform}", purpose="政务信息发布")
        task = open_task(process.pk)
        if n % 2 == 0:
            head = heads[depts.index(dept) % threads]
            approvals.task_decide(task=task, actor=head, decision="approve", comment="同意")
            final.append(open_task(process.pk).pk)
        else:
            mid.append(task.pk)
        if n and n % 200 == 0:
            print(f"  setup: {n}/{2 * processes} applications ({time.perf_counter() - t0:.0f} s)",
                  flush=True)
    head_of = {}
    for pk, dept_code in Task.objects.filter(pk__in=mid).values_list(
            "pk", "process__accountprocess__unit__code"):
        head_of[pk] = heads[int(dept_code[1:]) % threads]
    bare_tasks = []
    for i in range(per_leg * 2):
        process = BareApprovalFlow.start.run(text=f"请批准 {i}")
        bare_tasks.append(Task.objects.get(process_id=process.pk, status__in=[STATUS.ASSIGNED,
                                                                             STATUS.NEW]).pk)

    def split(ids):
        return ids[:SQL_SAMPLES], ids[SQL_SAMPLES:]

    legs = {}
    mid_api, mid_web = mid[0::2], mid[1::2]
    final_api, final_web = final[0::2], final[1::2]
    for name, ids, users in (
        ("api-mid", mid_api, None), ("web-mid", mid_web, None),
        ("api-final", final_api, approvers), ("web-final", final_web, approvers),
        ("bare", bare_tasks[:per_leg], None),
    ):
        sample, rest = split(ids)
        if name.endswith("mid"):
            owner = [head_of[pk] for pk in ids]
        elif users is not None:
            owner = [users[i % threads] for i in range(len(ids))]
        else:
            owner = [bare] * len(ids)
        legs[name] = {
            "sample": list(zip(sample, owner[:SQL_SAMPLES], strict=True)),
            "items": list(zip(rest, owner[SQL_SAMPLES:], strict=True)),
        }
    print(f"  setup: {2 * processes} applications, {len(bare_tasks)} bare processes in "
          f"{time.perf_counter() - t0:.0f} s", flush=True)
    return {"legs": legs, "tokens": tokens}


def urls(task_id: int) -> dict[str, str]:
    from django.urls import get_resolver
    from viewflow.workflow.models import Task

    from approvals.nodes import task_url

    get_resolver().url_patterns  # noqa: B018  (sets the flows' viewset parents)

    task = Task.objects.get(pk=task_id)
    if task.flow_task.flow_class.__name__ == "BareApprovalFlow":
        return {"page": task.flow_task.reverse("execute", args=[task.process_id, task.pk])}
    return {"page": task_url(task), "api": f"/api/tasks/{task_id}/decide/"}


# -- one decision per leg ----------------------------------------------------------------

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def decide_http(session, base: str, leg: str, url: dict[str, str], token: str | None) -> None:
    if leg.startswith("api"):
        r = session.post(base + url["api"], json={"decision": "approve", "comment": "同意"},
                         headers={"Authorization": f"Token {token}"})
        assert r.status_code == 200, (leg, r.status_code, r.text[:300])
        return
    r = session.get(base + url["page"])
    assert r.status_code == 200, (leg, r.status_code, r.text[:300])
    csrf = CSRF.search(r.text).group(1)
    if leg == "bare":
        form = {"csrfmiddlewaretoken": csrf, "approved": "on", "comment": "同意"}
    else:
        form = {"csrfmiddlewaretoken": csrf, "d-decision": "approve", "d-comment": "同意"}
    r = session.post(base + url["page"], data=form, allow_redirects=False,
                     headers={"Referer": base + url["page"]})
    assert r.status_code == 302, (leg, r.status_code, r.text[:500])


def login(session, base: str, username: str) -> None:
    r = session.get(base + "/accounts/login/")
    csrf = CSRF.search(r.text).group(1)
    r = session.post(base + "/accounts/login/", allow_redirects=False,
                     data={"csrfmiddlewaretoken": csrf, "username": username, "password": PASSWORD},
                     headers={"Referer": base + "/accounts/login/"})
    assert r.status_code == 302, ("login", username, r.status_code)


def run_leg(leg: str, items, url_of, tokens, base: str, threads: int, server_pids, db_pids):
    """Decide `items` (task id, user) with `threads` client threads; returns the figures."""
    import requests

    sessions: dict[int, requests.Session] = {}
    lock = threading.Lock()

    def session_for(user) -> requests.Session:
        key = (threading.get_ident(), user.pk)
        with lock:
            s = sessions.get(key)
        if s is None:
            s = requests.Session()
            if not leg.startswith("api"):
                login(s, base, user.username)
            with lock:
                sessions[key] = s
        return s

    # Log in first (outside the timed part): one session per (thread, user).
    by_thread = [items[t::threads] for t in range(threads)]

    def warm(chunk):
        for _pk, user in chunk:
            session_for(user)

    # Sessions are keyed by the thread; warm and run in the same threads.
    barrier = threading.Barrier(threads + 1)
    latencies: list[float] = []
    errors: list[BaseException] = []

    def worker(chunk):
        try:
            warm(chunk)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        barrier.wait()
        barrier.wait()  # start
        for pk, user in chunk:
            t0 = time.perf_counter()
            try:
                decide_http(session_for(user), base, leg, url_of[pk], tokens.get(user.pk))
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
                return
            with lock:
                latencies.append(time.perf_counter() - t0)

    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(worker, chunk) for chunk in by_thread]
        barrier.wait()  # all logged in
        cpu0, db0 = cpu_seconds(server_pids()), cpu_seconds(db_pids())
        t0 = time.perf_counter()
        barrier.wait()
        for f in futures:
            f.result()
        wall = time.perf_counter() - t0
        cpu1, db1 = cpu_seconds(server_pids()), cpu_seconds(db_pids())
    if errors:
        raise errors[0]
    n = len(latencies)
    return {"n": n, "wall": wall, "cpu": cpu1 - cpu0, "db_cpu": db1 - db0,
            "latencies": latencies}


def count_sql(leg: str, sample, url_of, tokens) -> list[int]:
    """SQL statements of one decision, in-process through Django's test client."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    counts = []
    for pk, user in sample:
        client = Client()
        url = url_of[pk]
        if leg.startswith("api"):
            with CaptureQueriesContext(connection) as ctx:
                r = client.post(url["api"], {"decision": "approve", "comment": "同意"},
                                content_type="application/json",
                                HTTP_AUTHORIZATION=f"Token {tokens[user.pk]}")
            assert r.status_code == 200, (leg, r.status_code)
        else:
            client.force_login(user)
            with CaptureQueriesContext(connection) as ctx:
                r = client.get(url["page"])
                assert r.status_code == 200, (leg, r.status_code)
                form = ({"approved": "on", "comment": "同意"} if leg == "bare"
                        else {"d-decision": "approve", "d-comment": "同意"})
                r = client.post(url["page"], form)
            assert r.status_code == 302, (leg, r.status_code)
        counts.append(len(ctx.captured_queries))
    return counts


# -- main --------------------------------------------------------------------------------


def start_gunicorn(env: dict[str, str], workers: int, port: int) -> subprocess.Popen:
    log = open(ROOT / "var" / "bench-gunicorn.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "-w", str(workers), "-b",
         f"127.0.0.1:{port}", "--worker-class", "sync", "--timeout", "120"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    import requests

    for _ in range(200):
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=30).status_code < 500:
                break
        except requests.RequestException:
            time.sleep(0.2)
    else:
        os.killpg(proc.pid, signal.SIGTERM)  # not left behind when it never answered
        proc.wait(30)
        raise SystemExit("gunicorn did not start: see var/bench-gunicorn.log")
    return proc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=400, help="decisions per leg")
    parser.add_argument("--threads", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of the legs")
    parser.add_argument("--sqlite", action="store_true", help="a throwaway SQLite file, no services")
    args = parser.parse_args()
    (ROOT / "var").mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="govmedia-bench-decisions-"))
    env = {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "SECRET_KEY": "bench-only",
        "LOG_LEVEL": "WARNING",
        "GOVMEDIA_VAR_DIR": str(tmp),
        "MEDIA_ROOT": str(tmp / "media"),
        "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
    }
    gunicorn = None
    try:
        if args.sqlite:
            env["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
            env["CELERY_TASK_ALWAYS_EAGER"] = "true"
        else:
            services = start_services()
            env["DATABASE_URL"] = services["DATABASE_URL"]
            env["CELERY_BROKER_URL"] = services["CELERY_BROKER_URL"]
            env["CELERY_TASK_ALWAYS_EAGER"] = "false"
        setup_django(env)
        world = build_world(args)
        legs, tokens = world["legs"], world["tokens"]
        url_of = {pk: urls(pk) for leg in legs.values() for pk, _u in leg["sample"] + leg["items"]}
        port = free_port()
        gunicorn = start_gunicorn(dict(os.environ, **env), args.workers, port)
        base = f"http://127.0.0.1:{port}"

        def server_pids():
            return [gunicorn.pid, *children(gunicorn.pid)]

        db_pids = postgres_pids if not args.sqlite else list
        results: dict[str, dict] = {leg: {"n": 0, "wall": 0.0, "cpu": 0.0, "db_cpu": 0.0,
                                          "latencies": []} for leg in LEGS}
        # Warm every worker (imports, URL resolver, templates) outside the timed part.
        for leg in LEGS:
            warm = legs[leg]["items"][: args.workers * 2]
            run_leg(leg, warm, url_of, tokens, base, min(args.threads, len(warm)), server_pids, db_pids)
            legs[leg]["items"] = legs[leg]["items"][len(warm):]
        for r in range(args.rounds):
            for leg in LEGS:
                items = legs[leg]["items"][r::args.rounds]
                got = run_leg(leg, items, url_of, tokens, base, args.threads, server_pids, db_pids)
                for key in ("n", "wall", "cpu", "db_cpu"):
                    results[leg][key] += got[key]
                results[leg]["latencies"] += got["latencies"]
        rss = [rss_mib(pid) for pid in children(gunicorn.pid)]
        sql = {leg: count_sql(leg, legs[leg]["sample"], url_of, tokens) for leg in LEGS}
    finally:
        if gunicorn is not None:
            os.killpg(gunicorn.pid, signal.SIGTERM)
            gunicorn.wait(30)
        if not args.sqlite:
            stop_services()
        shutil.rmtree(tmp, ignore_errors=True)

    bare_rate = results["bare"]["n"] / results["bare"]["wall"]
    db = "SQLite" if args.sqlite else "PostgreSQL"
    print(f"\n{db}, gunicorn {args.workers} sync workers, {args.threads} client threads, "
          f"{args.rounds} alternating rounds, {os.cpu_count()} CPUs")
    print(f"{'leg':10} {'decisions':>9} {'dec/s':>7} {'÷bare':>6} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'app CPU ms':>10} {'db CPU ms':>9} {'SQL':>5}")
    rates = {}

    def db_ms(res) -> str:
        # PostgreSQL backends that ended during a leg take their CPU with them: n/a then.
        value = res["db_cpu"] / res["n"] * 1000
        return f"{value:9.1f}" if value >= 0 and not args.sqlite else f"{'n/a':>9}"

    for leg in LEGS:
        res = results[leg]
        lat = sorted(res["latencies"])
        rate = res["n"] / res["wall"]
        rates[leg] = rate
        p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))]
        print(f"{leg:10} {res['n']:9} {rate:7.1f} {rate / bare_rate:6.2f} "
              f"{statistics.median(lat) * 1000:7.0f} {p95 * 1000:7.0f} "
              f"{res['cpu'] / res['n'] * 1000:10.1f} {db_ms(res)} "
              f"{statistics.median(sql[leg]):5.0f}")
    print("gunicorn worker RSS MiB (now/peak): "
          + ", ".join(f"{now:.0f}/{peak:.0f}" for now, peak in rss))
    print(f"final/intermediate time per decision: api {rates['api-mid'] / rates['api-final']:.2f}×, "
          f"web {rates['web-mid'] / rates['web-final']:.2f}×")
    print(f"decisions: api/bare={rates['api-mid'] / bare_rate:.2f} "
          f"web/bare={rates['web-mid'] / bare_rate:.2f} "
          f"sql_per_decision={statistics.median(sql['api-mid']):.0f}")


if __name__ == "__main__":
    main()
