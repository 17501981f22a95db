from __future__ import annotations

from lifecycle.bulk import ACCOUNT_COLUMNS, ImportResult, Rows, accounts_import
from lifecycle.management.importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Register pre-existing accounts as active from a CSV/XLSX file with columns "
        "name,platform,platform_id,unit_code,opened_on,followers,posts_total,last_post_on,"
        "interaction_enabled (platform_id required; dates YYYY-MM-DD or YYYY/MM/DD; counts 0 to "
        "2147483647; booleans true/false, 1/0, yes/no, 是/否). An export_accounts file may be "
        "imported again: its state and successor columns are accepted, but every row's state "
        "must be active (or blank); successor is ignored. Other columns, values beyond the "
        "header and control characters are errors. A second live account of a unit on one "
        "platform is imported with a 'row N: warning: …' line; a platform id already "
        "registered is an error. Every bad row is printed as 'row N: <column>: <message>', "
        "the command exits 1 and writes nothing."
    )
    columns = ACCOUNT_COLUMNS
    noun = "账号"

    def import_rows(self, rows: Rows) -> ImportResult:
        return accounts_import(rows=rows)
