"""Account tallies: per unit (itself and everything below it) how many accounts there are
by level of their own unit × platform × state (AccountTally), and how many opened or
closed on each day (AccountDayTally). The dashboard reads them for the reader's top
units instead of aggregating every account of the subtree (issue 15 item 4: ~47,000
accounts for a city at province scale, a few hundred tally rows whatever the size).

The tallies are derived data kept by the database itself, in the statement that changes
an account or moves a unit, so they are exact in every transaction whoever writes — the
lifecycle services (create, every transition incl. merge and close, import), bulk
inserts (bench/generate.py), the admin, a test's `.update()`:

- PostgreSQL: statement-level AFTER triggers with transition tables on lifecycle_account
  (INSERT, UPDATE, DELETE) and lifecycle_unit (UPDATE: a moved unit or a changed level
  moves its own accounts between ancestors; Unit.save updates every descendant's path,
  each statement moves that unit's accounts). One set-based upsert per statement, rows
  locked in key order (two transactions never wait on each other's rows crosswise).
- SQLite: row-level triggers doing the same upserts; the unit path's ancestors come from
  json_each (SQLite does not allow WITH inside a trigger).

Ancestors are read from Unit.path ("/<pk>/<pk>/…/"), so every account is counted in its
own unit and in each unit above it. `manage.py rebuild_account_tallies [--check]`
rebuilds them from the accounts (and the migration that created them did the same).
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Sum

from lifecycle.models import Account, AccountDayTally, AccountTally, Unit

OPENED, CLOSED = "opened", "closed"
TALLY = AccountTally._meta.db_table
DAY_TALLY = AccountDayTally._meta.db_table

# -- the triggers -------------------------------------------------------------------------

# PostgreSQL. `{changes}` yields (path, level, platform, state, opened_on, closed_on, d):
# d = +1 for a row that now counts, -1 for one that no longer does.
_PG_APPLY = f"""
    INSERT INTO {TALLY} AS t (unit_id, level, platform, state, n)
    SELECT anc::bigint, level, platform, state, SUM(d)
      FROM ({{changes}}) c
      CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from c.path), '/')) AS anc
     GROUP BY 1, 2, 3, 4 HAVING SUM(d) <> 0 ORDER BY 1, 2, 3, 4
    ON CONFLICT (unit_id, level, platform, state) DO UPDATE SET n = t.n + EXCLUDED.n;
    INSERT INTO {DAY_TALLY} AS t (unit_id, kind, day, n)
    SELECT anc::bigint, kind, day, SUM(d)
      FROM (SELECT path, '{OPENED}' AS kind, opened_on AS day, d FROM ({{changes}}) c1
             WHERE opened_on IS NOT NULL
            UNION ALL
            SELECT path, '{CLOSED}', closed_on, d FROM ({{changes}}) c2
             WHERE closed_on IS NOT NULL) c
      CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from c.path), '/')) AS anc
     GROUP BY 1, 2, 3 HAVING SUM(d) <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (unit_id, kind, day) DO UPDATE SET n = t.n + EXCLUDED.n;
