from __future__ import annotations

from lifecycle.bulk import UNIT_COLUMNS, ImportResult, Rows, units_import
from lifecycle.management.importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Create or update units from a CSV/XLSX file with columns "
        "code,name,short_name,level,kind,parent_code. A unit is matched by code; a parent may "
        "be defined later in the same file or already exist. level: "
        "province|city|county|township|community; kind: government_office|department|"
        "institution|internal|community_committee. Unknown parents, bad codes, duplicate codes, "
        "cycles, a level above the parent's, unknown columns and control characters are "
        "errors: every bad row is printed as "
        "'row N: <column>: <message>', the command exits 1 and writes nothing."
    )
    columns = UNIT_COLUMNS
    noun = "单位"

    def import_rows(self, rows: Rows) -> ImportResult:
        return units_import(rows=rows)
