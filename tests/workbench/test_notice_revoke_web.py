"""Revoking a notice from the archive page: the issuing unit's approver issues a 撤销通知,
the original is marked revoked (never edited) and verification says so; others cannot."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notices.models import Notice, NoticeStatus
from tests.notices.conftest import flat, pdf_text

pytestmark = pytest.mark.django_db


def test_the_issuing_unit_revokes_a_notice_from_its_page(
    world, issue, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        original = issue("opening_approval")  # issued by 南京市政府办 (world.u.nj)
    client.force_login(world.p.nj_approver)
    page = client.get(reverse("notices:detail", args=[original.pk])).content.decode()
    assert 'data-testid="revoke-form"' in page
    url = reverse("notices:revoke", args=[original.pk])
    empty = client.post(url, {"reason": " "})
    assert empty.status_code == 400 and Notice.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "批复所载账号名称有误", "replacement": "更正后另行批复"})
    assert response.status_code == 302
    revocation = Notice.objects.get(kind="revocation")
    assert response["Location"] == reverse("notices:detail", args=[revocation.pk])
    original.refresh_from_db()
    assert original.status == NoticeStatus.REVOKED and original.sha256
    assert revocation.issuing_unit == original.issuing_unit and revocation.revokes == original
    text = flat(pdf_text(revocation))
    assert original.number in text and "批复所载账号名称有误" in text and "更正后另行批复" in text
    verify = client.get("/api/public/verify/", {"number": original.number}).json()
    assert verify["revoked"] is True
    # A revoked notice offers no second revocation.
    page = client.get(reverse("notices:detail", args=[original.pk])).content.decode()
    assert 'data-testid="revoke-form"' not in page


def test_someone_outside_the_issuing_unit_cannot_revoke(world, issue, client,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        original = issue("filing_receipt", unit=world.u.jy)
    client.force_login(world.p.nj_approver)  # reads it (above 建邺) but did not issue it
    page = client.get(reverse("notices:detail", args=[original.pk]))
    assert 'data-testid="revoke-form"' not in page.content.decode()
    response = client.post(reverse("notices:revoke", args=[original.pk]), {"reason": "x"})
    assert response.status_code in (403, 404)
    original.refresh_from_db()
    assert original.status != NoticeStatus.REVOKED
    assert not Notice.objects.filter(kind="revocation").exists()
