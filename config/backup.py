"""Backup and restore of one deployment (issue 12 item 10; docs/deploy.md "Backup").

A backup folder holds three things, and the manifest is written last (a folder without
``manifest.json`` is not a backup):

- the database: ``database.dump`` (PostgreSQL, ``pg_dump`` custom format) or
  ``database.sqlite3`` (SQLite, the online backup API);
- ``media/``: a copy of MEDIA_ROOT (notice PDFs, 公文处理单, plans, evidence, seals);
- ``manifest.json``: when and from which version it was made, the applied migration heads,
  the database vendor, every file with its SHA-256, every notice (id, number, status,
  SHA-256, SM3, files) and the head of the security log's hash chain.

The notices and the chain head are read from the same snapshot the dump is made of
(PostgreSQL: an exported snapshot shared with ``pg_dump``; SQLite: the copied file), so the
manifest describes exactly what the dump holds.

``restore`` checks every file of the folder against the manifest before it touches
anything, refuses a database that already has data unless forced, restores the database
and the files, then re-checks every notice's file hash and the security log's chain.

This module lives in the composition root (``config``, an installed app for its commands)
because a backup reads every layer's data."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from lifecycle import security
from lifecycle.models import Account, SecurityEvent, Unit
from notices.models import Notice

FORMAT = "govmedia-backup/1"
MANIFEST = "manifest.json"
MEDIA = "media"
DB_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
CHUNK = 1 << 20


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why (names the file)."""


# -- small helpers ----------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _copy_hashing(src: Path, dst: Path) -> tuple[str, int]:
    """Copy src to dst and return the SHA-256 and size of the bytes written."""
    digest = hashlib.sha256()
    size = 0
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while block := fin.read(CHUNK):
            digest.update(block)
            fout.write(block)
            size += len(block)
    shutil.copystat(src, dst)
    return digest.hexdigest(), size


