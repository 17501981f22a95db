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
"""

from __future__ import annotations

import argparse
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


def setup_django(tmp: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--kind", default="closure_announcement")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="notices-bench-") as tmp:
        setup_django(Path(tmp))
        from weasyprint import HTML

        from notices import services as notices_services
        from notices.models import NoticeStatus
        from notices.rendering import notice_html

        unit, account = world()

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
        print(f"pipeline median: {p_med:.1f} ms/notice")
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


if __name__ == "__main__":
    main()
