"""Compare-and-swap claims of many rows at once (run_due: overdue assignments, filings).

`claim_unset(model, ids, field, value)` sets `field = value` on those of the rows `ids` whose
field is still NULL, in one `UPDATE … WHERE field IS NULL … RETURNING id`, and returns the ids
it set: of two concurrent runs each row is claimed by exactly one (PostgreSQL re-checks the
condition on the row it waited for; SQLite serialises writers), with one statement for the
batch instead of one per row."""

from __future__ import annotations

from typing import Any

from django.db import connection, models


def claim_unset(model: type[models.Model], ids: list[int], field: str, value: Any) -> set[int]:
    if not ids:
        return set()
    quote = connection.ops.quote_name
    column = model._meta.get_field(field)
    pk = quote(model._meta.pk.column)  # type: ignore[union-attr]
    target = quote(column.column)  # type: ignore[union-attr]
    sql = (
        f"UPDATE {quote(model._meta.db_table)} SET {target} = %s "
        f"WHERE {pk} IN ({', '.join(['%s'] * len(ids))}) AND {target} IS NULL RETURNING {pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [column.get_db_prep_save(value, connection), *ids])
        return {row[0] for row in cursor.fetchall()}
