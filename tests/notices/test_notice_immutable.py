from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from notices import services
from notices.models import ERR_IMMUTABLE, Notice, NoticeImmutable, NoticeStatus
from tests.notices.conftest import flat, pdf_text


@pytest.mark.django_db
def test_it_refuses_edits_after_rendering(world, issue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue("opening_approval")
    notice = Notice.objects.get(pk=notice.pk)
    notice.title = "改过的标题"
    with pytest.raises(NoticeImmutable, match=str(ERR_IMMUTABLE)):
        notice.save()
    with pytest.raises(NoticeImmutable):
        notice.delete()
    assert Notice.objects.get(pk=notice.pk).title != "改过的标题"


@pytest.mark.django_db
def test_it_revokes_only_through_a_revoking_notice(
    world, issue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        original = issue("opening_approval")
        revocation = issue("revocation", revokes=original, context={"reason": "账号名称有误"})
    original.refresh_from_db()
    revocation.refresh_from_db()
    assert original.status == NoticeStatus.REVOKED
    assert original.sha256  # the archived PDF is untouched
    assert revocation.status == NoticeStatus.RENDERED
    assert revocation.account == original.account
    text = flat(pdf_text(revocation))
    assert original.number in text and "现予撤销" in text and "账号名称有误" in text
    assert revocation.title == f"关于撤销《{original.title}》的通知"


@pytest.mark.django_db
def test_it_refuses_double_and_misplaced_revocations(
    world, issue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        original = issue("opening_approval")
        issue("revocation", revokes=original)
    with pytest.raises(ValidationError, match=str(services.ERR_ALREADY_REVOKED)):
        issue("revocation", revokes=original)
    with pytest.raises(ValidationError, match=str(services.ERR_REVOKES_REQUIRED)):
        issue("revocation")
    with pytest.raises(ValidationError, match=str(services.ERR_REVOKES_ONLY_FOR_REVOCATION)):
        issue("opening_approval", revokes=original)


@pytest.mark.django_db
def test_it_keeps_revoked_status_when_a_pending_notice_renders_later(
    world, issue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        original = issue("opening_approval")
        issue("revocation", revokes=original)
    services.notice_render(notice=original)
    original.refresh_from_db()
    assert original.sha256 and original.status == NoticeStatus.REVOKED
