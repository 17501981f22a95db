"""Every notice is sealed and signed (PAdES, pyHanko) in the render job: the seal is the
visible signature over the issuing body's name and date; the signature verifies, and a
tampered or re-signed copy does not. Keys are encrypted at rest; production refuses sample
seals; units without a seal fail with the reason when demo seals are off."""

from __future__ import annotations

import io

import pdfplumber
import pytest
from pypdf import PdfReader

from notices import signing
from notices.models import NoticeStatus, UnitSeal

MM = 72 / 25.4


def rendered(issue, capture, kind="opening_approval", **kwargs):
    with capture(execute=True):
        notice = issue(kind, **kwargs)
    notice.refresh_from_db()
    return notice


def data_of(notice) -> bytes:
    with notice.pdf.open("rb") as fh:
        return fh.read()


@pytest.mark.django_db
def test_notice_is_signed_with_the_seal_over_name_and_date(
    world, issue, django_capture_on_commit_callbacks
):
    notice = rendered(issue, django_capture_on_commit_callbacks)
    assert notice.status == NoticeStatus.RENDERED, notice.failure_reason
    data = data_of(notice)
    seal = UnitSeal.objects.get(unit=world.u.nj)
    assert seal.sample and world.u.nj.name in notice.signer and notice.signer_serial
    check = signing.verify_pdf(data, expected_serial=notice.signer_serial)
    assert check.valid, check.reason
    assert check.certificate_valid and not check.modified_after_signing
    assert check.unit == world.u.nj.name
    # The visible appearance: the signature widget sits over the signature block.
    reader = PdfReader(io.BytesIO(data))
    page_index = next(i for i, p in enumerate(reader.pages)
                      for a in (p.get("/Annots") or []) if a.get_object().get("/FT") == "/Sig")
    widget = next(a.get_object() for a in reader.pages[page_index]["/Annots"]
                  if a.get_object().get("/FT") == "/Sig")
    x0, y0, x1, y1 = (float(v) for v in widget["/Rect"])
    assert abs((x1 - x0) - 36 * MM) < 1 and abs((y1 - y0) - 36 * MM) < 1
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[page_index]
        height = page.height
        name = [c for c in page.chars if c["size"] > 15 and c["text"] == "室"]
        date_day = [c for c in page.chars if c["size"] > 15 and c["text"] == "日"]
    name_char, day_char = name[-1], date_day[-1]
    # Name and date inside the seal, in its lower half (GB/T 9704 §7.3.5).
    centre_y = (y0 + y1) / 2
    for ch in (name_char, day_char):
        assert x0 < ch["x0"] and ch["x1"] < x1 + 40
        baseline = height - ch["bottom"]
        assert y0 < baseline < centre_y + 4 * MM


@pytest.mark.django_db
def test_tampered_and_resigned_copies_are_invalid(world, issue, django_capture_on_commit_callbacks):
    notice = rendered(issue, django_capture_on_commit_callbacks)
    data = data_of(notice)
    # One byte inside the signed range changed.
    at = data.index(b"/Producer") if b"/Producer" in data else len(data) // 3
    tampered = data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]
    check = signing.verify_pdf(tampered, expected_serial=notice.signer_serial)
    assert not check.valid and check.reason
    # Re-signed by someone else's (untrusted) certificate after the fact.
    other_ca = signing.new_demo_authority("伪造CA")  # not in the trusted authorities
    fake = signing.new_demo_seal(world.u.nj, other_ca)
    from notices.rendering import render_notice_pdf

    fresh = render_notice_pdf(notice)
    resigned = signing.sign_pdf(fresh.data, seal=fake, anchor=signing.Anchor(*fresh.anchor))
    check = signing.verify_pdf(resigned, expected_serial=notice.signer_serial)
    assert not check.valid and check.reason == str(signing.REASON_UNTRUSTED)
    # A second signature appended to the genuine file: the first no longer covers it all.
    appended = signing.sign_pdf(data, seal=fake, anchor=signing.Anchor(*fresh.anchor),
                                field_name="Seal2")
    check = signing.verify_pdf(appended, expected_serial=notice.signer_serial)
    assert not check.valid and check.reason == str(signing.REASON_UNTRUSTED)
    # The genuine signature inside it is no longer the whole file.
    first = signing.verify_pdf(appended, expected_serial=notice.signer_serial, index=0)
    assert not first.valid and first.modified_after_signing


@pytest.mark.django_db
def test_private_key_is_encrypted_at_rest(world, issue, django_capture_on_commit_callbacks):
    rendered(issue, django_capture_on_commit_callbacks)
    seal = UnitSeal.objects.get(unit=world.u.nj)
    assert b"ENCRYPTED PRIVATE KEY" in bytes(seal.key_encrypted)
    from cryptography.hazmat.primitives import serialization

    with pytest.raises(TypeError):  # unusable without the passphrase
        serialization.load_pem_private_key(bytes(seal.key_encrypted), password=None)


