"""CLI contract: bad options and bad files exit 1 with a clear message, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args,needle", [
    (["export_accounts", "--format", "pdf", "--out", "x.pdf"], "invalid choice"),
    (["review", "--as-of", "2026-11-26", "--bogus"], "unrecognized arguments"),
    (["review", "--as-of", "2026-13-01"], "YYYY-MM-DD"),
])
def test_it_exits_1_on_bad_options(tmp_path, args, needle):
    migrate = _manage("migrate", "-v0", tmp_path=tmp_path)
    assert migrate.returncode == 0, migrate.stderr
    result = _manage(*args, tmp_path=tmp_path)
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert needle in result.stderr and "Traceback" not in result.stderr


def test_it_names_missing_columns_of_a_metrics_file(tmp_path):
    assert _manage("migrate", "-v0", tmp_path=tmp_path).returncode == 0
    units = tmp_path / "units.csv"
    units.write_text("code,name\nJS,江苏\n", encoding="utf-8")
    result = _manage("import_metrics", str(units), tmp_path=tmp_path)
    assert result.returncode == 1
    assert "缺少列" in result.stderr and "platform_id" in result.stderr
