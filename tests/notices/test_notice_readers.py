"""Who reads a notice (DESIGN §8 "Roles"): the owning unit (the account's unit), every unit on
the process's sign-off chain, the issuing unit, and the archivists of those units and of
their ancestors; superusers read everything. Other members of an ancestor unit do not.

One selector (notices.selectors.notices_for) answers for the API list, detail and PDF, the
archive pages and the admin; the tests below check each of them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient
from viewflow.workflow.models import Task

from approvals.models import TaskAssignment
from lifecycle import services as lifecycle_services
from notices.models import Notice, NoticeDownload
from notices.selectors import notices_for
from tests.approvals.helpers import apply_xl, decide

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(world):
    u, p = world.u, world.p

    def user(username, unit, role):
        return lifecycle_services.user_upsert(username=username, full_name=username,
                                              password="pw", memberships=[(unit, role)])

    return {
        **vars(p),
        "jy_inspector": user("jy_inspector", u.jy, "inspector"),
        "jy_archivist": user("jy_archivist", u.jy, "archivist"),
        "js_archivist": user("js_archivist", u.js, "archivist"),
        "jb_archivist": user("jb_archivist", u.jb, "archivist"),
        "sq_clerk": user("sq_clerk", u.sq, "applicant"),
        "boss": lifecycle_services.user_upsert(username="boss", full_name="boss", password="pw",
                                               memberships=[]),
    }


def readers(people, notice) -> set[str]:
    people["boss"].is_superuser = True
    people["boss"].save()
    return {name for name, user in people.items() if notices_for(user).filter(pk=notice.pk)}


ALL = {"xl_clerk", "xl_head", "jy_approver", "nj_approver", "jb_approver", "jbdp_clerk",
       "nj_archivist", "njzj_clerk", "njzj_head", "jy_inspector", "jy_archivist",
       "js_archivist", "jb_archivist", "sq_clerk", "boss"}


def test_the_owning_unit_and_the_archivists_above_it_read_a_notice_without_process(
    world, issue, people
):
    notice = issue("closure_announcement", unit=world.u.xl, account=world.xl_account,
                   actor=world.p.xl_clerk, context={"reason": "测试", "stop_on": "2026-12-15"})
    assert set(people) == ALL
    assert readers(people, notice) == {
        "xl_clerk", "xl_head",  # the owning unit, which issued it too
        "jy_archivist", "nj_archivist", "js_archivist",  # archivists of its ancestors
        "boss",
    }
    # Members of an ancestor in other roles (建邺's approver and inspector) and of a unit
    # below the owning unit do not read it; nor does another district's archivist.


def test_every_unit_on_the_chain_reads_the_notice_of_its_process(world, people, nanjing):
    process = apply_xl(nanjing, name="兴隆服务号", platform="douyin")
    for actor in (nanjing.p.xl_head, nanjing.p.jy_approver, nanjing.p.nj_approver):
        decide(process, actor)
    notice = Notice.objects.get(process_id=process.pk, kind="opening_approval")
    assert notice.issuing_unit == world.u.nj
    assert readers(people, notice) == {
        "xl_clerk", "xl_head",  # owning unit (and the chain's first step)
        "jy_approver", "jy_inspector",  # 建邺 is on the chain: the unit, whatever the role
        "nj_approver",  # the last step, and the issuing unit
        "jy_archivist", "nj_archivist", "js_archivist",
        "boss",
    }


def test_the_issuing_unit_reads_what_it_signed(world, issue, people):
    notice = issue("rectification_order", unit=world.u.njzj, account=world.xl_account,
                   actor=world.p.njzj_head)
    assert readers(people, notice) == {
        "xl_clerk", "xl_head",  # owning unit
        "njzj_clerk", "njzj_head",  # issuing unit
        "jy_archivist", "nj_archivist", "js_archivist",
        "boss",
    }


def test_data_steps_do_not_make_a_unit_a_reader(world, people, nanjing):
    """Only chain steps (unit head, approvers) count; a data step (here a recheck assigned
    to 江北's supervisor reviewers) does not put its unit on the chain."""
    process = apply_xl(nanjing, name="兴隆服务号", platform="douyin")
    for actor in (nanjing.p.xl_head, nanjing.p.jy_approver, nanjing.p.nj_approver):
        decide(process, actor)
    notice = Notice.objects.get(process_id=process.pk, kind="opening_approval")
    task = Task.objects.filter(process_id=process.pk).first()
    step = TaskAssignment.objects.create(task=task, unit=world.u.jb, role="supervisor_reviewer")
    assert "jb_approver" not in readers(people, notice)
    step.role = "approver"  # e.g. a countersign by 江北
    step.save()
    assert "jb_approver" in readers(people, notice)


# -- every channel uses the selector ------------------------------------------------------


@pytest.fixture
def closure(world, issue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = issue("closure_announcement", unit=world.u.xl, account=world.xl_account,
                       actor=world.p.xl_clerk,
                       context={"reason": "测试", "stop_on": "2026-12-15"})
    notice.refresh_from_db()
    assert notice.is_rendered
    return notice


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_applies_the_rule(world, closure):
    outsider, reader = api(world.p.jy_approver), api(world.p.xl_clerk)
    assert outsider.get("/api/notices/").json()["count"] == 0
    assert outsider.get(f"/api/notices/{closure.pk}/").status_code == 404
    assert outsider.get(f"/api/notices/{closure.pk}/pdf/").status_code == 404
    assert [r["id"] for r in reader.get("/api/notices/").json()["results"]] == [closure.pk]
    assert reader.get(f"/api/notices/{closure.pk}/").status_code == 200
    assert reader.get(f"/api/notices/{closure.pk}/pdf/").status_code == 200
    assert [d.user for d in NoticeDownload.objects.all()] == [world.p.xl_clerk]


def test_the_archive_pages_apply_the_rule(world, closure, client):
    client.force_login(world.p.jy_approver)
    assert list(client.get("/notices/").context["page"]) == []
    assert client.get(f"/notices/{closure.pk}/").status_code == 404
    assert client.get(f"/notices/{closure.pk}/pdf/").status_code == 404
    client.force_login(world.p.xl_clerk)
    assert [n.pk for n in client.get("/notices/").context["page"]] == [closure.pk]
    assert client.get(f"/notices/{closure.pk}/").status_code == 200
    assert client.get(f"/notices/{closure.pk}/pdf/").status_code == 200


def test_the_admin_applies_the_rule(world, closure, client, issue):
    other = issue("filing_receipt", unit=world.u.nj, account=world.jb_account)
    staff = world.p.jy_approver
    staff.is_staff = True
    staff.save()
    staff.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="notices", codename__in=["view_notice", "view_noticedownload"]))
    client.force_login(staff)
    listing = client.get("/admin/notices/notice/").content.decode()
    assert closure.number not in listing and other.number not in listing
    assert client.get(f"/admin/notices/notice/{closure.pk}/change/").status_code == 302
    world.p.jy_approver.memberships.create(unit=world.u.xl, role="applicant")
    client.force_login(staff)
    listing = client.get("/admin/notices/notice/").content.decode()
    assert closure.number in listing and other.number not in listing
    assert client.get(f"/admin/notices/notice/{closure.pk}/change/").status_code == 200
