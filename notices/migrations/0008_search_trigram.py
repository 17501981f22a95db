"""PostgreSQL only: pg_trgm GIN indexes for the archive search (notices.search.matching and
notices.selectors.notice_search). SQLite keeps its FTS5 table (0007) and gets nothing here.

The indexes serve exactly the SQL Django writes for `icontains` on PostgreSQL:

    WHERE UPPER("notices_notice"."search_text"::text) LIKE UPPER('%南京食药监%')   -- 全文 (q)
    WHERE UPPER("notices_notice"."number"::text) LIKE UPPER('%〔2026〕3号%')       -- 文号

hence the UPPER(...) expressions. `CREATE EXTENSION pg_trgm` needs the CREATE privilege on
the database (pg_trgm is a trusted extension: the database owner may create it) or a DBA
running it beforehand (docs/deploy.md). pg_trgm only makes trigrams of Chinese text when the
database's LC_CTYPE is a UTF-8 locale (C.UTF-8, zh_CN.UTF-8); under LC_CTYPE=C the index
still answers correctly but scans every entry (docs/archive.md §6).
"""

from django.db import migrations

INDEXES = {
    "notice_search_trgm": "UPPER(search_text) gin_trgm_ops",
    "notice_number_trgm": "UPPER(number) gin_trgm_ops",
}


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON notices_notice USING gin ({expression})")


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")  # the extension stays


class Migration(migrations.Migration):

    dependencies = [
        ('notices', '0007_search_text'),
    ]

    operations = [
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
