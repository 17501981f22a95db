"""Bulk import and export of units, users and accounts (the CLI of DESIGN §8; the API reuses it).

Every import is two passes. The first pass validates each row (lifecycle.serializers) and
then the rows against each other and the database. It collects every problem as
`row N: <column>: <message>` and writes nothing. The second pass runs only when the first
found nothing. It writes through lifecycle.services inside one transaction, so a failure that
only the database notices still rolls back the whole file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lifecycle import passwords, services
from lifecycle.models import (
    LIVE_STATES,
    Account,
    AccountState,
    Platform,
    Unit,
    UnitKind,
    UnitLevel,
)
from lifecycle.serializers import (
    AccountRowSerializer,
    UnitRowSerializer,
    UserRowSerializer,
    flatten_errors,
)
from lifecycle.tabular import RowErrors
from lifecycle.types import User

Rows = list[tuple[int, dict[str, str]]]

UNIT_COLUMNS = ("code", "name", "short_name", "level", "kind", "parent_code")
USER_COLUMNS = ("username", "full_name", "email", "unit_code", "roles", "password")
ACCOUNT_COLUMNS = (
    "name",
    "platform",
    "platform_id",
    "unit_code",
    "opened_on",
    "followers",
    "posts_total",
    "last_post_on",
    "interaction_enabled",
)
# export_accounts writes these two after ACCOUNT_COLUMNS; import_accounts accepts them so an
# export imports again, and refuses rows whose state is not active (accounts_import).
EXPORT_EXTRA_COLUMNS = ("state", "successor")
EXPORT_COLUMNS = (*ACCOUNT_COLUMNS, *EXPORT_EXTRA_COLUMNS)

ERR_USER_SAME_UNIT = gettext_lazy(
    "用户「{username}」在第 {row} 行已有单位「{unit}」；同一单位的多个角色请写在一行，用“;”分隔。"
)
ERR_USER_TWICE = gettext_lazy("用户「{username}」已在第 {row} 行出现；不填单位的用户只能有一行。")

# Province first: a unit may not sit above its parent (lifecycle.bulk.units_import).
LEVEL_ORDER = {level: i for i, level in enumerate(UnitLevel.values)}


class ImportFailed(Exception):
    """Nothing was written; `errors` lists every bad row."""

    def __init__(self, errors: RowErrors) -> None:
        super().__init__(errors.format())
        self.errors = errors


class MissingColumns(Exception):
    def __init__(self, missing: list[str], expected: Iterable[str], unknown: Iterable[str] = ()) -> None:
        self.missing = missing
        self.expected = list(expected)
        self.unknown = list(unknown)
        message = _("缺少列：{missing}（应有的列：{expected}）").format(
            missing=", ".join(missing), expected=",".join(self.expected)
        )
        if self.unknown:
            message += _("；未知列：{unknown}").format(unknown=", ".join(self.unknown))
        super().__init__(message)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    # (row, message): printed as `row N: warning: message`; they do not stop the import.
    warnings: list[tuple[int, str]] = field(default_factory=list)

    def warning_lines(self) -> list[str]:
        return [f"row {n}: warning: {message}" for n, message in sorted(self.warnings)]


def check_columns(rows: Rows, expected: Iterable[str], *, optional: Iterable[str] = ()) -> None:
    """The header must hold every expected column (MissingColumns) and nothing else: an
    unknown or repeated column is a `row 1: <column>: …` error (ImportFailed), since its
    values would otherwise be dropped without a word. ``optional`` columns may be present
    (import_accounts: the export's state and successor)."""
    if not rows:
        return
    expected = list(expected)
    allowed = set(expected) | set(optional)
    header = getattr(rows, "header", None) or list(dict.fromkeys(k for _n, row in rows for k in row))
    present = set(header)
    unknown = [c for c in dict.fromkeys(header) if c and c not in allowed]
    missing = [c for c in expected if c not in present]
    if missing:
        raise MissingColumns(missing, expected, unknown)
    errors = RowErrors()
    seen: set[str] = set()
    for name in header:
        if not name:
            continue
        if name in seen:
            errors.add(1, name, _("列名重复。"))
        elif name not in allowed:
            errors.add(
                1,
                name,
                _("未知列（可用的列：{columns}）。").format(
                    columns=",".join([*expected, *[c for c in optional if c not in expected]])
                ),
            )
        seen.add(name)
    if errors:
        raise ImportFailed(errors)


def shape_errors(rows: Rows, errors: RowErrors) -> set[int]:
    """Report values standing right of the header or under a blank header cell (a shifted
    row, an unquoted comma); returns the numbers of those rows."""
    bad: set[int] = set()
    for n, row in rows:
        for column, value in getattr(row, "extra", ()):
            errors.add(
                n,
                "-",
                _("第 {column} 列有值「{value}」，但表头在这一列没有列名。").format(
                    column=column, value=value[:30]
                ),
            )
            bad.add(n)
    return bad


def _validate(
    serializer_class: type,
    rows: Rows,
    columns: tuple[str, ...],
    errors: RowErrors,
    context: dict[str, Any] | None = None,
) -> list[tuple[int, dict[str, Any]]]:
    valid = []
    misshapen = shape_errors(rows, errors)
    for n, row in rows:
        serializer = serializer_class(data={c: row.get(c, "") for c in columns}, context=context)
        if serializer.is_valid():
            if n not in misshapen:
                valid.append((n, serializer.validated_data))
        else:
            for column, message in flatten_errors(serializer.errors, columns):
                errors.add(n, column, message)
    return valid


def _write(errors: RowErrors, steps: Iterable[tuple[int, Any]]) -> None:
    """Run each (row, thunk) inside the caller's transaction; report what the database or a
    service refuses under its row, then roll everything back."""
    for n, step in steps:
        try:
            with transaction.atomic():
                step()
        except ValidationError as exc:
            errors.add_validation_error(n, exc)
        except IntegrityError as exc:
            errors.add(n, "-", _("数据库拒绝写入：{error}").format(error=exc))
    if errors:
        raise ImportFailed(errors)


# -- units --------------------------------------------------------------------------------


def units_import(*, rows: Rows) -> ImportResult:
    """Create or update units by code. A parent may come later in the same file: rows are
    written parents first."""
    check_columns(rows, UNIT_COLUMNS)
    errors = RowErrors()
    valid = _validate(UnitRowSerializer, rows, UNIT_COLUMNS, errors)

    in_file: dict[str, tuple[int, dict[str, Any]]] = {}
    for n, data in valid:
        code = data["code"]
        if code in in_file:
            errors.add(
                n,
                "code",
                _("代码「{code}」与第 {row} 行重复。").format(code=code, row=in_file[code][0]),
            )
            continue
        in_file[code] = (n, data)

    db = {
        code: (parent_code or "", level)
        for code, parent_code, level in Unit.objects.values_list("code", "parent__code", "level")
    }
    # The tree as it will be after the import: the file overrides the database.
    parent_of = {code: parent for code, (parent, _level) in db.items()}
    level_of = {code: level for code, (_parent, level) in db.items()}
    for code, (_n, data) in in_file.items():
        parent_of[code] = data["parent_code"]
        level_of[code] = data["level"]

    bad: set[str] = set()
    for code, (n, data) in in_file.items():
        parent = data["parent_code"]
        if not parent:
            continue
        if parent not in parent_of:
            errors.add(
                n,
                "parent_code",
                _("上级单位代码「{code}」既不在文件中，也不在系统中。").format(code=parent),
            )
            bad.add(code)
            continue
        cycle = _cycle_from(code, parent_of)
        if cycle:
            errors.add(
                n,
                "parent_code",
                _("上级关系形成循环：{path}").format(path=" → ".join(cycle)),
            )
            bad.add(code)
            continue
        if LEVEL_ORDER[data["level"]] < LEVEL_ORDER[level_of[parent]]:
            errors.add(
                n,
                "level",
                _("层级「{level}」高于上级单位「{parent}」的层级「{parent_level}」。").format(
                    level=UnitLevel(data["level"]).label,
                    parent=parent,
                    parent_level=UnitLevel(level_of[parent]).label,
                ),
            )
    if errors:
        raise ImportFailed(errors)

    order = sorted(in_file, key=lambda c: _depth_in_file(c, in_file))
    result = ImportResult()

    def upsert(code: str) -> Any:
        def run() -> None:
            _n, data = in_file[code]
            parent_code = data["parent_code"]
            parent = Unit.objects.get(code=parent_code) if parent_code else None
            services.unit_upsert(
                code=code,
                name=data["name"],
                short_name=data["short_name"],
                level=data["level"],
                kind=data["kind"],
                parent=parent,
            )
            if code in db:
                result.updated += 1
            else:
                result.created += 1

        return run

    with transaction.atomic():
        _write(errors, ((in_file[code][0], upsert(code)) for code in order))
    return result


def _cycle_from(code: str, parent_of: dict[str, str]) -> list[str]:
    """The loop `code → parent → … → code` if following parents comes back, else []."""
    path = [code]
    node = parent_of.get(code, "")
    seen = {code}
    while node:
        path.append(node)
        if node == code:
            return path
        if node in seen:
            return []  # a loop further up that does not contain `code`: reported on its rows
        seen.add(node)
        node = parent_of.get(node, "")
    return []


def _depth_in_file(code: str, in_file: dict[str, tuple[int, dict[str, Any]]]) -> int:
    depth, node, seen = 0, in_file[code][1]["parent_code"], {code}
    while node in in_file and node not in seen:
        seen.add(node)
        depth += 1
        node = in_file[node][1]["parent_code"]
    return depth


# -- users --------------------------------------------------------------------------------


def users_import(*, rows: Rows) -> ImportResult:
    """Create or update users. Several rows of one username add several units (one row per
    unit, its roles `;`-separated: a second row for the same unit, or a row without a unit
    next to others, is an error); the file is authoritative: an imported user's memberships
    become exactly those of their rows, and a blank password leaves the user without a
    usable password."""
    check_columns(rows, USER_COLUMNS)
    errors = RowErrors()
    units = {u.code: u for u in Unit.objects.all()}
    valid = _validate(UserRowSerializer, rows, USER_COLUMNS, errors, context={"units": units})

    people: dict[str, dict[str, Any]] = {}
    # username → {unit code or "": first row}: one row per user and unit.
    rows_of: dict[str, dict[str, int]] = {}
    for n, data in valid:
        unit_code = data["unit_code"].code if data.get("unit_code") is not None else ""
        earlier = rows_of.setdefault(data["username"], {})
        if unit_code in earlier:
            errors.add(
                n,
                "username",
                (ERR_USER_SAME_UNIT if unit_code else ERR_USER_TWICE).format(
                    username=data["username"], row=earlier[unit_code], unit=unit_code
                ),
            )
            continue
        if earlier and (not unit_code or "" in earlier):
            errors.add(
                n,
                "username",
                ERR_USER_TWICE.format(username=data["username"], row=min(earlier.values())),
            )
            continue
        earlier[unit_code] = n
        person = people.get(data["username"])
        if person is None:
            people[data["username"]] = {
                "row": n,
                "full_name": data["full_name"],
                "email": data["email"],
                "password": data.get("password", ""),
                "memberships": [],
                "first": {},
            }
            person = people[data["username"]]
            for column in ("full_name", "email", "password"):
                if person[column]:
                    person["first"][column] = n
        else:
            for column in ("full_name", "email", "password"):
                value = data.get(column, "")
                if not value:
                    continue
                if person[column] and person[column] != value:
                    errors.add(
                        n,
                        column,
                        _("同一用户名的各行此项必须一致（第 {row} 行为另一值）。").format(
                            row=person["first"][column]
                        ),
                    )
                else:
                    person[column] = value
                    person["first"].setdefault(column, n)
        unit = data.get("unit_code")
        for role in data.get("roles") or []:
            if (unit, role) not in person["memberships"]:
                person["memberships"].append((unit, role))
    if errors:
        raise ImportFailed(errors)

    existing = set(get_user_model().objects.filter(username__in=people).values_list("username", flat=True))
    result = ImportResult()

    def upsert(username: str, person: dict[str, Any]) -> Any:
        def run() -> None:
            user = services.user_upsert(
                username=username,
                full_name=person["full_name"],
                email=person["email"],
                password=person["password"] or None,
                memberships=person["memberships"],
            )
            if person["password"]:
                # set by an operator: the user chooses their own at the first login
                passwords.require_change(user)
            if username in existing:
                result.updated += 1
            else:
                result.created += 1

        return run

    with transaction.atomic():
        _write(errors, ((p["row"], upsert(name, p)) for name, p in people.items()))
    return result


# -- accounts -----------------------------------------------------------------------------


def accounts_import(*, rows: Rows, actor: User | None = None) -> ImportResult:
    """Pre-existing accounts enter the register as active (lifecycle.services.account_import).

    A second live account of a unit on one platform is accepted with a warning: the register
    has to show reality before the one-per-platform rule, which applications enforce. The
    same platform id twice (in the file or already live) is an error.

    An export_accounts file may be imported again: its `state` column must then be `active`
    (or blank) on every row, since an imported account enters as active and a closed or
    merged account must not come back to life; `successor` is ignored.
    """
    check_columns(rows, ACCOUNT_COLUMNS, optional=EXPORT_EXTRA_COLUMNS)
    errors = RowErrors()
    result = ImportResult()
    units = {u.code: u for u in Unit.objects.all()}
    valid = _validate(AccountRowSerializer, rows, ACCOUNT_COLUMNS, errors, context={"units": units})
    not_active = _state_errors(rows, errors)
    valid = [(n, data) for n, data in valid if n not in not_active]

    seen_ids: dict[tuple[str, str], int] = {}
    seen_names: dict[tuple[int, str, str], int] = {}
    seen_slots: dict[tuple[int, str], tuple[int, str]] = {}
    accepted: list[tuple[int, dict[str, Any]]] = []
    for n, data in valid:
        unit, platform = data["unit_code"], data["platform"]
        label = Platform(platform).label
        ok = True
        if data["platform_id"]:
            key = (platform, data["platform_id"])
            if key in seen_ids:
                errors.add(n, "platform_id", _("与第 {row} 行重复。").format(row=seen_ids[key]))
                ok = False
            else:
                seen_ids[key] = n
                live = Account.objects.filter(
                    platform=platform, platform_id=data["platform_id"], state__in=LIVE_STATES
                ).first()
                if live is not None:
                    errors.add(
                        n,
                        "platform_id",
                        _("{platform}「{id}」已登记为账号「{name}」（{state}）。").format(
                            platform=label,
                            id=data["platform_id"],
                            name=live.name,
                            state=live.get_state_display(),
                        ),
                    )
                    ok = False
        name_key = (unit.pk, platform, data["name"])
        if name_key in seen_names:
            errors.add(
                n,
                "name",
                _("与第 {row} 行为同一单位、同一平台的同名账号。").format(row=seen_names[name_key]),
            )
            ok = False
        elif (
            not data["platform_id"]
            and Account.objects.filter(
                unit=unit, platform=platform, name=data["name"], state__in=LIVE_STATES
            ).exists()
        ):
            errors.add(n, "name", _("该单位在此平台已登记同名账号。"))
            ok = False
        seen_names.setdefault(name_key, n)
        if not ok:
            continue

        slot = (unit.pk, platform)
        other = services.existing_on_platform(unit=unit, platform=platform)
        if other is not None or slot in seen_slots:
            other_name = other.name if other is not None else seen_slots[slot][1]
            result.warnings.append(
                (
                    n,
                    _(
                        "单位「{unit}」在{platform}已有账号「{other}」，仍按既有账号导入"
                        "（新开设须遵守一个单位同一平台一个账号的规定）。"
                    ).format(unit=unit.code, platform=label, other=other_name),
                )
            )
        seen_slots.setdefault(slot, (n, data["name"]))
        if unit.kind == UnitKind.INTERNAL:
            result.warnings.append(
                (
                    n,
                    _("单位「{unit}」是内设机构，内设机构不得开设账号，请安排关停或整合。").format(
                        unit=unit.code
                    ),
                )
            )
        accepted.append((n, data))
    if errors:
        raise ImportFailed(errors)

    def create(data: dict[str, Any]) -> Any:
        def run() -> None:
            services.account_import(
                name=data["name"],
                platform=data["platform"],
                platform_id=data["platform_id"],
                unit=data["unit_code"],
                opened_on=data["opened_on"],
                followers=data["followers"],
                posts_total=data["posts_total"],
                last_post_on=data["last_post_on"],
                interaction_enabled=data["interaction_enabled"],
                actor=actor,
            )
            result.created += 1

        return run

    with transaction.atomic():
        _write(errors, ((n, create(data)) for n, data in accepted))
    return result


def _state_errors(rows: Rows, errors: RowErrors) -> set[int]:
    """Rows whose `state` (export_accounts' column; code or label) is not active."""
    active = {AccountState.ACTIVE.value, str(AccountState.ACTIVE.label)}
    labels = {value: str(label) for value, label in AccountState.choices}
    bad: set[int] = set()
    for n, row in rows:
        state = (row.get("state") or "").strip()
        if not state or state.lower() in active or state in active:
            continue
        shown = f"{labels[state.lower()]}（{state.lower()}）" if state.lower() in labels else state
        errors.add(
            n,
            "state",
            _(
                "状态为「{state}」：只能导入运行中（active）的既有账号，已关停、整合或"
                "尚未开通的账号不能作为运行中账号重新登记，请删除此行。"
            ).format(state=shown),
        )
        bad.add(n)
    return bad


# -- export -------------------------------------------------------------------------------


def successor_text(successor: Account) -> str:
    """The successor as export_accounts writes it: a name alone is ambiguous (the same name
    on several platforms), so `南京食药监（微信公众号 njshiyaojian）`."""
    inside = " ".join(p for p in (str(successor.get_platform_display()), successor.platform_id) if p)
    return f"{successor.name}（{inside}）"


def accounts_export_rows() -> Iterable[list[Any]]:
    """One list per account in EXPORT_COLUMNS order: dates as dates, booleans as
    true/false, blanks as "". `successor` is successor_text() of the successor account."""
    qs = Account.objects.select_related("unit", "successor").order_by("unit__path", "platform", "name", "pk")
    for a in qs.iterator(chunk_size=2000):
        yield [
            a.name,
            a.platform,
            a.platform_id,
            a.unit.code,
            a.opened_on or "",
            "" if a.followers is None else a.followers,
            "" if a.posts_total is None else a.posts_total,
            a.last_post_on or "",
            "true" if a.interaction_enabled else "false",
            a.state,
            successor_text(a.successor) if a.successor_id else "",
        ]

