"""Render one sample notice per kind and write docs/notices/<kind>.png (page 1, 60 dpi).

Run: .venv/bin/python docs/notices/render_samples.py [--out DIR] [--dpi 60]
No database needed: the samples are unsaved model instances.
"""

from __future__ import annotations

import argparse
import datetime
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from lifecycle.models import Account, Unit  # noqa: E402
from notices import services, signing  # noqa: E402
from notices.kinds import KINDS, get_kind  # noqa: E402
from notices.models import Notice  # noqa: E402
from notices.rendering import notice_title, render_notice_pdf  # noqa: E402

NJ = Unit(pk=2, code="NJ", name="南京市人民政府办公室", short_name="宁政办", path="/1/2/")
JY = Unit(pk=4, code="JY", name="建邺区人民政府办公室", short_name="建政办", path="/1/2/4/")
NJZJ = Unit(pk=3, code="NJZJ", name="南京市质量技术监督局", short_name="宁质监", path="/1/2/3/")
XL = Unit(pk=5, code="JYXL", name="兴隆街道办事处", short_name="兴街办", path="/1/2/4/5/")
XL_ACCOUNT = Account(pk=1, name="兴隆发布", platform="wechat_official", platform_id="xinglong_fb",
                     unit=XL, supervisor_unit=JY, operator="南京某传媒有限公司")
ZJ_ACCOUNT = Account(pk=2, name="南京质检", platform="wechat_official", platform_id="njzhijian",
                     unit=NJZJ, supervisor_unit=NJ)

SUCCESSOR = {"name": "南京食药监", "platform_label": "微信公众号", "platform_id": "njshiyaojian"}
CHANNELS = [
    {"kind": "website", "kind_label": "网站", "value": "https://amr.nanjing.gov.cn"},
    {"kind": "phone", "kind_label": "电话", "value": "025-83288000"},
]

SAMPLES = {
    "opening_approval": (NJ, XL_ACCOUNT, {
        "purpose": "发布兴隆街道政务信息、提供便民服务",
        "chain": [
            {"unit": "兴隆街道办事处", "decision": "同意", "comment": "同意开设", "actor": "兴隆负责人",
             "at": "2026-11-20T09:00:00+08:00"},
            {"unit": "建邺区人民政府办公室", "decision": "同意", "actor": "建邺审核人",
             "comment": "运维单位资质材料已补充，同意报市政府办公室审核。",
             "at": "2026-11-23T15:10:00+08:00"},
            {"unit": "南京市人民政府办公室", "decision": "同意", "comment": "请落实先审后发",
             "actor": "南京审核人", "at": "2026-11-26T10:00:00+08:00"},
        ],
    }),
    "filing_receipt": (JY, XL_ACCOUNT, {
        "platform_id": "xinglong_fb", "verified_subject": "南京市建邺区人民政府兴隆街道办事处",
        "live_on": "2026-11-26",
    }),
    "rectification_order": (JY, XL_ACCOUNT, {
        "deadline": "2026-12-10",
        "findings": [
            # As approvals.actions.auto_evidence writes it (ISO date, own 。).
            {"code": "NO_UPDATE_14D", "label": "监测时间点前2周内无更新",
             "text": "最近发文 2026-10-01，距监测时间点 56 天。"},
            {"label": "栏目长期未更新", "points": 5,
             "text": "“政务公开”“办事指南”栏目自2026-05-01起未更新，影响政务信息及时发布。"},
            {"label": "留言超过3个月未回复", "points": 5},
        ],
    }),
    "inspection_report": (NJ, None, {
        "campaign": "2026Q4季度抽查",  # as approvals.services.inspections.campaign_close labels it
        "pass_rate": 0.92,
        "failed": [
            {"unit": "兴隆街道办事处", "name": "兴隆发布", "platform_label": "微信公众号",
             "reasons": ["监测时间点前2周内无更新"]},
            {"unit": "江北新区顶山街道", "name": "顶山发布", "platform_label": "微博",
             "reasons": ["未提供有效互动功能"], "score": 55},
        ],
    }),
    "closure_announcement": (NJZJ, ZJ_ACCOUNT, {
        "reason": "机构改革，职能划入南京市市场监督管理局。", "stop_on": "2026-12-15",
        "successor_account": SUCCESSOR, "channels": CHANNELS,
    }),
    "merger_announcement": (NJZJ, ZJ_ACCOUNT, {
        "reason": "功能相近，整合后统一发布", "stop_on": "2026-12-15",
        "successor_account": SUCCESSOR, "channels": CHANNELS[:1],
    }),
    "change_filing": (JY, XL_ACCOUNT, {
        "before": {"operator": "南京某传媒有限公司", "name": "兴隆发布"},
        "after": {"operator": "兴隆街道融媒体中心", "name": "兴隆街道发布"},
    }),
    "revocation": (NJ, XL_ACCOUNT, {"reason": "批复所载账号名称有误"}),
}


def sample_notice(kind: str) -> Notice:
    unit, account, context = SAMPLES[kind]
    revokes = None
    if kind == "revocation":
        revokes = Notice(number="宁政办复〔2026〕3号", title="关于同意开设“兴隆发布”微信公众号账号的批复",
                         issued_on=datetime.date(2026, 11, 20), issuing_unit=NJ)
    facts = services._facts(kind=kind, account=account, issuing_unit=unit, context=context,
                            revokes=revokes)
    spec = get_kind(kind)
    return Notice(
        kind=kind, number=services.notice_number(unit=unit, series_word=spec.series_word,
                                                 year=2026, seq=3),
        title=notice_title(kind=kind, context=facts), issuing_unit=unit, account=account,
        issued_on=datetime.date(2026, 11, 26), context=facts, year=2026, seq=3,
    )


def side_by_side(pdf: Path, target: Path, dpi: int, max_pages: int = 3) -> None:
    """All pages (up to max_pages) next to each other in one PNG. Each page is rendered by
    pdftoppm on its own (with its annotations: the seal is the signature widget's
    appearance), then the images are joined; merging the PDF pages would leave page 2's
    seal at page 1's coordinates."""
    from PIL import Image

    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-l", str(max_pages), str(pdf),
                    str(pdf.with_suffix(""))], check=True)
    images = [Image.open(p) for p in sorted(pdf.parent.glob(f"{pdf.stem}-*.png"))]
    sheet = Image.new("RGB", (sum(i.width for i in images), max(i.height for i in images)),
                      "white")
    x = 0
    for image in images:
        sheet.paste(image, (x, 0))
        x += image.width
    sheet.save(target)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent))
    parser.add_argument("--dpi", type=int, default=60)
    parser.add_argument("--all-pages", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    authority = signing.new_demo_authority()  # in memory: no database needed
    seals: dict[str, signing.UnitSeal] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in KINDS:
            notice = sample_notice(kind)
            rendered = render_notice_pdf(notice)
            unit = notice.issuing_unit
            seal = seals.setdefault(unit.code, signing.new_demo_seal(unit, authority))
            rendered.data = signing.sign_pdf(
                rendered.data, seal=seal, anchor=signing.Anchor(*rendered.anchor))
            pdf = Path(tmp) / f"{kind}.pdf"
            pdf.write_bytes(rendered.data)
            if args.all_pages:
                subprocess.run(["pdftoppm", "-png", "-r", str(args.dpi), str(pdf),
                                str(out / kind)], check=True)
            else:
                side_by_side(pdf, out / f"{kind}.png", args.dpi)
            print(f"{kind}: {rendered.pages} page(s), {len(rendered.data)} bytes")


if __name__ == "__main__":
    main()