"""
_PG_ACCOUNT_ROWS = """
    SELECT u.path, u.level, r.platform, r.state, r.opened_on, r.closed_on, {d} AS d
      FROM {rows} r JOIN lifecycle_unit u ON u.id = r.unit_id"""
_PG_UNIT_MOVED = """
    SELECT r.path, r.level, a.platform, a.state, a.opened_on, a.closed_on, {d} AS d
      FROM {rows} r JOIN {other} x ON x.id = r.id JOIN lifecycle_account a ON a.unit_id = r.id
     WHERE (r.path, r.level) IS DISTINCT FROM (x.path, x.level)"""

_PG_FUNCTIONS = {
    "account_ins": _PG_ACCOUNT_ROWS.format(rows="new_rows", d=1),
    "account_del": _PG_ACCOUNT_ROWS.format(rows="old_rows", d=-1),
    # Every row out (-1) and in again (+1): unchanged rows net to zero in the GROUP BY
    # (HAVING SUM(d) <> 0), linear in the rows updated — transition tables have no index
    # or statistics, and pairing old and new rows by id planned as a nested loop (8 s for
    # an UPDATE of 10,000 accounts).
    "account_upd": _PG_ACCOUNT_ROWS.format(rows="new_rows", d=1)
    + " UNION ALL " + _PG_ACCOUNT_ROWS.format(rows="old_rows", d=-1),
    "unit_upd": _PG_UNIT_MOVED.format(rows="new_rows", other="old_rows", d=1)
    + " UNION ALL " + _PG_UNIT_MOVED.format(rows="old_rows", other="new_rows", d=-1),
}
_PG_TRIGGERS = {  # function -> (table, event, transition tables)
    "account_ins": ("lifecycle_account", "INSERT", "NEW TABLE AS new_rows"),
    "account_del": ("lifecycle_account", "DELETE", "OLD TABLE AS old_rows"),
    "account_upd": ("lifecycle_account", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    "unit_upd": ("lifecycle_unit", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
}


def _pg_install() -> list[str]:
    out = []
    for name, changes in _PG_FUNCTIONS.items():
        table, event, referencing = _PG_TRIGGERS[name]
        body = _PG_APPLY.replace("{changes}", changes)
        out.append(
            f"CREATE OR REPLACE FUNCTION lifecycle_tally_{name}() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$"
        )
        out.append(f"DROP TRIGGER IF EXISTS lifecycle_tally_{name} ON {table}")
        out.append(
            f"CREATE TRIGGER lifecycle_tally_{name} AFTER {event} ON {table} "
            f"REFERENCING {referencing} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION lifecycle_tally_{name}()"
        )
    return out


def _pg_uninstall() -> list[str]:
    out = []
    for name in _PG_FUNCTIONS:
        table = _PG_TRIGGERS[name][0]
        out.append(f"DROP TRIGGER IF EXISTS lifecycle_tally_{name} ON {table}")
        out.append(f"DROP FUNCTION IF EXISTS lifecycle_tally_{name}()")
    return out


# SQLite: row triggers. `{r}` is NEW (+1: an upsert) or OLD (-1: an UPDATE of the rows that
# counted it — a decrement never inserts, so a flush that empties the tallies before the
# accounts leaves nothing behind); the unit's path and level come from lifecycle_unit
# (accounts) or from the unit row itself (a moved unit).
_SQ_ANCESTORS = "json_each('[' || replace(trim({path}, '/'), '/', ',') || ']') AS anc"
_DAY_COLUMNS = ((OPENED, "opened_on"), (CLOSED, "closed_on"))


def _sq_account(r: str, d: int) -> str:
    anc = _SQ_ANCESTORS.format(path="u.path")
    if d < 0:
        stmts = [
            f"UPDATE {TALLY} SET n = n - 1 WHERE platform = {r}.platform AND state = {r}.state "
            f"AND (unit_id, level) IN (SELECT anc.value, u.level FROM lifecycle_unit u, {anc} "
            f"WHERE u.id = {r}.unit_id);"
        ]
        stmts += [
            f"UPDATE {DAY_TALLY} SET n = n - 1 WHERE kind = '{kind}' AND day = {r}.{col} "
            f"AND unit_id IN (SELECT anc.value FROM lifecycle_unit u, {anc} WHERE u.id = {r}.unit_id);"
            for kind, col in _DAY_COLUMNS
        ]
        return "\n".join(stmts)
    stmts = [
        f"INSERT INTO {TALLY} (unit_id, level, platform, state, n) "
        f"SELECT anc.value, u.level, {r}.platform, {r}.state, 1 "
        f"FROM lifecycle_unit u, {anc} WHERE u.id = {r}.unit_id "
        f"ON CONFLICT (unit_id, level, platform, state) DO UPDATE SET n = n + excluded.n;"
    ]
    stmts += [
        f"INSERT INTO {DAY_TALLY} (unit_id, kind, day, n) "
        f"SELECT anc.value, '{kind}', {r}.{col}, 1 "
        f"FROM lifecycle_unit u, {anc} WHERE u.id = {r}.unit_id AND {r}.{col} IS NOT NULL "
        f"ON CONFLICT (unit_id, kind, day) DO UPDATE SET n = n + excluded.n;"
        for kind, col in _DAY_COLUMNS
    ]
    return "\n".join(stmts)


def _sq_unit(r: str, d: int) -> str:
    anc = _SQ_ANCESTORS.format(path=f"{r}.path")
    if d < 0:
        stmts = [
            f"UPDATE {TALLY} SET n = n - (SELECT COUNT(*) FROM lifecycle_account a "
            f"WHERE a.unit_id = {r}.id AND a.platform = {TALLY}.platform "
            f"AND a.state = {TALLY}.state) "
            f"WHERE level = {r}.level AND unit_id IN (SELECT anc.value FROM {anc});"
        ]
        stmts += [
            f"UPDATE {DAY_TALLY} SET n = n - (SELECT COUNT(*) FROM lifecycle_account a "
            f"WHERE a.unit_id = {r}.id AND a.{col} = {DAY_TALLY}.day) "
            f"WHERE kind = '{kind}' AND unit_id IN (SELECT anc.value FROM {anc});"
            for kind, col in _DAY_COLUMNS
        ]
        return "\n".join(stmts)
    stmts = [
        f"INSERT INTO {TALLY} (unit_id, level, platform, state, n) "
        f"SELECT anc.value, {r}.level, a.platform, a.state, COUNT(*) "
        f"FROM lifecycle_account a, {anc} WHERE a.unit_id = {r}.id "
        f"GROUP BY anc.value, a.platform, a.state "
        f"ON CONFLICT (unit_id, level, platform, state) DO UPDATE SET n = n + excluded.n;"
    ]
    stmts += [
        f"INSERT INTO {DAY_TALLY} (unit_id, kind, day, n) "
        f"SELECT anc.value, '{kind}', a.{col}, COUNT(*) "
        f"FROM lifecycle_account a, {anc} WHERE a.unit_id = {r}.id AND a.{col} IS NOT NULL "
        f"GROUP BY anc.value, a.{col} "
        f"ON CONFLICT (unit_id, kind, day) DO UPDATE SET n = n + excluded.n;"
        for kind, col in _DAY_COLUMNS
    ]
    return "\n".join(stmts)


_SQ_ACCOUNT_CHANGED = " OR ".join(
    f"OLD.{c} IS NOT NEW.{c}" for c in ("unit_id", "platform", "state", "opened_on", "closed_on")
)
_SQ_TRIGGERS = {
    "account_ins": ("AFTER INSERT ON lifecycle_account", _sq_account("NEW", 1)),
    "account_del": ("AFTER DELETE ON lifecycle_account", _sq_account("OLD", -1)),
    "account_upd": (
        f"AFTER UPDATE ON lifecycle_account WHEN {_SQ_ACCOUNT_CHANGED}",
        _sq_account("OLD", -1) + "\n" + _sq_account("NEW", 1),
    ),
    "unit_upd": (
        "AFTER UPDATE ON lifecycle_unit WHEN OLD.path IS NOT NEW.path OR OLD.level IS NOT NEW.level",
        _sq_unit("OLD", -1) + "\n" + _sq_unit("NEW", 1),
    ),
}


def _sq_install() -> list[str]:
    out = []
    for name, (when, body) in _SQ_TRIGGERS.items():
        out.append(f"DROP TRIGGER IF EXISTS lifecycle_tally_{name}")
        out.append(f"CREATE TRIGGER lifecycle_tally_{name} {when} BEGIN\n{body}\nEND")
    return out


def _sq_uninstall() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS lifecycle_tally_{name}" for name in _SQ_TRIGGERS]


def install_triggers(schema_editor: Any) -> None:
    """Create (or replace) the triggers that keep the tallies (migration 0008)."""
    statements = _pg_install() if schema_editor.connection.vendor == "postgresql" else _sq_install()
    for sql in statements:
        schema_editor.execute(sql, params=None)


def uninstall_triggers(schema_editor: Any) -> None:
    statements = (_pg_uninstall() if schema_editor.connection.vendor == "postgresql"
                  else _sq_uninstall())
    for sql in statements:
        schema_editor.execute(sql, params=None)


# -- rebuild and check --------------------------------------------------------------------


def _ancestors_join(conn: Any) -> tuple[str, str]:
    """(FROM fragment, ancestor id expression) expanding u.path into its unit ids."""
    if conn.vendor == "postgresql":
        return ("CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from u.path), '/')) AS anc",
                "anc::bigint")
    return ", " + _SQ_ANCESTORS.format(path="u.path"), "anc.value"


def rebuild(using: Any = None) -> None:
    """Recompute both tallies from the accounts (one aggregate each), in one transaction."""
    conn = using or connection
    join, anc = _ancestors_join(conn)
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TALLY}")
        cursor.execute(f"DELETE FROM {DAY_TALLY}")
        cursor.execute(
            f"INSERT INTO {TALLY} (unit_id, level, platform, state, n) "
            f"SELECT {anc}, u.level, a.platform, a.state, COUNT(*) "
            f"FROM lifecycle_account a JOIN lifecycle_unit u ON u.id = a.unit_id {join} "
            f"GROUP BY {anc}, u.level, a.platform, a.state"
        )
        for kind, col in _DAY_COLUMNS:
            cursor.execute(
                f"INSERT INTO {DAY_TALLY} (unit_id, kind, day, n) "
                f"SELECT {anc}, '{kind}', a.{col}, COUNT(*) "
                f"FROM lifecycle_account a JOIN lifecycle_unit u ON u.id = a.unit_id {join} "
                f"WHERE a.{col} IS NOT NULL GROUP BY {anc}, a.{col}"
            )


def stored() -> tuple[Counter, Counter]:
    """The tallies as stored: ({(unit, level, platform, state): n}, {(unit, kind, day): n}),
    rows at zero left out."""
    counts = Counter({
        (u, lv, p, s): n for u, lv, p, s, n in
        AccountTally.objects.exclude(n=0).values_list("unit_id", "level", "platform", "state", "n")
    })
    days = Counter({
        (u, k, d): n for u, k, d, n in
        AccountDayTally.objects.exclude(n=0).values_list("unit_id", "kind", "day", "n")
    })
    return counts, days


def fresh() -> tuple[Counter, Counter]:
    """The same figures computed here from every account (the check `stored() == fresh()`)."""
    paths = dict(Unit.objects.values_list("pk", "path"))
    levels = dict(Unit.objects.values_list("pk", "level"))
    counts: Counter = Counter()
    days: Counter = Counter()
    for unit_id, platform, state, opened_on, closed_on in Account.objects.values_list(
        "unit_id", "platform", "state", "opened_on", "closed_on"
    ).iterator():
        for anc in _path_ids(paths[unit_id]):
            counts[(anc, levels[unit_id], platform, state)] += 1
            for kind, day in ((OPENED, opened_on), (CLOSED, closed_on)):
                if day is not None:
                    days[(anc, kind, day)] += 1
    return counts, days


def _path_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


# -- reads (workbench.dashboards) --------------------------------------------------------


def counts_under(units: Iterable[Unit] | None) -> list[tuple[str, str, str, int]]:
    """(state, level, platform, n) of the accounts under `units` (disjoint subtrees; None =
    every account: the roots' rows). Reads only the tally rows of those units."""
    qs = AccountTally.objects.exclude(n=0)
    qs = (qs.filter(unit__parent__isnull=True) if units is None
          else qs.filter(unit_id__in=[u.pk for u in units]))
    return list(qs.order_by().values_list("state", "level", "platform").annotate(
        total=Sum("n")).values_list("state", "level", "platform", "total"))


def per_day_under(
    units: Iterable[Unit] | None, kind: str, start: datetime.date, end: datetime.date,
) -> list[tuple[datetime.date, int]]:
    """(day, n) of openings or closings between start and end (inclusive) under `units`."""
    qs = AccountDayTally.objects.filter(kind=kind, day__gte=start, day__lte=end).exclude(n=0)
    qs = (qs.filter(unit__parent__isnull=True) if units is None
          else qs.filter(unit_id__in=[u.pk for u in units]))
    return list(qs.order_by().values("day").annotate(total=Sum("n")).values_list("day", "total"))

