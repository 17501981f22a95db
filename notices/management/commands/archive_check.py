"""四性检测 (DA/T 70) of a transfer package: writes <DIR>.check.json and <DIR>.check.html
(or into --report-dir); exit 1 when any check fails, each failure naming its item."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import CommandError

from lifecycle.management.base import GovCommand
from notices import archive


class Command(GovCommand):
    help = "Run the 四性检测 on a transfer package folder and write an HTML + JSON report."

    def add_arguments(self, parser):
        parser.add_argument("dir")
        parser.add_argument("--report-dir", default=None,
                            help="where to write check.json/check.html (default: beside DIR)")

    def handle(self, *args, **options) -> None:
        root = Path(options["dir"])
        if not root.is_dir():
            raise CommandError(f"dir: {root} is not a folder")
        report = archive.check_package(root).as_json()
        if options["report_dir"]:
            target = Path(options["report_dir"])
            target.mkdir(parents=True, exist_ok=True)
            json_path, html_path = target / "check.json", target / "check.html"
        else:
            json_path = root.with_name(root.name + ".check.json")
            html_path = root.with_name(root.name + ".check.html")
        json_path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
        html_path.write_text(archive.report_html(report), encoding="utf-8")
        for failure in report["failures"]:
            self.stdout.write(f"FAIL {failure['aspect']} {failure['item']}: {failure['message']}")
        verdict = "passed" if report["passed"] else "FAILED"
        self.stdout.write(f"{verdict}: {len(report['checks'])} checks; report {json_path}, {html_path}")
        if not report["passed"]:
            raise CommandError(f"{len(report['failures'])} check(s) failed")