def _app_version() -> dict[str, str]:
    try:
        version = metadata.version("govmedia")
    except metadata.PackageNotFoundError:
        version = ""
    commit = os.environ.get("GOVMEDIA_COMMIT", "")
    if not commit and (Path(settings.BASE_DIR) / ".git").exists():
        try:
            commit = subprocess.run(
                ["git", "-C", str(settings.BASE_DIR), "rev-parse", "HEAD"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
        except OSError:
            commit = ""
    return {"version": version, "commit": commit}


def _vendor() -> str:
    vendor = connection.vendor
    if vendor not in DB_FILES:
        raise BackupError(f"database vendor {vendor!r} is not supported (PostgreSQL or SQLite)")
    return vendor


def migration_heads(conn: Any = None) -> dict[str, list[str]]:
    """Per app, the applied migrations no applied migration of the same app depends on."""
    loader = MigrationLoader(conn or connection, ignore_no_migrations=True)
    applied = set(loader.applied_migrations or {})
    heads: dict[str, list[str]] = {}
    for key in sorted(applied):
        if key not in loader.graph.nodes:
            continue
        children = loader.graph.node_map[key].children
        if not any(child in applied and child[0] == key[0] for child in children):
            heads.setdefault(key[0], []).append(key[1])
    return heads


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _column(model: Any, name: str) -> str:
    return _q(str(getattr(model._meta.get_field(name), "column", name)))


_NOTICE_FIELDS = ("id", "number", "status", "sha256", "sm3", "pdf", "sheet_pdf", "sheet_sha256")


def read_facts(cursor: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every notice and the security log's chain head, through a DB-API cursor (a Django
    cursor or a sqlite3 cursor on a copied file): plain SQL on the models' tables."""
    columns = ", ".join(_column(Notice, name) for name in _NOTICE_FIELDS)
    cursor.execute(f"SELECT {columns} FROM {_q(Notice._meta.db_table)} ORDER BY {_q('id')}")
    notices = [dict(zip(_NOTICE_FIELDS, row, strict=True)) for row in cursor.fetchall()]
    for notice in notices:
        for name in _NOTICE_FIELDS[1:]:
            notice[name] = notice[name] or ""
    table = _q(SecurityEvent._meta.db_table)
    hash_col = _column(SecurityEvent, "hash")
    cursor.execute(f"SELECT COUNT(*) FROM {table}")
    rows = cursor.fetchone()[0]
    cursor.execute(f"SELECT {_q('id')}, {hash_col} FROM {table} ORDER BY {_q('id')} DESC LIMIT 1")
    last = cursor.fetchone()
    chain = {"rows": rows, "last_id": last[0] if last else None, "last_hash": last[1] if last else ""}
    return notices, chain


# -- PostgreSQL tools --------------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    folder = os.environ.get("GOVMEDIA_PG_BIN", "")
    path = str(Path(folder) / name) if folder else shutil.which(name)
    if not path or not Path(path).exists():
        raise BackupError(f"{name} not found (install the PostgreSQL client or set GOVMEDIA_PG_BIN)")
    return path


def _pg_args() -> tuple[list[str], dict[str, str]]:
    s = connection.settings_dict
    args = ["--dbname", str(s["NAME"])]
    if s.get("HOST"):
        args += ["--host", str(s["HOST"])]
    if s.get("PORT"):
        args += ["--port", str(s["PORT"])]
    if s.get("USER"):
        args += ["--username", str(s["USER"])]
    env = dict(os.environ)
    if s.get("PASSWORD"):
        env["PGPASSWORD"] = str(s["PASSWORD"])
    sslmode = (s.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return args, env


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{what} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")


# -- backup ------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    out: Path
    manifest_sha256: str
    files: int
    notices: int
    chain_rows: int
    warnings: list[str] = field(default_factory=list)


def _dump_postgresql(target: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """pg_dump from a snapshot this connection exports; the facts read in that snapshot."""
    args, env = _pg_args()
    connection.close()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            _run([_pg_tool("pg_dump"), "--format=custom", "--file", str(target),
                  "--snapshot", snapshot, *args], env, "pg_dump")  # fmt: skip
            return read_facts(cursor)


def _dump_sqlite(target: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The online backup API (a consistent copy while others write); facts from the copy."""
    source = sqlite3.connect(str(connection.settings_dict["NAME"]))
    copy = sqlite3.connect(str(target))
    try:
        source.backup(copy)
        return read_facts(copy.cursor())
    finally:
        copy.close()
        source.close()


def backup(out: Path, *, log: Callable[[str], None] = lambda line: None) -> BackupResult:
    """Write a backup into ``out`` (absent or empty; refused otherwise)."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BackupError(f"{out} is not an empty folder: refusing to write a backup there")
    vendor = _vendor()
    created_dir = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        return _backup_into(out, vendor, log)
    except BaseException:
        # Leave nothing that could pass for a backup (there is no manifest yet).
        if created_dir:
            shutil.rmtree(out, ignore_errors=True)
        else:
            for child in out.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        raise


def _backup_into(out: Path, vendor: str, log: Callable[[str], None]) -> BackupResult:
    created = datetime.datetime.now(datetime.UTC)
    db_name = DB_FILES[vendor]
    log(f"dumping the {vendor} database to {db_name}")
    dump = _dump_postgresql if vendor == "postgresql" else _dump_sqlite
    notices, chain = dump(out / db_name)
    files: dict[str, dict[str, Any]] = {
        db_name: {"sha256": sha256_file(out / db_name), "size": (out / db_name).stat().st_size}
    }
    media_root = Path(settings.MEDIA_ROOT)
    log(f"copying {media_root}")
    if media_root.is_dir():
        for src in sorted(media_root.rglob("*")):
            if src.is_symlink() or not src.is_file():
                continue
            rel = src.relative_to(media_root).as_posix()
            digest, size = _copy_hashing(src, out / MEDIA / rel)
            files[f"{MEDIA}/{rel}"] = {"sha256": digest, "size": size}
    warnings = []
    for notice in notices:
        for path_field, hash_field in (("pdf", "sha256"), ("sheet_pdf", "sheet_sha256")):
            path = notice[path_field]
            if not path:
                continue
            entry = files.get(f"{MEDIA}/{path}")
            if entry is None:
                warnings.append(f"notice {notice['number']}: file {path} is missing from MEDIA_ROOT")
            elif notice[hash_field] and entry["sha256"] != notice[hash_field]:
                warnings.append(f"notice {notice['number']}: file {path} does not match its recorded SHA-256")
    manifest = {
        "format": FORMAT,
        "created": created.isoformat(),
        "app": _app_version(),
        "database": {"vendor": vendor, "file": db_name},
        "migrations": migration_heads(),
        "files": files,
        "notices": notices,
        "security_log": chain,
        "warnings": warnings,
    }
    data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
    partial = out / (MANIFEST + ".partial")
    partial.write_bytes(data)
    os.replace(partial, out / MANIFEST)
    return BackupResult(out=out, manifest_sha256=hashlib.sha256(data).hexdigest(),
                        files=len(files), notices=len(notices), chain_rows=chain["rows"],
                        warnings=warnings)  # fmt: skip


# -- restore -----------------------------------------------------------------------------------


def load_manifest(folder: Path) -> dict[str, Any]:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{path}: no manifest — not a (complete) backup")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path}: not a readable manifest ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: unknown backup format (expected {FORMAT})")
    return manifest


def verify_folder(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """Every problem of the folder against its manifest: missing, changed, unlisted files."""
    folder = Path(folder)
    problems = []
    listed = manifest.get("files") or {}
    for rel, entry in sorted(listed.items()):
        path = folder / rel
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            problems.append(f"{rel}: not a path inside the backup")
        elif not path.is_file():
            problems.append(f"{rel}: missing from the backup")
        elif sha256_file(path) != entry.get("sha256"):
            problems.append(f"{rel}: changed since the backup was made (SHA-256 differs)")
    db_file = (manifest.get("database") or {}).get("file")
    if db_file not in listed:
        problems.append(f"{db_file or 'database'}: the database file is not listed in the manifest")
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file() and rel != MANIFEST and rel not in listed:
            problems.append(f"{rel}: not listed in the manifest")
    return problems


def database_has_data() -> bool:
    tables = set(connection.introspection.table_names())
    for model in (get_user_model(), Unit, Account, Notice, SecurityEvent):
        if model._meta.db_table in tables and model._default_manager.exists():
            return True
    return False


@dataclass
class RestoreResult:
    notices: int
    files: int
    chain_rows: int
    migrated: bool
    problems: list[str]


def _restore_sqlite(source: Path) -> None:
    target = str(connection.settings_dict["NAME"])
    connections.close_all()
    src = sqlite3.connect(str(source))
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # page by page into the live file: replaces its whole content
    finally:
        dst.close()
        src.close()


def _restore_postgresql(source: Path) -> None:
    args, env = _pg_args()
    connections.close_all()
    _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", *args, str(source)],
         env, "pg_restore")  # fmt: skip


def _restore_media(folder: Path, manifest: dict[str, Any]) -> int:
    media_root = Path(settings.MEDIA_ROOT)
    count = 0
    for rel in sorted(manifest["files"]):
        if not rel.startswith(MEDIA + "/"):
            continue
        dst = media_root / rel[len(MEDIA) + 1 :]
        dst.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=".restore-")
        os.close(fd)
        shutil.copy2(folder / rel, tmp)
        os.replace(tmp, dst)
        count += 1
    return count


def check_restored(manifest: dict[str, Any]) -> tuple[list[str], int]:
    """Every notice and file hash against the manifest, and the security log's chain."""
    problems = []
    with connection.cursor() as cursor:
        notices, chain = read_facts(cursor)
    by_id = {n["id"]: n for n in notices}
    media_root = Path(settings.MEDIA_ROOT)
    for expected in manifest.get("notices", []):
        got = by_id.pop(expected["id"], None)
        label = expected["number"] or f"#{expected['id']}"
        if got is None:
            problems.append(f"notice {label}: missing after restore")
            continue
        for name in ("number", "sha256", "sm3", "pdf", "sheet_pdf", "sheet_sha256"):
            if got[name] != expected[name]:
                problems.append(f"notice {label}: {name} differs from the manifest")
        for path_field, hash_field in (("pdf", "sha256"), ("sheet_pdf", "sheet_sha256")):
            if not expected[path_field] or not expected[hash_field]:
                continue
            path = media_root / expected[path_field]
            if not path.is_file():
                problems.append(f"notice {label}: file {expected[path_field]} missing")
            elif sha256_file(path) != expected[hash_field]:
                problems.append(f"notice {label}: file {expected[path_field]} does not match its SHA-256")
    for extra in by_id.values():
        problems.append(f"notice {extra['number']}: in the database but not in the manifest")
    problems += [f"security log {line}" for line in security.verify()]
    head = manifest.get("security_log") or {}
    if (chain["rows"], chain["last_hash"]) != (head.get("rows"), head.get("last_hash")):
        problems.append(
            f"security log: {chain['rows']} rows ending {chain['last_hash'] or '-'}, the manifest"
            f" says {head.get('rows')} rows ending {head.get('last_hash') or '-'}"
        )
    return problems, len(notices)


def restore(
    folder: Path, *, force: bool = False, log: Callable[[str], None] = lambda line: None
) -> RestoreResult:
    folder = Path(folder)
    manifest = load_manifest(folder)
    problems = verify_folder(folder, manifest)
    if problems:
        raise BackupError(
            "the backup does not match its manifest; nothing was restored:\n  " + "\n  ".join(problems)
        )
    vendor = _vendor()
    if manifest["database"]["vendor"] != vendor:
        raise BackupError(
            f"the backup holds a {manifest['database']['vendor']} database, this"
            f" deployment uses {vendor}; nothing was restored"
        )
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    unknown = [
        f"{app}.{name}"
        for app, names in sorted(manifest.get("migrations", {}).items())
        for name in names
        if (app, name) not in loader.graph.nodes
    ]
    if unknown:
        raise BackupError(
            "the backup comes from a newer version of govmedia (unknown"
            f" migrations: {', '.join(unknown)}); nothing was restored"
        )
    if database_has_data() and not force:
        raise BackupError(
            "the database already has data (users, units, accounts, notices or"
            " security events); restore replaces all of it — run again with"
            " --force to do so; nothing was restored"
        )
    log(f"restoring the {vendor} database from {manifest['database']['file']}")
    source = folder / manifest["database"]["file"]
    if vendor == "postgresql":
        _restore_postgresql(source)
    else:
        _restore_sqlite(source)
    connections.close_all()
    ContentType.objects.clear_cache()
    log(f"restoring files into {settings.MEDIA_ROOT}")
    files = _restore_media(folder, manifest)
    executor = MigrationExecutor(connection)
    migrated = bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    if migrated:
        from django.core.management import call_command

        log("applying this version's newer migrations")
        call_command("migrate", interactive=False, verbosity=0)
    problems, notices = check_restored(manifest)
    return RestoreResult(notices=notices, files=files,
                         chain_rows=(manifest.get("security_log") or {}).get("rows", 0),
                         migrated=migrated, problems=problems)  # fmt: skip
