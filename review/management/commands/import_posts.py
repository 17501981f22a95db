"""import_posts FILE — posts from CSV/XLSX, checked against the content dictionaries
(issue 14 item 3; docs/review.md)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from lifecycle.management.base import GovCommand
from review.management.commands._review_common import strict_import
from review.posts import POST_COLUMNS
from review.services import posts_import


class Command(GovCommand):
    help = (
        "Import posts from a CSV or XLSX file with the columns "
        + ",".join(POST_COLUMNS)
        + ". All or nothing: every bad row is listed as 'row N: field: message' (the header"
        " is row 1) and nothing is written (exit 1). published_at is YYYY-MM-DD HH:MM[:SS]"
        " (site time zone) or ISO 8601 with an offset, never in the future; url is an"
        " http(s) address; title and text may not both be blank; unknown accounts, a link"
        " twice in the file and control characters are rejected. A post already imported"
        " (same account and link) is skipped. New posts are checked against the active"
        " content dictionaries and for non-https / non-government links (candidate"
        " evidence for the inspection sheet, never a veto); an account's last post date"
        " follows its newest post."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="CSV (UTF-8) or XLSX file")

    def handle(self, *args: Any, **options: Any) -> str:
        result = strict_import(options["file"], POST_COLUMNS, lambda rows: posts_import(rows=rows))
        return _(
            "已导入 {rows} 行：新增发文 {created} 条，已存在跳过 {skipped} 条，"
            "内容检查发现 {findings} 条，更新账号 {accounts} 个。"
        ).format(
            rows=result.rows, created=result.created, skipped=result.skipped,
            findings=result.findings, accounts=result.accounts_updated,
        )
