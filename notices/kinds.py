"""The registry of notice kinds (DESIGN §7).

Adding a kind = one entry here + one folder `templates/notices/<kind>/` holding
`subject.txt` (the title, plain text) and `body.html` (extends the GB/T 9704 base).
No other code changes: numbering, rendering, archive and verification read this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NoticeKind:
    code: str
    label: str  # what the archive shows
    legal_type: str  # 文种 (中办发〔2012〕14号), or 回执 for the system receipt
    series: str  # key of settings.NOTICE_SERIES_WORDS
    public: bool = False  # announcements are addressed to the public (no 主送机关)
    published: bool = False  # made public (通报 of inspections): its PDF is readable without login

    @property
    def readable_by_public(self) -> bool:
        return self.public or self.published

    @property
    def series_word(self) -> str:
        return settings.NOTICE_SERIES_WORDS[self.series]

    @property
    def subject_template(self) -> str:
        return f"notices/{self.code}/subject.txt"

    @property
    def body_template(self) -> str:
        return f"notices/{self.code}/body.html"


REVOCATION = "revocation"

KINDS: dict[str, NoticeKind] = {
    k.code: k
    for k in (
        NoticeKind("opening_approval", _("开设批复"), "批复", "approval"),
        NoticeKind("filing_receipt", _("备案回执"), "回执", "receipt"),
        NoticeKind("rectification_order", _("整改通知"), "通知", "order"),
        NoticeKind("inspection_report", _("检查通报"), "通报", "order", published=True),
        NoticeKind("closure_announcement", _("关停公告"), "公告", "announcement", public=True),
        NoticeKind("merger_announcement", _("整合公告"), "公告", "announcement", public=True),
        NoticeKind("change_filing", _("变更备案函"), "函", "letter"),
        # A correction is never an edit: a new notice that revokes the old one.
        NoticeKind(REVOCATION, _("撤销通知"), "通知", "order"),
    )
}


def kind_choices() -> list[tuple[str, str]]:
    return [(k.code, k.label) for k in KINDS.values()]


def get_kind(code: str) -> NoticeKind:
    return KINDS[code]
