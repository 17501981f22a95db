"""Fixtures for tests that need the real services (PostgreSQL, Redis, Celery workers).

Run them with `make test-services`; `make test` deselects them (`-m "not services"`).
Every test collected under tests/infra/ is marked `services` automatically.
Such tests use committed data — `@pytest.mark.django_db(transaction=True)` —
because a worker or a second connection only sees what is committed. The table
flush after such a test also removes migration-installed rows (default approval
policies, rule set): create what the test needs in the test. Do not use
`serialized_rollback=True`: after another transactional test's flush the content
types are recreated with new ids and reloading the serialized rows fails.

What the services leg provides (scripts/services.sh start --tests):
- PostgreSQL: pytest-django's test database `test_govmedia` on a private cluster;
- Redis on a free loopback port, the broker (`CELERY_BROKER_URL`);
- one shared Celery worker `services@<host>` (concurrency 2) on the test database,
  consuming the default queue `celery`; Celery beat sending `config.celery.beat_heartbeat`
  every 5 s (run_due is not scheduled in this leg: tests call it themselves).

Fixtures and helpers
--------------------
``services``            session fixture; fails loudly when the services are not running.
``redis_client``        a redis.Redis on the broker (decoded strings).
``wait_for(pred, timeout=30, interval=0.2, message="")``
                        poll until ``pred()`` is truthy, return its value, or fail the test.
``run_in_threads(fn, n=2)``
                        call ``fn(barrier)`` in n threads started together; returns a list of
                        (result, exception) per thread; each thread closes its DB connections.
``celery_worker_proc``  factory of real worker subprocesses (``WorkerProc``)::

    def test_it_redelivers(celery_worker_proc, wait_for):
        worker = celery_worker_proc(name="w1", concurrency=1)   # started and answering
        notice_render.delay(notice.pk)                          # goes to w1 only
        wait_for(lambda: worker.busy_children(), message="job running")
        worker.kill_children()                                  # SIGKILL the pool process
        # acks_late + reject_on_worker_lost: the job goes back to the queue
        wait_for(lambda: rendered(notice), timeout=60)

  While any such worker runs, the shared worker stops consuming the default
  queue (``cancel_consumer``), so every job goes to the test's own workers; it
  resumes at teardown, when the fixture also stops every worker it started.

``WorkerProc`` methods: ``start()``, ``stop(timeout=20)`` (warm shutdown), ``kill(sig=SIGKILL)``
(the whole worker: main process and pool), ``kill_children(sig=SIGKILL)`` (only the pool
processes, as an OOM kill would: the main process re-queues their jobs at once thanks to
``reject_on_worker_lost``), ``restart()``, ``children()``, ``busy_children()`` (pool processes
currently running a job), ``alive``, ``hostname``, ``log_path`` and ``log()``. A job whose
whole worker was SIGKILLed stays unacknowledged in Redis until the broker's visibility
timeout (CELERY_VISIBILITY_TIMEOUT, 30 s in this leg) and is then handed to another worker:
pass ``restart()`` or a second worker and a ``wait_for`` timeout above that.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
DEFAULT_QUEUE = "celery"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.fspath)).resolve().parents and not item.get_closest_marker("services"):
            item.add_marker(pytest.mark.services)


@pytest.fixture(scope="session")
def services():
    """The services leg is running: real broker, PostgreSQL, shared worker."""
    from django.db import connection

    if os.environ.get("GOVMEDIA_SERVICES_TESTS") != "1":
        pytest.fail(
            "tests marked `services` need PostgreSQL, Redis and a Celery worker: "
            "run them with `make test-services`",
            pytrace=False,
        )
    if connection.vendor != "postgresql":
        pytest.fail(f"services tests need PostgreSQL, not {connection.vendor}", pytrace=False)
    return {
        "broker": os.environ["CELERY_BROKER_URL"],
        "shared_worker": os.environ["GOVMEDIA_SHARED_WORKER"],
    }


@pytest.fixture
def redis_client(services):
    import redis

    client = redis.Redis.from_url(services["broker"], decode_responses=True)
    yield client
    client.close()


def _wait_for(predicate: Callable[[], object], timeout: float = 30, interval: float = 0.2, message: str = ""):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {message or predicate!r}")
        time.sleep(interval)


@pytest.fixture
def wait_for():
    return _wait_for


def _run_in_threads(fn: Callable[[threading.Barrier], object], n: int = 2):
    from django.db import connections

    barrier = threading.Barrier(n, timeout=30)
    results: list[tuple[object, BaseException | None]] = [(None, None)] * n

    def body(i: int) -> None:
        try:
            results[i] = (fn(barrier), None)
        except BaseException as exc:  # handed back to the test
            results[i] = (None, exc)
        finally:
            # An open connection would keep pytest-django from dropping the test database.
            connections.close_all()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread did not finish within 60 s"
    return results


@pytest.fixture
def run_in_threads():
    return _run_in_threads


def worker_database_url() -> str:
    """A DATABASE_URL for the database this test session uses (pytest-django's test database)."""
    from django.db import connection

    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry.name))
    return sorted(found)


