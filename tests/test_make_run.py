"""`make run`: PORT picks the port, and the background run_due loop ends with the server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _group(pid: int) -> list[str]:
    out = subprocess.run(["ps", "-o", "pid=,args=", "-g", str(pid)], capture_output=True, text=True)
    # A <defunct> entry has ended (a container's init may be slow to reap it).
    return [line for line in out.stdout.splitlines() if line.strip() and "<defunct>" not in line]


def test_make_run_passes_the_port_on():
    out = subprocess.run(["make", "-n", "run", "PORT=8001"], cwd=ROOT, capture_output=True, text=True)
    assert "scripts/run.sh 127.0.0.1 8001" in out.stdout
    assert "http://127.0.0.1:8001" in out.stdout  # the links in e-mail and notices follow


def test_the_run_due_loop_stops_with_the_server(tmp_path):
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
               DJANGO_SETTINGS_MODULE="config.settings.local", GOVMEDIA_VAR_DIR=str(tmp_path))
    (ROOT / "var").mkdir(exist_ok=True)
    proc = subprocess.Popen(
        ["scripts/run.sh", "127.0.0.1", str(port)], cwd=ROOT, env=env, start_new_session=True,
        # A terminal's Ctrl-C: SIGINT to the whole foreground group, which does not ignore it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        served = False
        while time.monotonic() < deadline and not served:
            time.sleep(0.5)
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
                served = True
            except urllib.error.HTTPError:
                served = True  # any answer: the server is up on that port
            except OSError:
                pass
        assert served, "the server did not answer on the chosen port"
        assert any("sleep 60" in line for line in _group(proc.pid)), _group(proc.pid)

        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
        time.sleep(1)
        assert _group(proc.pid) == []  # no run_due loop, no sleep, no server left
    finally:
        if _group(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
