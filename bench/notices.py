"""Benchmark: notice rendering through our pipeline vs bare WeasyPrint (not a test).

    .venv/bin/python bench/notices.py [--samples 30] [--batch 200] [--kind closure_announcement]

Builds a throwaway SQLite database and media folder in a temporary directory, then, in the
same run and interleaved sample by sample:
  1. pipeline: notices.services.issue(...) end to end — number allocation, row,
     after-commit eager job, template rendering, QR code, font check, WeasyPrint with the
     safe fetcher and the shared FontConfiguration, SHA-256, file write, row update;
  2. bare: weasyprint.HTML(string=<the same HTML>).write_pdf() with WeasyPrint's defaults
     (a new FontConfiguration per call), and the same with one shared FontConfiguration.
Reports the median ms of each and their ratio (goal ≤ 1.15), then issues a batch of
`--batch` notices and reports notices/second and the process RSS before/after the batch.

Further sections (issue 13), chosen with --only (comma-separated; default all):
  sign     render + seal/sign per notice (notices.rendering + notices.signing) vs bare
           WeasyPrint with a shared FontConfiguration on the same HTML (goal: ≤ 1.15);
  archive  file, archive_export and archive_check of --archive notices (default 1000;
           goal < 60 s): one notice is rendered and signed, its files are copied for the rest;
  search   archive search over --search-rows notices (default 50,000; goal < 100 ms/query).
Each section is one function `bench_<name>(args, unit, account)`: add one the same way.

    .venv/bin/python bench/notices.py --workers 2   runs bench/workers.py instead (issue 15
item 5: Celery with 2 pool processes vs 1 on the services leg, render worker RSS).
"""

from __future__ import annotations