class WorkerProc:
    """A real `celery worker` subprocess on the services leg's broker and test database."""

    def __init__(self, name: str, concurrency: int = 1, queues: str = DEFAULT_QUEUE, env=None):
        self.hostname = f"{name}@{socket.gethostname()}"
        self.concurrency = concurrency
        self.queues = queues
        self.extra_env = dict(env or {})
        self.log_path = ROOT / "var" / "services" / f"worker-{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> WorkerProc:
        from config.celery import app

        env = dict(os.environ)
        env.update(
            DATABASE_URL=worker_database_url(),
            DJANGO_SETTINGS_MODULE="config.settings.test",
            CELERY_TASK_ALWAYS_EAGER="false",
        )
        env.update(self.extra_env)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [CELERY, "-A", "config", "worker", "-n", self.hostname,
                 "--concurrency", str(self.concurrency), "--queues", self.queues,
                 "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip

        def answers():
            if self.proc.poll() is not None:
                pytest.fail(f"worker {self.hostname} exited at start:\n{self.log()[-3000:]}")
            return app.control.ping(destination=[self.hostname], timeout=0.5)

        _wait_for(answers, timeout=timeout, message=f"worker {self.hostname} to answer")
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None, "worker not started"
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def children(self) -> list[int]:
        return _children(self.pid) if self.alive else []

    def busy_children(self) -> list[int]:
        """Pool processes currently running a job (per `inspect active`)."""
        from config.celery import app

        replies = app.control.inspect(destination=[self.hostname], timeout=1).active() or {}
        return sorted({job["worker_pid"] for job in replies.get(self.hostname, [])})

    def kill_children(self, sig: int = signal.SIGKILL) -> list[int]:
        pids = self.busy_children() or self.children()
        for pid in pids:
            os.kill(pid, sig)
        return pids

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.alive:
            os.killpg(self.pid, sig)
            self.proc.wait(timeout=30)

    def stop(self, timeout: float = 20) -> None:
        if not self.alive:
            return
        os.killpg(self.pid, signal.SIGTERM)  # warm shutdown: finish running jobs
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def restart(self) -> WorkerProc:
        self.stop()
        return self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _set_shared_consuming(hostname: str, consuming: bool) -> None:
    from config.celery import app

    if consuming:
        app.control.add_consumer(DEFAULT_QUEUE, destination=[hostname], reply=True, timeout=5)
    else:
        app.control.cancel_consumer(DEFAULT_QUEUE, destination=[hostname], reply=True, timeout=5)


@pytest.fixture
def celery_worker_proc(services, transactional_db):
    """Factory: ``celery_worker_proc(name="w1", concurrency=1, queues="celery", env=None)``.

    Starts a real worker on the test database and waits until it answers a ping.
    The shared worker is paused on the default queue while the test runs; every
    worker started here is stopped (SIGKILL if a warm shutdown takes > 20 s) at teardown.
    """
    started: list[WorkerProc] = []
    paused = False

    def start(name: str = "w1", concurrency: int = 1, queues: str = DEFAULT_QUEUE, env=None):
        nonlocal paused
        if not paused and DEFAULT_QUEUE in queues.split(","):
            _set_shared_consuming(services["shared_worker"], False)
            paused = True
        worker = WorkerProc(name, concurrency=concurrency, queues=queues, env=env)
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()
    if paused:
        _set_shared_consuming(services["shared_worker"], True)
