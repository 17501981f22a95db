"""Verification of a notice: the number, the file's hash and the signature, summed up in ONE
verdict (the public page and GET/POST /api/public/verify/ show it as the headline).

Verdicts: `genuine` (真实有效), `revoked` (genuine but revoked), `mismatch` (文件不一致: the
file at hand is not the archived one), `invalid_signature` (签名无效: the archived file's or
the uploaded file's signature does not hold), `unknown` (no such number)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from notices.models import Notice, NoticeStatus
from notices.selectors import notice_by_number
from notices.signing import SignatureCheck, verify_pdf

GENUINE, REVOKED, MISMATCH, INVALID_SIGNATURE, UNKNOWN = (
    "genuine", "revoked", "mismatch", "invalid_signature", "unknown")
HEADLINES = {
    GENUINE: _("该公文真实有效。"),
    REVOKED: _("该公文真实存在，但已被撤销。"),
    MISMATCH: _("文件不一致"),
    INVALID_SIGNATURE: _("签名无效"),
    UNKNOWN: _("未查到该发文字号的公文。"),
}
REASON_HASH = _("文件的SHA-256与存档不一致：文件被修改过，或不是该公文。")


@dataclass
class Verdict:
    number: str
    notice: Notice | None
    verdict: str
    sha256: str | None = None
    hash_matches: bool | None = None
    signature: SignatureCheck | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def headline(self) -> str:
        return str(HEADLINES[self.verdict])

    @property
    def good(self) -> bool:
        return self.verdict == GENUINE

    @property
    def reason(self) -> str:
        return " ".join(self.reasons)


def _archived_bytes(notice: Notice) -> bytes | None:
    if not notice.pdf:
        return None
    try:
        with notice.pdf.open("rb") as fh:
            return fh.read()
    except OSError:
        return None


def verify_notice(number: str, *, data: bytes | None = None, sha256: str | None = None) -> Verdict:
    """Check `number`; with `data` (an uploaded PDF) its hash and signature, with `sha256`
    the hash; the archived copy's signature is checked in every case."""
    notice = notice_by_number(number)
    if notice is None:
        return Verdict(number=number, notice=None, verdict=UNKNOWN)
    if data is not None:
        sha256 = hashlib.sha256(data).hexdigest()
    result = Verdict(number=notice.number, notice=notice, verdict=GENUINE, sha256=sha256)
    if sha256 is not None:
        result.hash_matches = bool(notice.sha256) and notice.sha256 == sha256.lower()
    if notice.signer_serial:  # signed notices (those rendered before signing existed are not)
        checked = data if data is not None else _archived_bytes(notice)
        if checked is not None:
            result.signature = verify_pdf(checked, expected_serial=notice.signer_serial)
    if result.hash_matches is False:
        result.verdict = MISMATCH
        result.reasons.append(str(REASON_HASH))
        if result.signature is not None and not result.signature.valid:
            result.reasons.append(result.signature.reason)
    elif result.signature is not None and not result.signature.valid:
        result.verdict = INVALID_SIGNATURE
        result.reasons.append(result.signature.reason)
    elif notice.status == NoticeStatus.REVOKED:
        result.verdict = REVOKED
    return result


def verdict_json(result: Verdict) -> dict[str, Any]:
    """The fields the API adds to the public facts (DESIGN §8 verify)."""
    data: dict[str, Any] = {
        "verdict": result.verdict, "headline": result.headline, "reason": result.reason,
    }
    if result.signature is not None:
        data["signature"] = result.signature.as_json()
    return data
