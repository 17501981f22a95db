"""review --as-of DATE [--unit CODE] [--sample RATIO --seed N] [--format table|json|csv]."""

from __future__ import annotations

import codecs
import sys
from collections.abc import Callable, Iterator
from typing import Any

import orjson
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from lifecycle.management.base import GovCommand
from lifecycle.tabular import write_csv
from review.evaluation import REVIEW_CSV_COLUMNS, ReviewError, gc_paused, review_chunks, review_csv_rows
from review.management.commands._review_common import date_arg, unit_arg


class Command(GovCommand):
    help = (
        "Evaluate active and rectifying accounts (in --unit's subtree if given) against the"
        " active rule set on --as-of: any veto fails the account and nothing else is scored"
        " (score null); otherwise 100 minus the deductions of its latest inspection, each"
        " capped at its indicator's points, below the pass mark (60) fails. Automatic vetoes:"
        " NO_UPDATE_14D (no post within 14 days or none known), NO_INTERACTION. --sample"
        " RATIO (0 < RATIO <= 1) draws a sample stratified by unit, reproducible with --seed"
        " (default 0). Nothing is written. JSON: a list of {account:{name,platform,"
        "platform_id,unit_code}, vetoes, deductions:[{code,points}], score, verdict, zombie,"
        " days_since_last_post}."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--as-of", required=True, help="monitoring date, YYYY-MM-DD")
        parser.add_argument("--unit", help="unit code: only accounts in its subtree")
        parser.add_argument("--sample", help="sampling ratio in (0, 1], e.g. 0.1")
        parser.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
        parser.add_argument("--format", choices=["table", "json", "csv"], default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = date_arg(options["as_of"], option="--as-of")
        unit = unit_arg(options["unit"])
        ratio = None
        if options["sample"] is not None:
            try:
                ratio = float(options["sample"])
            except ValueError:
                ratio = float("nan")
        stderr = sys.stderr
        progress = None
        if stderr.isatty():

            def progress(done: int, total: int) -> None:
                width = 30
                filled = int(width * done / total) if total else width
                stderr.write("\r" + _("评估中") + f" [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
                if done == total:
                    stderr.write("\n")
                stderr.flush()

        # The items (90,000 for a province) are built, written and freed with the cyclic GC
        # paused: they hold no cycles, and collections walking them would cost about as
        # much as the evaluation (bench/review.py). JSON is encoded and written a chunk at a
        # time, each chunk freed before the next is built.
        with gc_paused():
            try:
                chunks = review_chunks(
                    as_of=as_of, unit=unit, ratio=ratio, seed=options["seed"], progress=progress
                )
                fmt = options["format"]
                if fmt == "json":
                    self.write_json(chunks)
                    return
                items = [item for chunk in chunks for item in chunk]
            except ReviewError as exc:
                raise CommandError(str(exc)) from None
            if fmt == "csv":
                write_csv(self.stdout, REVIEW_CSV_COLUMNS, review_csv_rows(items))
            else:
                self.write_table(items)
            del items

    def write_json(self, chunks: Iterator[list[dict[str, Any]]]) -> None:
        """One compact UTF-8 document, then a newline: orjson encodes each chunk of items,
        and the chunks' elements are joined into one array — the same bytes as encoding the
        whole list at once. To a UTF-8 byte stream (a file, a pipe, a terminal) the bytes go
        as they are; decoding them to text only to encode them again cost as much as
        encoding the items (bench/review.py)."""
        buffer = getattr(self.stdout, "buffer", None)
        encoding = getattr(self.stdout, "encoding", None)
        write: Callable[[bytes], Any]
        if buffer is None or not encoding or codecs.lookup(encoding).name != "utf-8":
            # A text stream (StringIO) or another encoding.
            def write(data: bytes) -> Any:
                return self.stdout.write(data.decode(), ending="")
        else:
            self.stdout.flush()  # text written before goes first
            write = buffer.write
        write(b"[")
        separator = b""
        for chunk in chunks:
            if chunk:
                write(separator)
                write(orjson.dumps(chunk)[1:-1])  # the elements, without the brackets
                separator = b","
            del chunk
        write(b"]" + self.stdout.ending.encode())
        if buffer is not None:
            self.stdout.flush()
            buffer.flush()

    def write_table(self, items: list[dict[str, Any]]) -> None:
        header = [
            _("单位"),
            _("账号"),
            _("平台"),
            _("平台ID"),
            _("否决项"),
            _("扣分"),
            _("得分"),
            _("结论"),
            _("僵尸号"),
            _("未更新天数"),
        ]
        verdicts = {"pass": _("合格"), "fail": _("不合格")}
        rows = [
            [
                it["account"]["unit_code"],
                it["account"]["name"],
                it["account"]["platform"],
                it["account"]["platform_id"],
                ",".join(it["vetoes"]) or "-",
                ",".join(f"{d['code']}-{d['points']}" for d in it["deductions"]) or "-",
                "-" if it["score"] is None else str(it["score"]),
                verdicts[it["verdict"]],
                _("是") if it["zombie"] else "",
                "-" if it["days_since_last_post"] is None else str(it["days_since_last_post"]),
            ]
            for it in items
        ]
        widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(header)]
        for row in [header] + rows:
            self.stdout.write("  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip())
        failed = sum(1 for it in items if it["verdict"] == "fail")
        zombies = sum(1 for it in items if it["zombie"])
        self.stdout.write(
            _("共 {n} 个账号：合格 {ok}，不合格 {bad}，僵尸号 {zombies}。").format(
                n=len(items), ok=len(items) - failed, bad=failed, zombies=zombies
            )
        )


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
