"""Electronic seals and PAdES signatures of notices (pyHanko).

* Each issuing unit has a `UnitSeal`: the seal image, its signing certificate (+ chain) and
  its private key, encrypted at rest with `settings.NOTICE_KEY_PASSPHRASE` (default derived
  from SECRET_KEY). The key never leaves this module: no view, API or admin shows it.
* `sign_notice_pdf` signs the rendered PDF (PAdES B-B, SHA-256) inside the render job with
  the seal as the visible appearance, placed as GB/T 9704 §7.3.5 places the 印章: centred
  on the issuing body's name and date, which sit in its lower half.
* Demo material (`make run`, tests): a local demo CA, per-unit demo certificates and a
  generated seal marked 「样章」. Production (`NOTICE_ALLOW_SAMPLE_SEALS = False`) refuses it.
* `verify_pdf` checks a PDF's signature: intact, covering the whole file (nothing added
  after signing), by a certificate chaining to a trusted authority and valid at signing.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import io
import logging
import math
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from notices.models import SigningAuthority, UnitSeal

logger = logging.getLogger(__name__)

DEMO_CA_NAME = "govmedia 演示CA（仅供测试）"
SIGNATURE_FIELD = "Seal"
MM = 72 / 25.4

ERR_NO_SEAL = _("发文单位「{unit}」没有电子印章和签名证书，请安全管理员配置后重新生成。")
ERR_SAMPLE_SEAL = _("发文单位「{unit}」的印章是样章（演示材料），不得用于正式公文。")
ERR_NO_ANCHOR = _("找不到发文机关署名的位置，无法加盖印章。")

# Why a signature is not valid, as the verification page says it.
REASON_UNSIGNED = _("文件没有电子签名。")
REASON_BROKEN = _("签名已损坏：签名后文件内容被修改。")
REASON_MODIFIED = _("签名后文件被追加修改。")
REASON_UNTRUSTED = _("签名证书不是受信任的机构颁发的。")
REASON_EXPIRED = _("签名证书在签名时不在有效期内。")
REASON_OTHER_SIGNER = _("签名人不是该公文的发文单位。")


# -- who may manage seals ----------------------------------------------------------------------




def may_manage_seals(user: Any) -> bool:
    """The one check for seal and certificate management (三员分立): the security
    administrator (appointed with `manage.py admin_role USER security`), or the installer
    (a superuser). The system administrator (role admin) and business roles never qualify."""
    from lifecycle.services import ADMIN_ROLES

    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return bool(user.groups.filter(name=ADMIN_ROLES["security"]).exists())


# -- keys at rest ------------------------------------------------------------------------------


def _passphrase() -> bytes:
    configured = getattr(settings, "NOTICE_KEY_PASSPHRASE", "")
    if configured:
        return configured.encode()
    return hashlib.sha256(b"govmedia-notice-keys:" + settings.SECRET_KEY.encode()).hexdigest().encode()


def encrypt_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(_passphrase()),
    )


def decrypt_key(data: bytes) -> Any:
    return serialization.load_pem_private_key(bytes(data), password=_passphrase())


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


# -- demo material -----------------------------------------------------------------------------


def _name(common: str, org: str = "", unit_code: str = "") -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN")]
    if org:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    if unit_code:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit_code))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, common))
    return x509.Name(parts)


def new_demo_authority(name: str = DEMO_CA_NAME) -> SigningAuthority:
    """A fresh demo CA (unsaved): self-signed, its key encrypted."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    subject = _name(name, "govmedia demo")
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return SigningAuthority(name=name, cert_pem=_pem(cert), key_encrypted=encrypt_key(key),
                            sample=True)


def demo_authority() -> SigningAuthority:
    """The local demo CA (created once, its key encrypted at rest)."""
    found = SigningAuthority.objects.filter(name=DEMO_CA_NAME).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            authority = new_demo_authority()
            authority.save()
            return authority
    except IntegrityError:  # a concurrent render created it first
        return SigningAuthority.objects.get(name=DEMO_CA_NAME)