@pytest.mark.django_db
def test_production_refuses_sample_seals(world, issue, settings, django_capture_on_commit_callbacks):
    settings.NOTICE_ALLOW_SAMPLE_SEALS = False
    notice = rendered(issue, django_capture_on_commit_callbacks)
    assert notice.status == NoticeStatus.FAILED and "样章" in notice.failure_reason
    assert not notice.sha256


@pytest.mark.django_db
def test_unit_without_seal_fails_with_the_reason(world, issue, settings, django_capture_on_commit_callbacks):
    settings.NOTICE_DEMO_SEALS = False
    notice = rendered(issue, django_capture_on_commit_callbacks)
    assert notice.status == NoticeStatus.FAILED and "电子印章" in notice.failure_reason
    assert not notice.sha256



@pytest.mark.django_db
def test_signs_and_verifies_while_an_event_loop_runs_in_the_thread(
    world, issue, django_capture_on_commit_callbacks, monkeypatch
):
    """pyHanko's synchronous calls use asyncio.run; signing and verifying inside a thread that
    already runs a loop (playwright's sync API in the same process, an async worker) must
    still work. The database is read before the loop starts: inside it Django would open
    another connection."""
    import asyncio

    notice = rendered(issue, django_capture_on_commit_callbacks)
    data = data_of(notice)
    seal = UnitSeal.objects.get(unit=world.u.nj)
    assert bytes(seal.seal_png)  # loaded before the loop
    roots = signing.trust_roots()
    monkeypatch.setattr(signing, "trust_roots", lambda: roots)

    async def inside_loop():
        again = signing.sign_pdf(data, seal=seal, anchor=signing.Anchor(0, 300, 100, 400, 200),
                                 field_name="Countersign")
        return again, signing.verify_pdf(again, expected_serial=notice.signer_serial)

    again, check = asyncio.run(inside_loop())
    assert again.startswith(data) and len(again) > len(data)
    assert check.valid, check.reason


@pytest.mark.django_db
def test_seal_admin_is_for_the_security_administrator_only(
    client, world, issue, django_user_model, django_capture_on_commit_callbacks
):
    rendered(issue, django_capture_on_commit_callbacks)
    seal = UnitSeal.objects.get(unit=world.u.nj)
    world.p.nj_approver.is_staff = True
    world.p.nj_approver.save()
    client.force_login(world.p.nj_approver)
    assert client.get(f"/admin/notices/unitseal/{seal.pk}/change/").status_code in (302, 403, 404)
    # The system administrator (role admin) manages units and users, not seals.
    from lifecycle.models import Membership, Role
    from lifecycle.services import admin_role_grant

    sysadmin = django_user_model.objects.create_user("sysadmin", "a@example.org", "x", is_staff=True)
    Membership.objects.create(user=sysadmin, unit=world.u.nj, role=Role.ADMIN)
    client.force_login(sysadmin)
    assert client.get(f"/admin/notices/unitseal/{seal.pk}/change/").status_code in (302, 403, 404)
    boss = django_user_model.objects.create_user("secadmin", "s@example.org", "x")
    admin_role_grant(user=boss, role="security")
    client.force_login(boss)
    page = client.get(f"/admin/notices/unitseal/{seal.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "PRIVATE KEY" not in body and "key_encrypted" not in body
    assert 'type="password"' in body  # the key passphrase is write-only


@pytest.mark.django_db
def test_repeated_signing_reuses_key_seal_and_reservation_and_stays_valid(
    world, issue, django_capture_on_commit_callbacks
):
    """The per-process caches (decrypted key, encoded seal image, reserved signature size)
    change nothing a verifier sees; a reservation found too small falls back to pyHanko's
    estimate."""
    from notices.rendering import render_notice_pdf

    notice = rendered(issue, django_capture_on_commit_callbacks)
    seal = UnitSeal.objects.get(unit=world.u.nj)
    out = render_notice_pdf(notice)
    anchor = signing.Anchor(*out.anchor)
    first = signing.sign_pdf(out.data, seal=seal, anchor=anchor)
    key = seal.cert_pem + (seal.chain_pem or "")
    assert signing._RESERVED[key] > 1000  # taken from the first signature
    second = signing.sign_pdf(out.data, seal=seal, anchor=anchor)
    signing._RESERVED[key] = 64  # too small: the signer must fall back, not fail
    third = signing.sign_pdf(out.data, seal=seal, anchor=anchor)
    assert signing._RESERVED[key] > 1000
    for data in (first, second, third):
        check = signing.verify_pdf(data, expected_serial=notice.signer_serial)
        assert check.valid, check.reason
        # The seal image is in the signature's appearance, with its transparency mask.
        assert data[len(out.data):].count(b"/SMask") == 1
    assert signing._signer(seal) is signing._signer(seal)  # decrypted once
