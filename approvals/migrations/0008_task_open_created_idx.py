# Issue 15 item 4 (bench/pages.py, EXPLAIN ANALYZE on PostgreSQL at province scale 0.3):
# task_open_created_idx on viewflow's task table: the open tasks (NEW, ASSIGNED) by
# creation time, covering owner, status, type and id. It serves
# approvals.selectors.open_tasks_for / queue_for — `/api/tasks/` (`ORDER BY created DESC
# LIMIT n` walked the whole task table's created index, done tasks included: 47,556 rows
# skipped for a page of 50, 7.4 ms -> 0.5 ms), `/workflow/queue/`, the to-do list and the
# to-do count of every workbench page (index-only instead of a bitmap over the open tasks'
# heap pages: 1.9 -> 0.6 ms). Partial: done tasks, the bulk of the table, stay out of it.
# INCLUDE is PostgreSQL's; SQLite gets the same partial index on created alone. The table
# belongs to viewflow, hence SQL rather than a model index.
from django.db import migrations

NAME = "task_open_created_idx"


def create(apps, schema_editor):
    include = (
        " INCLUDE (id, owner_id, status, flow_task_type)"
        if schema_editor.connection.vendor == "postgresql" else ""
    )
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {NAME} ON viewflow_task (created){include}"
        " WHERE status IN ('NEW', 'ASSIGNED')"
    )


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):

    dependencies = [
        ('approvals', '0007_task_owner_status_finished_idx'),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
