from __future__ import annotations

from lifecycle.bulk import USER_COLUMNS, ImportResult, Rows, users_import
from lifecycle.management.importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Create or update users from a CSV/XLSX file with columns "
        "username,full_name,email,unit_code,roles,password. roles is ';'-separated "
        "(applicant|unit_head|approver|supervisor_reviewer|inspector|archivist|admin). One row "
        "per user and unit: several rows of one username give that user several units, a "
        "second row for the same unit is an error. An imported user's memberships become "
        "exactly those in the file. Role admin makes the user staff in the 'govmedia admins' "
        "group (/admin/: units, users, memberships, approval policies, rule sets; notices "
        "read-only); without it the user loses both (a superuser stays staff). A blank "
        "password leaves the user without a usable password. Unknown columns are errors. "
        "Every bad row is printed as 'row N: <column>: <message>', the command exits 1 and "
        "writes nothing."
    )
    columns = USER_COLUMNS
    noun = "用户"

    def import_rows(self, rows: Rows) -> ImportResult:
        return users_import(rows=rows)