import argparse
import atexit
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Clock:
    """Wall time and CPU time (this process + its finished children: a pool's processes)
    since start — the machine is shared, so wall times alone cannot be judged."""

    def __init__(self) -> None:
        self.wall0, self.cpu0 = time.perf_counter(), self.cpu()

    @staticmethod
    def cpu() -> float:
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def lap(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall0, self.cpu() - self.cpu0

    def __str__(self) -> str:
        wall, cpu = self.lap()
        return f"{wall:.1f} s wall, {cpu:.1f} s CPU"


def setup_django(tmp: Path, database_url: str | None = None) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["GOVMEDIA_VAR_DIR"] = str(tmp)
    os.environ["MEDIA_ROOT"] = str(tmp / "media")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def world():
    from lifecycle import services as ls
    from lifecycle.models import Account, AccountState, Platform, UnitKind, UnitLevel

    nj = ls.unit_upsert(code="NJ", name="南京市人民政府办公室", short_name="宁政办",
                        level=UnitLevel.CITY, kind=UnitKind.GOVERNMENT_OFFICE, parent=None)
    zj = ls.unit_upsert(code="NJZJ", name="南京市质量技术监督局", short_name="宁质监",
                        level=UnitLevel.CITY, kind=UnitKind.DEPARTMENT, parent=nj)
    account = Account.objects.create(
        name="南京质检", platform=Platform.WECHAT_OFFICIAL, platform_id="njzhijian", unit=zj,
        supervisor_unit=nj, state=AccountState.ACTIVE,
    )
    return zj, account


CONTEXT = {
    "reason": "机构改革，职能划入南京市市场监督管理局",
    "stop_on": "2026-12-15",
    "successor_account": {"name": "南京食药监", "platform_label": "微信公众号",
                          "platform_id": "njshiyaojian"},
    "channels": [
        {"kind": "website", "kind_label": "网站", "value": "https://amr.nanjing.gov.cn"},
        {"kind": "phone", "kind_label": "电话", "value": "025-83288000"},
    ],
}


def bench_render(args, unit, account) -> None:
    from weasyprint import HTML

    from notices import services as notices_services
    from notices.models import NoticeStatus
    from notices.rendering import notice_html

    def pipeline_once():
        t0 = time.perf_counter()
        notice = notices_services.issue(kind=args.kind, account=account, issuing_unit=unit,
                                        actor=None, context=CONTEXT)
        elapsed = time.perf_counter() - t0
        notice.refresh_from_db()
        assert notice.status == NoticeStatus.RENDERED, notice.failure_reason
        return elapsed, notice

    # Warm up both paths (fonts, templates, imports).
    _, sample = pipeline_once()
    html = notice_html(sample)
    HTML(string=html).write_pdf()
    pipeline_once()

    from weasyprint.text.fonts import FontConfiguration

    shared = FontConfiguration()
    HTML(string=html).write_pdf(font_config=shared)
    pipe, bare, bare_shared = [], [], []
    for _ in range(args.samples):
        elapsed, _n = pipeline_once()
        pipe.append(elapsed)
        t0 = time.perf_counter()
        HTML(string=html).write_pdf()
        bare.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        HTML(string=html).write_pdf(font_config=shared)
        bare_shared.append(time.perf_counter() - t0)
    p_med = statistics.median(pipe) * 1000
    b_med = statistics.median(bare) * 1000
    s_med = statistics.median(bare_shared) * 1000
    print(f"kind={args.kind} pages={sample.pages} samples={args.samples}")
    print(f"pipeline median: {p_med:.1f} ms/notice (issue: render, seal + sign, 处理单)")
    print(f"bare WeasyPrint median: {b_med:.1f} ms/notice (same HTML)")
    print(f"bare WeasyPrint + one shared FontConfiguration: {s_med:.1f} ms/notice")
    print(f"ratio pipeline/bare: {p_med / b_med:.3f} (goal <= 1.15)")
    print(f"ratio pipeline/bare-with-shared-fonts: {p_med / s_med:.3f}")

    rss_before = rss_mib()
    t0 = time.perf_counter()
    for _ in range(args.batch):
        pipeline_once()
    batch_s = time.perf_counter() - t0
    rss_after = rss_mib()
    print(f"batch of {args.batch}: {batch_s:.1f} s, {args.batch / batch_s:.2f} notices/s")
    print(f"RSS before batch: {rss_before:.0f} MiB, after: {rss_after:.0f} MiB "
          f"(+{rss_after - rss_before:.0f} MiB)")


def _one_signed(args, unit, account):
    from notices import services as notices_services

    notice = notices_services.issue(kind=args.kind, account=account, issuing_unit=unit,
                                    actor=None, context=CONTEXT)
    notice.refresh_from_db()
    return notice


def bench_sign(args, unit, account) -> None:
    """Render + sign (our renderer, then pyHanko with the unit's seal) vs bare WeasyPrint."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from notices import signing
    from notices.rendering import notice_html, render_notice_pdf

    notice = _one_signed(args, unit, account)
    seal = signing.seal_for(unit)
    html = notice_html(notice)
    shared = FontConfiguration()
    HTML(string=html).write_pdf(font_config=shared)
    warm = render_notice_pdf(notice)
    signing.sign_pdf(warm.data, seal=seal, anchor=signing.Anchor(*warm.anchor))  # warm caches
    render, signed, bare = [], [], []
    cpu_render, cpu_sign, cpu_bare = [], [], []
    for _ in range(args.samples):
        t0, c0 = time.perf_counter(), time.process_time()
        rendered = render_notice_pdf(notice)
        t1, c1 = time.perf_counter(), time.process_time()
        signing.sign_pdf(rendered.data, seal=seal, anchor=signing.Anchor(*rendered.anchor))
        t2, c2 = time.perf_counter(), time.process_time()
        HTML(string=html).write_pdf(font_config=shared)
        t3, c3 = time.perf_counter(), time.process_time()
        render.append(t1 - t0)
        signed.append(t2 - t0)
        bare.append(t3 - t2)
        cpu_render.append(c1 - c0)
        cpu_sign.append(c2 - c1)
        cpu_bare.append(c3 - c2)
    r, g, b = (statistics.median(x) * 1000 for x in (render, signed, bare))
    cr, cs, cb = (sum(x) / len(x) * 1000 for x in (cpu_render, cpu_sign, cpu_bare))
    print(f"wall medians: render {r:.1f} ms; render+sign {g:.1f} ms (sign {g - r:.1f} ms); "
          f"bare WeasyPrint (shared fonts) {b:.1f} ms")
    print(f"CPU means: render {cr:.1f} ms; sign {cs:.1f} ms; bare WeasyPrint {cb:.1f} ms")
    print(f"signing adds {100 * (g - r) / r:.1f}% wall, {100 * cs / cr:.1f}% CPU over render "
          f"(goal <= 15%); ratio render+sign/bare: {g / b:.3f} wall, {(cr + cs) / cb:.3f} CPU")


def bench_archive(args, unit, account) -> None:
    """File + export + check of --archive notices (copies of one signed notice's files)."""
    import shutil

    from django.core.files.base import ContentFile

    from notices import archive
    from notices.models import Notice

    notice = _one_signed(args, unit, account)
    pdf = notice.pdf.read()
    sheet = notice.sheet_pdf.read()
    start = Notice.objects.filter(issuing_unit=unit, year=notice.year).count()
    t0 = time.perf_counter()
    for i in range(args.archive - 1):
        copy = Notice(
            kind=notice.kind, number=f"{notice.number}-{i}", series=notice.series,
            year=notice.year, seq=notice.seq + 1 + i + start, title=notice.title,
            issuing_unit=unit, account=account, issued_on=notice.issued_on,
            context=notice.context, status=notice.status, sha256=notice.sha256, sm3=notice.sm3,
            size=notice.size, pages=notice.pages, rendered_at=notice.rendered_at,
            signer=notice.signer, signer_serial=notice.signer_serial,
            sheet_sha256=notice.sheet_sha256,
        )
        copy.pdf.save(f"bench-{i}.pdf", ContentFile(pdf), save=False)
        copy.sheet_pdf.save(f"bench-{i}-sheet.pdf", ContentFile(sheet), save=False)
        copy.save()
    print(f"prepared {args.archive} notices in {time.perf_counter() - t0:.1f} s")
    out = Path(tempfile.mkdtemp(prefix="archive-bench-"))
    try:
        clock = Clock()
        records = archive.file_year_system(unit=unit, year=notice.year)
        print(f"file {len(records)}: {clock}")
        clock = both = Clock()
        archive.export_package(unit=unit, year=notice.year, out=out / "pkg")
        print(f"archive_export: {clock}")
        clock = Clock()
        result = archive.check_package(out / "pkg", workers=args.check_workers)
        workers = args.check_workers or archive.check_workers(len(records))
        print(f"archive_check: {clock}, {workers} process(es) ({len(result.checks)} checks, "
              f"passed={result.passed})")
        print(f"export+check of {len(records)}: {both} (goal < 60 s wall)")
    finally:
        shutil.rmtree(out, ignore_errors=True)


def bench_search(args, unit, account) -> None:
    """Archive search over --search-rows notices (rows only: no PDFs needed). Each row holds
    the sample notice's real search text (≈ its length) plus distinct words, so the index
    is as large as for real notices."""
    from django.db import connection

    from notices import search, selectors
    from notices.models import Notice

    notice = _one_signed(args, unit, account)
    base = notice.search_text
    words = ["关停", "整合", "批复", "通报", "整改", "备案", "迁移", "食药监", "质检", "发布"]
    rows = []
    for i in range(args.search_rows):
        rows.append(Notice(
            kind=notice.kind, number=f"{notice.number}-s{i}", series=notice.series,
            year=2000 + i % 27, seq=10_000 + i, title=f"关于“测试账号{i}”{words[i % 10]}的公告",
            issuing_unit=unit, account=account, issued_on=notice.issued_on, context={},
            status=notice.status,
            search_text=f"{words[(i * 7) % 10]} 账号{i} 南京食药监{i % 97} {base}",
        ))
    clock = Clock()
    Notice.objects.bulk_create(rows, batch_size=2000)
    search.reindex()  # SQLite: the FTS5 table; PostgreSQL: the trigram index is kept by inserts
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE notices_notice")
    print(f"{connection.vendor}: inserted + indexed {args.search_rows} rows "
          f"(search text ≈ {len(rows[0].search_text)} chars each) in {clock}")
    from django.contrib.auth import get_user_model

    admin = get_user_model()(username="bench", is_superuser=True)
    queries = ["账号4242", "南京食药监13", "测试账号999", "宁质监公告〔2026〕", "整合后统一发布",
               "关停", "迁移"]
    timings: dict[str, list[float]] = {q: [] for q in queries}
    cpu: dict[str, list[float]] = {q: [] for q in queries}
    clock = Clock()
    for _ in range(args.search_repeat):
        for q in queries:
            t0, c0 = time.perf_counter(), time.process_time()
            list(selectors.notice_fulltext(user=admin, q=q)[:20])
            timings[q].append(time.perf_counter() - t0)
            cpu[q].append(time.process_time() - c0)
    every = [t for ts in timings.values() for t in ts]
    for q, ts in timings.items():
        print(f"  {q!r}: wall median {statistics.median(ts) * 1000:.1f} ms, max "
              f"{max(ts) * 1000:.1f} ms; CPU median {statistics.median(cpu[q]) * 1000:.1f} ms")
    print(f"full-text search over {args.search_rows} ({connection.vendor}, first page of 20): "
          f"median {statistics.median(every) * 1000:.1f} ms, max {max(every) * 1000:.1f} ms "
          f"over {len(every)} queries, {clock} (goal < 100 ms)")


SECTIONS = {"render": bench_render, "sign": bench_sign, "archive": bench_archive,
            "search": bench_search}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--kind", default="closure_announcement")
    parser.add_argument("--archive", type=int, default=1000)
    parser.add_argument("--check-workers", type=int, default=None,
                        help="archive_check processes (default: one per core)")
    parser.add_argument("--search-rows", type=int, default=50_000)
    parser.add_argument("--search-repeat", type=int, default=5)
    parser.add_argument("--postgres", action="store_true",
                        help="run on PostgreSQL (scripts/services.sh --stores in "
                             "var/bench-services/, like bench/decisions.py) instead of SQLite")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help="sections to run: " + ",".join(SECTIONS))
    parser.add_argument("--workers", type=int,
                        help="the services leg instead: N Celery pool processes vs 1 (bench/workers.py)")
    args, rest = parser.parse_known_args()
    if args.workers:
        from bench.workers import main as workers_main

        workers_main(sys.argv[1:])
        return
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")

    with tempfile.TemporaryDirectory(prefix="notices-bench-") as tmp:
        database_url = None
        if args.postgres:
            from bench.decisions import start_services, stop_services

            atexit.register(stop_services)
            database_url = start_services()["DATABASE_URL"]
        setup_django(Path(tmp), database_url)
        unit, account = world()
        for name in args.only.split(","):
            print(f"== {name}")
            SECTIONS[name.strip()](args, unit, account)


if __name__ == "__main__":
    main()