def issue_certificate(
    *, authority: SigningAuthority, common_name: str, unit_code: str, days: int = 1825,
    not_before: datetime.datetime | None = None,
) -> tuple[Any, x509.Certificate]:
    """A signing key and certificate for a unit, issued by `authority` (which has a key)."""
    ca_key = decrypt_key(authority.key_encrypted)
    ca_cert = x509.load_pem_x509_certificate(authority.cert_pem.encode())
    key = ec.generate_private_key(ec.SECP256R1())
    start = not_before or datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    cert = (
        x509.CertificateBuilder().subject_name(_name(common_name, common_name, unit_code))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


@lru_cache(maxsize=1)
def _seal_font_path() -> str | None:
    fc_match = shutil.which("fc-match")
    if not fc_match:
        return None
    for family in settings.NOTICE_FONTS["xiaobiaosong"]["families"]:
        out = subprocess.run([fc_match, "-f", "%{file}", f"{family}:bold"], capture_output=True,
                             text=True, timeout=10, check=False).stdout.strip()
        if out:
            return out
    return None


@lru_cache(maxsize=64)
def sample_seal_png(name: str, *, size: int = 400) -> bytes:
    """A round red seal: the unit's name along the top arc, a star, 「样章」 across the middle.
    Transparent background (the text under it stays readable)."""
    from PIL import Image, ImageDraw, ImageFont

    red = (230, 0, 18, 235)
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    c = size / 2
    ring = size * 0.035
    draw.ellipse((ring / 2, ring / 2, size - ring / 2, size - ring / 2), outline=red,
                 width=int(ring))
    # Five-pointed star in the centre.
    r_out, r_in = size * 0.14, size * 0.055
    points = []
    for i in range(10):
        r = r_out if i % 2 == 0 else r_in
        a = -math.pi / 2 + i * math.pi / 5
        points.append((c + r * math.cos(a), c - size * 0.02 + r * math.sin(a)))
    draw.polygon(points, fill=red)
    path = _seal_font_path()

    def font(px: float):
        return ImageFont.truetype(path, int(px)) if path else ImageFont.load_default()

    # The name along the upper arc, each character rotated to face the centre.
    chars = list(name)[:20] or ["印"]
    span = math.radians(min(250, 24 * len(chars)))
    glyph = size * 0.12
    radius = c - ring - glyph * 0.75
    for i, ch in enumerate(chars):
        angle = -math.pi / 2 - span / 2 + span * (i + 0.5) / len(chars)
        tile = Image.new("RGBA", (int(glyph * 1.4), int(glyph * 1.4)), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((tile.width / 2, tile.height / 2), ch, font=font(glyph),
                                  fill=red, anchor="mm")
        tile = tile.rotate(-math.degrees(angle + math.pi / 2), resample=Image.BICUBIC)
        x = c + radius * math.cos(angle) - tile.width / 2
        y = c + radius * math.sin(angle) - tile.height / 2
        image.alpha_composite(tile, (int(x), int(y)))
    draw.text((c, c + size * 0.25), "样章", font=font(size * 0.13), fill=red, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def new_demo_seal(unit: Any, authority: SigningAuthority) -> UnitSeal:
    """A demo seal for `unit` (unsaved): certificate from `authority`, 「样章」 image."""
    key, cert = issue_certificate(authority=authority, common_name=unit.name, unit_code=unit.code)
    return UnitSeal(
        unit=unit, seal_png=sample_seal_png(unit.name), cert_pem=_pem(cert),
        chain_pem=authority.cert_pem, key_encrypted=encrypt_key(key), sample=True,
    )


def ensure_demo_seal(unit: Any) -> UnitSeal:
    """The unit's seal; a demo one (demo CA certificate, 「样章」 image) when it has none."""
    existing = UnitSeal.objects.filter(unit=unit).first()
    if existing is not None:
        return existing
    seal = new_demo_seal(unit, demo_authority())
    try:
        with transaction.atomic():
            seal.save()
            return seal
    except IntegrityError:
        return UnitSeal.objects.get(unit=unit)


# -- signing ------------------------------------------------------------------------------------


class SealError(Exception):
    """The notice cannot be sealed (no seal, sample seal in production, no place for it)."""


@dataclass(frozen=True)
class Anchor:
    """Where the issuing body's name and date are: page index and box in PDF points
    (origin bottom left)."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float


def seal_for(unit: Any) -> UnitSeal:
    seal = UnitSeal.objects.filter(unit=unit).first()
    if seal is None and settings.NOTICE_DEMO_SEALS:
        seal = ensure_demo_seal(unit)
    if seal is None:
        raise SealError(str(ERR_NO_SEAL).format(unit=unit.name))
    if seal.sample and not settings.NOTICE_ALLOW_SAMPLE_SEALS:
        raise SealError(str(ERR_SAMPLE_SEAL).format(unit=unit.name))
    return seal


def seal_box(anchor: Anchor) -> tuple[float, float, float, float]:
    """The seal's square on the page: centred over the name and date, which sit in its lower
    half (§7.3.5); its top stays within the line above the name."""
    d = settings.NOTICE_SEAL_DIAMETER_MM * MM
    cx = (anchor.x0 + anchor.x1) / 2
    cy = anchor.y1 - 8 * MM  # 8 mm below the top of the name line
    return (cx - d / 2, cy - d / 2, cx + d / 2, cy + d / 2)


def _signer(seal: UnitSeal):
    return _signer_for(seal.cert_pem, seal.chain_pem or "", bytes(seal.key_encrypted),
                       _passphrase())


@lru_cache(maxsize=64)
def _signer_for(cert_pem: str, chain_pem: str, key_encrypted: bytes, passphrase: bytes):
    """The pyHanko signer of a seal, its key decrypted once per process (keyed by the
    certificate, the encrypted key and the passphrase: a new key or passphrase is a new
    entry)."""
    from pyhanko.keys import load_certs_from_pemder_data
    from pyhanko.keys.internal import translate_pyca_cryptography_key_to_asn1
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    (cert,) = list(load_certs_from_pemder_data(cert_pem.encode()))
    chain = list(load_certs_from_pemder_data(chain_pem.encode())) if chain_pem else []
    key = serialization.load_pem_private_key(key_encrypted, password=passphrase)
    return signers.SimpleSigner(
        signing_cert=cert,
        signing_key=translate_pyca_cryptography_key_to_asn1(key),
        cert_registry=SimpleCertificateStore.from_certs([cert, *chain]),
    )


@dataclass(frozen=True)
class _EncodedSeal:
    """The seal image as PDF image XObject data, decoded and Flate-compressed once per
    process (pyHanko's PdfImage would decode the PNG and compress it on every signature)."""

    image: Any  # the PIL image (its size lays the stamp out)
    colour: bytes  # /DeviceRGB or /DeviceGray samples, Flate-compressed
    gray: bool
    alpha: bytes | None  # the /SMask samples, Flate-compressed

    def add_to(self, writer: Any) -> Any:
        from pyhanko.pdf_utils import generic
        from pyhanko.pdf_utils.generic import pdf_name

        def stream(data: bytes, gray: bool) -> Any:
            return generic.StreamObject({
                pdf_name("/Type"): pdf_name("/XObject"), pdf_name("/Subtype"): pdf_name("/Image"),
                pdf_name("/Width"): generic.NumberObject(self.image.width),
                pdf_name("/Height"): generic.NumberObject(self.image.height),
                pdf_name("/ColorSpace"): pdf_name("/DeviceGray" if gray else "/DeviceRGB"),
                pdf_name("/BitsPerComponent"): generic.NumberObject(8),
                pdf_name("/Filter"): pdf_name("/FlateDecode"),
            }, encoded_data=data)

        image = stream(self.colour, self.gray)
        if self.alpha is not None:
            image[pdf_name("/SMask")] = writer.add_object(stream(self.alpha, True))
        return writer.add_object(image)


@lru_cache(maxsize=64)
def _encoded_seal(png: bytes) -> _EncodedSeal:
    import zlib

    from PIL import Image

    image = Image.open(io.BytesIO(png))
    image.load()
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    alpha = zlib.compress(image.split()[-1].tobytes()) if image.mode.endswith("A") else None
    base = image.convert(image.mode[:-1]) if image.mode.endswith("A") else image
    return _EncodedSeal(image=image, colour=zlib.compress(base.tobytes()),
                        gray=base.mode == "L", alpha=alpha)


def _seal_content(png: bytes) -> Any:
    """A pyHanko PdfImage that writes the cached XObject data into each document."""
    from pyhanko.pdf_utils.images import PdfImage

    encoded = _encoded_seal(png)

    class SealImage(PdfImage):
        @property
        def image_ref(self) -> Any:
            ref = self._image_ref
            if ref is None or ref.get_pdf_handler() is not self.writer:
                self._image_ref = ref = encoded.add_to(self.writer)
            return ref

    return SealImage(encoded.image)


# Bytes reserved for the CMS signature, per signer: pyHanko's estimate (a dry-run signature,
# + 50 %) taken from the first signature of the process, then reused (no dry run each time).
_RESERVED: dict[str, int] = {}
_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


def _outside_event_loop(fn: Any, /, *args: Any, **kwargs: Any) -> Any:
    """Call one of pyHanko's synchronous entry points, which run `asyncio.run` inside.
    Where this thread already runs an event loop (an async worker, playwright's sync API in
    the same process), asyncio.run refuses; the call then runs in a short-lived thread of its
    own. No database access happens inside `fn` (callers pass everything in)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


def sign_pdf(
    data: bytes, *, seal: UnitSeal, anchor: Anchor, reason: str = "",
    field_name: str = SIGNATURE_FIELD,
) -> bytes:
    """PAdES signature with the seal image as the visible appearance."""
    from pyhanko.pdf_utils import layout
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.general import SigningError
    from pyhanko.stamp import StaticStampStyle

    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    style = StaticStampStyle(
        background=_seal_content(bytes(seal.seal_png)), border_width=0, background_opacity=1.0,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID, y_align=layout.AxisAlignment.ALIGN_MID,
            margins=layout.Margins.uniform(0), inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
    )
    box = tuple(round(v, 2) for v in seal_box(anchor))
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES, reason=reason or None,
    )
    pdf_signer = signers.PdfSigner(
        meta, signer=_signer(seal), stamp_style=style,
        new_field_spec=fields.SigFieldSpec(field_name, on_page=anchor.page, box=box),
    )
    key = seal.cert_pem + (seal.chain_pem or "")
    reserved = _RESERVED.get(key)
    try:
        out = _outside_event_loop(pdf_signer.sign_pdf, writer, bytes_reserved=reserved)
    except SigningError:
        if reserved is None:
            raise
        # The reservation was too small after all: let pyHanko estimate again.
        _RESERVED.pop(key, None)
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        out = _outside_event_loop(pdf_signer.sign_pdf, writer)
        reserved = None
    signed = out.getvalue()
    if reserved is None:
        found = _BYTE_RANGE.findall(signed[len(data):])
        if found:
            _, first, second, _ = (int(v) for v in found[-1])
            _RESERVED[key] = second - first - 2  # the hex string between < >
    return signed


def signer_facts(seal: UnitSeal) -> tuple[str, str]:
    cert = x509.load_pem_x509_certificate(seal.cert_pem.encode())
    return cert.subject.rfc4514_string(), format(cert.serial_number, "x")


# -- verification ---------------------------------------------------------------------------------


@dataclass
class SignatureCheck:
    valid: bool
    signer: str = ""
    unit: str = ""
    serial: str = ""
    certificate_valid: bool = False
    modified_after_signing: bool = False
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid, "signer": self.signer or None, "unit": self.unit or None,
            "certificate_valid": self.certificate_valid,
            "modified_after_signing": self.modified_after_signing,
        }


def trust_roots() -> list[Any]:
    from pyhanko.keys import load_certs_from_pemder_data

    roots = []
    for pem in SigningAuthority.objects.values_list("cert_pem", flat=True):
        roots.extend(load_certs_from_pemder_data(pem.encode()))
    return roots


def verify_pdf(
    data: bytes, *, expected_serial: str = "", index: int = -1, roots: list[Any] | None = None,
    context: Any = None, reader: Any = None,
) -> SignatureCheck:
    """Check the PDF's (last) signature. `expected_serial`: the certificate the notice was
    signed with (Notice.signer_serial); another signer, even a trusted one, is invalid.
    `reader`: a pyHanko PdfFileReader already open on `data` (archive_check parses each PDF
    once for this and its other checks)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        if reader is None:
            reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # not a PDF, or one pyHanko cannot parse
        logger.info("verify: unreadable PDF: %s", exc)
        return SignatureCheck(valid=False, reason=str(REASON_UNSIGNED))
    if not signatures:
        return SignatureCheck(valid=False, reason=str(REASON_UNSIGNED))
    embedded = signatures[index]
    if context is None:  # a batch (archive_check) passes one context: paths are cached
        context = ValidationContext(trust_roots=trust_roots() if roots is None else roots,
                                    allow_fetching=False, revocation_mode="soft-fail")
    try:
        status = _outside_event_loop(validate_pdf_signature, embedded, context, skip_diff=True)
    except Exception as exc:
        logger.info("verify: signature check failed: %s", exc)
        return SignatureCheck(valid=False, reason=str(REASON_BROKEN))
    cert = status.signing_cert
    subject = cert.subject.human_friendly if cert is not None else ""
    unit = ""
    if cert is not None:
        unit = cert.subject.native.get("organization_name", "") or ""
    serial = format(cert.serial_number, "x") if cert is not None else ""
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    check = SignatureCheck(
        valid=False, signer=subject, unit=unit, serial=serial,
        certificate_valid=bool(status.trusted), modified_after_signing=not whole,
    )
    if not (status.intact and status.valid):
        check.reason = str(REASON_BROKEN)
    elif not whole:
        check.reason = str(REASON_MODIFIED)
    elif not status.trusted:
        check.reason = str(REASON_UNTRUSTED)
    elif expected_serial and serial != expected_serial:
        check.reason = str(REASON_OTHER_SIGNER)
    else:
        check.valid = True
    return check


def sign_rendered(notice: Any, rendered: Any) -> tuple[Any, str, str]:
    """Seal and sign a freshly rendered notice PDF: (signed RenderedPDF, signer, serial)."""
    from notices.rendering import RenderedPDF

    seal = seal_for(notice.issuing_unit)
    if rendered.anchor is None:
        raise SealError(str(ERR_NO_ANCHOR))
    data = sign_pdf(rendered.data, seal=seal, anchor=Anchor(*rendered.anchor),
                    reason=f"{notice.number} 电子印章")
    signer, serial = signer_facts(seal)
    return RenderedPDF(data=data, pages=rendered.pages, anchor=rendered.anchor), signer, serial
