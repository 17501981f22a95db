from __future__ import annotations

from lifecycle.bulk import ACCOUNT_COLUMNS, ImportResult, Rows, accounts_import
from lifecycle.management.importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Register pre-existing accounts as active from a CSV/XLSX file with columns "
        "name,platform,platform_id,unit_code,opened_on,followers,posts_total,last_post_on,"
        "interaction_enabled (dates YYYY-MM-DD; booleans true/false, 1/0, yes/no, 是/否). A "
        "second live account of a unit on one platform is imported with a 'row N: warning: …' "
        "line; a platform id already registered is an error. Every bad row is printed as "
        "'row N: <column>: <message>', the command exits 1 and writes nothing."
    )
    columns = ACCOUNT_COLUMNS
    noun = "账号"

    def import_rows(self, rows: Rows) -> ImportResult:
        return accounts_import(rows=rows)
