from __future__ import annotations

import os
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from notices import services
from notices.models import Notice, NoticeStatus
from notices.rendering import ERR_FONT_MISSING

BROKEN_FONTS = {
    "fangsong": {"families": ["No Such FangSong 仿宋"], "weight": 400},
    "xiaobiaosong": {"families": ["Noto Serif CJK SC"], "weight": 700},
    "heiti": {"families": ["Noto Sans CJK SC"], "weight": 400},
    "kaiti": {"families": ["Noto Serif CJK SC"], "weight": 400},
    "songti": {"families": ["Noto Serif CJK SC"], "weight": 400},
}


@pytest.mark.django_db
def test_it_renders_once(world, issue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue("filing_receipt", unit=world.u.jy, context={"live_on": "2026-11-26"})
    notice.refresh_from_db()
    first = (notice.pdf.name, notice.sha256, notice.rendered_at)
    folder = os.path.dirname(notice.pdf.path)
    files_before = sorted(os.listdir(folder))
    with mock.patch("notices.services.render_notice_pdf") as render:
        again = services.notice_render(notice=notice)
    render.assert_not_called()
    assert (again.pdf.name, again.sha256, again.rendered_at) == first
    assert sorted(os.listdir(folder)) == files_before


@pytest.mark.django_db
def test_it_marks_failed_with_reason_and_keeps_the_notice(
    world, issue, settings, django_capture_on_commit_callbacks
):
    settings.NOTICE_FONTS = BROKEN_FONTS
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue("opening_approval")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.FAILED
    assert "No Such FangSong" in notice.failure_reason
    assert str(ERR_FONT_MISSING).split("：")[0] in notice.failure_reason
    assert not notice.pdf and notice.sha256 == ""
    assert Notice.objects.filter(pk=notice.pk).exists()  # the approval's notice stays


@pytest.mark.django_db
def test_it_records_a_render_crash(world, issue, django_capture_on_commit_callbacks):
    with mock.patch("notices.services.render_notice_pdf", side_effect=MemoryError("boom")):
        with django_capture_on_commit_callbacks(execute=True):
            notice = issue("opening_approval")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.FAILED
    # the details behind an error id (issue 12 item 8: users see only the id)
    assert notice.failure_reason == f"[{notice.failure_id}] MemoryError: boom"
    assert len(notice.failure_id) == 12


@pytest.mark.django_db
def test_it_rerenders_failed_notices_with_the_command(
    world, issue, settings, django_capture_on_commit_callbacks, capsys
):
    real_fonts = settings.NOTICE_FONTS
    settings.NOTICE_FONTS = BROKEN_FONTS
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue("opening_approval")
    with pytest.raises(CommandError):
        call_command("render_notices")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.FAILED

    settings.NOTICE_FONTS = real_fonts  # the font volume is back
    call_command("render_notices")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.RENDERED and notice.failure_reason == ""
    assert "rendered=1 failed=0" in capsys.readouterr().out


@pytest.mark.django_db
def test_it_picks_up_stale_pending_notices(world, issue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the job got lost
        notice = issue("opening_approval")
    call_command("render_notices")  # too young: left alone
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.PENDING
    call_command("render_notices", "--pending-older-than", "0")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.RENDERED


@pytest.mark.django_db
def test_it_rerenders_from_the_admin_action(
    world, issue, settings, admin_client, django_capture_on_commit_callbacks
):
    real_fonts = settings.NOTICE_FONTS
    settings.NOTICE_FONTS = BROKEN_FONTS
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue("opening_approval")
    settings.NOTICE_FONTS = real_fonts
    response = admin_client.post(
        "/admin/notices/notice/",
        {"action": "rerender_failed", "_selected_action": [notice.pk]},
        follow=True,
    )
    assert response.status_code == 200
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.RENDERED


@pytest.mark.django_db
def test_it_retries_a_failed_render_in_a_real_worker(world, issue, settings):
    from notices import tasks

    settings.NOTICE_FONTS = BROKEN_FONTS
    with mock.patch("notices.tasks.notice_render.delay"):
        notice = issue("opening_approval")
    task = tasks.notice_render
    task.push_request(is_eager=False, retries=0)  # as a real worker would
    try:
        with mock.patch.object(task, "retry", side_effect=RuntimeError("retry")) as retry:
            with pytest.raises(RuntimeError, match="retry"):
                task.run(notice.pk)
    finally:
        task.pop_request()
    retry.assert_called_once()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.FAILED


@pytest.mark.django_db
def test_it_writes_one_file_when_two_renders_race(
    world, issue, settings, tmp_path, django_capture_on_commit_callbacks
):
    from notices import rendering

    settings.MEDIA_ROOT = str(tmp_path)  # an empty archive folder to count files in
    with django_capture_on_commit_callbacks(execute=False):
        notice = issue("opening_approval")
    real = rendering.render_notice_pdf
    calls = []

    def slow_render(n):
        if not calls:  # the other worker finishes while this one is still rendering
            calls.append(1)
            services.notice_render(notice=Notice.objects.get(pk=n.pk))
        return real(n)

    with mock.patch("notices.services.render_notice_pdf", side_effect=slow_render):
        result = services.notice_render(notice=Notice.objects.get(pk=notice.pk))
    winner = Notice.objects.get(pk=notice.pk)
    assert result.sha256 == winner.sha256
    folder = os.path.dirname(winner.pdf.path)
    assert sorted(os.listdir(folder)) == sorted(
        [os.path.basename(winner.pdf.name), os.path.basename(winner.sheet_pdf.name)]
    )


@pytest.mark.django_db
def test_a_render_failure_shows_users_an_error_id_not_the_exception(
    world, issue, client, caplog, django_capture_on_commit_callbacks
):
    """Issue 12 item 8 (the finding: a render failure showed the raw exception)."""
    secret = "TemplateSyntaxError: /srv/govmedia/notices/templates/x.html line 3"
    with mock.patch("notices.services.render_notice_pdf", side_effect=RuntimeError(secret)):
        with django_capture_on_commit_callbacks(execute=True):
            notice = issue("opening_approval")
    notice.refresh_from_db()
    error_id = notice.failure_id
    assert error_id and notice.status == NoticeStatus.FAILED
    # the log line carries the id and the details
    assert any(error_id in r.getMessage() and r.exc_info for r in caplog.records)

    client.force_login(world.p.nj_archivist)
    page = client.get(f"/notices/{notice.pk}/").content.decode()
    assert f"生成失败，错误编号 {error_id}" in page
    assert "/srv/govmedia" not in page and "RuntimeError" not in page
    api = client.get(f"/api/notices/{notice.pk}/").content.decode()
    assert "/srv/govmedia" not in api and "RuntimeError" not in api


@pytest.mark.django_db
def test_an_over_limit_render_fails_cleanly_and_is_retried(
    world, issue, settings, django_capture_on_commit_callbacks
):
    """Issue 12 item 8: the renderer has a time limit (in-process guard; the Celery task
    has soft/hard limits); the failed job is retried later and renders."""
    import time

    from notices import tasks

    assert tasks.notice_render.soft_time_limit == settings.NOTICE_RENDER_TIME_LIMIT
    assert tasks.notice_render.time_limit > tasks.notice_render.soft_time_limit

    real = services.render_notice_pdf

    def slow(notice):
        time.sleep(5)  # an endless layout, as a hostile input would cause
        return real(notice)

    settings.NOTICE_RENDER_TIME_LIMIT = 0.3
    started = time.monotonic()
    with mock.patch("notices.services.render_notice_pdf", side_effect=slow):
        with django_capture_on_commit_callbacks(execute=True):
            notice = issue("opening_approval")
    assert time.monotonic() - started < 4
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.FAILED and notice.failure_id
    assert "render exceeded 0.3 s" in notice.failure_reason

    settings.NOTICE_RENDER_TIME_LIMIT = 120
    tasks.notice_render.apply(args=[notice.pk])  # the retry
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.RENDERED and notice.failure_reason == ""
