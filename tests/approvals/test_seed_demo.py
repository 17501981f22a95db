"""seed_demo: the Nanjing demo, idempotent, demo settings only (DESIGN §8, issue 2 item 6)."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from viewflow.workflow.models import Task

from approvals.models import AccountProcess
from approvals.selectors import open_tasks
from lifecycle.models import Account, AccountState, AccountTransition, Unit
from review.models import MetricSnapshot
from tests.lifecycle.import_files import run

User = get_user_model()
pytestmark = pytest.mark.django_db


def counts():
    return {
        "units": Unit.objects.count(),
        "users": User.objects.count(),
        "accounts": Account.objects.count(),
        "transitions": AccountTransition.objects.count(),
        "snapshots": MetricSnapshot.objects.count(),
        "processes": AccountProcess.objects.count(),
        "tasks": Task.objects.count(),
        "states": sorted(Account.objects.values_list("name", "platform", "state")),
        "passwords": sorted(User.objects.values_list("username", "password")),
    }


@pytest.fixture
def seeded(db):
    result = run("seed_demo")
    assert result.code == 0, result.err
    return result


def waiting_at(name, platform):
    """(unit code, role) of the open task of the application for `name` on `platform`."""
    process = AccountProcess.objects.get(account__name=name, account__platform=platform)
    task = open_tasks(process).get()
    assignment = task.assignments.get()
    return assignment.unit.code, assignment.role


def test_it_is_idempotent(seeded):
    assert "演示数据已加载" in seeded.out
    before = counts()

    again = run("seed_demo")

    assert again.code == 0, again.err
    assert "未作任何修改" in again.out
    assert counts() == before


def test_it_builds_the_nanjing_tree(seeded):
    xl = Unit.objects.get(name="建邺区兴隆街道办事处")
    assert [u.short_name for u in xl.ancestors()] == ["苏政办", "宁政办", "建政办"]
    assert Unit.objects.get(short_name="宁质监").parent.code == "NJ"
    assert Unit.objects.get(short_name="宁食药监").kind == "department"
    assert Unit.objects.get(code="PKCDC").kind == "institution"
    assert Unit.objects.get(code="JYXLNB").kind == "internal"
    assert set(Unit.objects.filter(level="community").values_list("code", flat=True)) == {
        "JYXLSQ",
        "JNHSSQ",
    }
    for code in ("JY", "PK", "JB", "JN"):
        assert Unit.objects.get(code=code).supervisor.code == "NJ"


def test_it_creates_demo_logins(seeded):
    for username in (
        "xinglong_clerk",
        "xinglong_head",
        "jianye_approver",
        "nanjing_approver",
        "jiangbei_approver",
        "jiangsu_approver",
        "archivist",
        "inspector",
        "admin",
    ):
        assert User.objects.get(username=username).check_password("demo12345"), username
    assert User.objects.get(username="admin").is_superuser
    roles = set(User.objects.get(username="xinglong_clerk").memberships.values_list("unit__code", "role"))
    assert roles == {("JYXL", "applicant")}


def test_it_has_accounts_in_every_state(seeded):
    states = set(Account.objects.values_list("state", flat=True))
    assert states == set(AccountState.values)


def test_it_tells_the_2019_story(seeded):
    zhijian = Account.objects.get(name="南京质检")
    assert zhijian.state == AccountState.MERGED
    assert (zhijian.successor.name, zhijian.successor.platform_id) == ("南京食药监", "njshiyaojian")
    assert zhijian.closed_on == datetime.date(2019, 6, 20)
    assert zhijian.successor_channels[0]["kind"] == "account"
    assert Account.objects.get(name="香山路社区").last_post_on == datetime.date(2017, 6, 29)
    assert Account.objects.get(name="幸福苍山").last_post_on == datetime.date(2018, 2, 27)
    pk = Account.objects.get(name="浦口疾控")
    assert (pk.followers, pk.posts_total) == (20, 29)
    closed = Account.objects.get(name="湖熟旅游")
    assert closed.state == AccountState.CLOSED
    assert {c["kind"] for c in closed.successor_channels} == {"website", "phone"}
    # Every state change left its audit row.
    assert list(zhijian.transitions.values_list("name", flat=True)) == [
        "import",
        "start_closure",
        "closure_plan",  # the successor plan, recorded with its own audit row
        "merge_into",
    ]


def test_it_runs_todays_closures_through_the_closure_flow(seeded):
    closing = Account.objects.get(name="建邺市场监管", platform="weibo")
    assert closing.state == AccountState.CLOSING
    process = AccountProcess.objects.get(account=closing, kind="closure")
    assert process.data["closure"]["successor_account"] == closing.successor_id
    assert closing.successor.platform_id == "jyscjg"
    # The zombie community account: its closure application waits at the street.
    assert Account.objects.get(name="香山路社区").state == AccountState.ACTIVE
    assert waiting_at("香山路社区", "wechat_official") == ("JYXL", "approver")


def test_active_accounts_have_metrics(seeded):
    fabu = Account.objects.get(platform_id="njfabu")
    assert fabu.snapshots.count() == 2
    assert fabu.snapshots.order_by("-as_of").first().followers == fabu.followers


def test_it_leaves_applications_waiting_at_each_level(seeded):
    assert waiting_at("兴隆街道", "douyin") == ("JYXL", "unit_head")
    assert waiting_at("兴隆发布", "weibo") == ("JY", "approver")
    assert waiting_at("兴隆发布", "toutiao") == ("NJ", "approver")
    assert waiting_at("南京发布", "xiaohongshu") == ("JS", "approver")
    # A second WeChat account of 兴隆 with an exemption reason: the chain climbs one level more.
    assert waiting_at("兴隆政务服务", "wechat_official") == ("JYXL", "unit_head")
    exempt = AccountProcess.objects.get(account__name="兴隆政务服务")
    usual = AccountProcess.objects.get(account__name="兴隆发布", account__platform="toutiao")
    assert len(exempt.chain) == len(usual.chain) + 1
    # Returned to the applicant with a comment.
    assert waiting_at("湖熟发布", "weibo") == ("JNHS", "applicant")
    assert Account.objects.get(name="兴隆街道", platform="kuaishou").state == AccountState.DRAFT
    approved = Account.objects.get(name="浦口发布", platform="douyin")
    assert approved.state == AccountState.APPROVED
    assert waiting_at("浦口发布", "douyin") == ("PK", "applicant")
    assert Account.objects.get(name="江宁发布", platform="douyin").state == AccountState.ACTIVE


def test_it_refuses_without_demo_settings(db, settings):
    settings.GOVMEDIA_DEMO = False

    result = run("seed_demo")

    assert result.code == 1
    assert "GOVMEDIA_DEMO" in result.err
    assert not Unit.objects.exists()


def test_it_shows_an_account_at_risk_with_its_warning(seeded):
    from review.models import EarlyWarning

    warning = EarlyWarning.objects.get(account__platform_id="jianyefabu_wb")
    assert warning.cleared_on is None and warning.days_left == 3
    assert run("seed_demo").code == 0
    assert EarlyWarning.objects.filter(account__platform_id="jianyefabu_wb").count() == 1


def test_it_shows_a_post_with_a_content_finding_on_an_inspection_sheet(seeded):
    from review.models import ContentFinding, Inspection

    finding = ContentFinding.objects.get(kind="wrong_term", account__platform_id="xinglongfabu")
    assert finding.matched == "南京市质监局" and finding.suggestion == "南京市市场监督管理局"
    assert Inspection.objects.filter(account__platform_id="xinglongfabu", campaign__isnull=False).exists()
    assert run("seed_demo").code == 0
    assert ContentFinding.objects.filter(kind="wrong_term").count() == 1


def test_it_shows_a_pending_filing(seeded):
    from approvals.models import Filing

    pending = Filing.objects.filter(filed_on__isnull=True)
    assert pending.filter(kind="opening", account__name="江宁发布", account__platform="douyin").count() == 2


def test_it_shows_an_app_application_at_its_cac_step(seeded):
    process = AccountProcess.objects.get(account__platform="mini_program", account__unit__code="NJZJ")
    assert [t.flow_task.task_kind for t in open_tasks(process)] == ["cac_filing"]


def test_it_seeds_the_security_administrator_and_the_auditor(seeded, client):
    """三员分立 personas (docs/demo.md): appointed through lifecycle.services.admin_role_grant,
    no business role, password demo12345, each sees its own admin pages only."""
    from lifecycle.models import Membership
    from lifecycle.services import AUDITOR_GROUP, SECURITY_ADMIN_GROUP

    security = User.objects.get(username="security_admin")
    auditor = User.objects.get(username="security_auditor")
    assert list(security.groups.values_list("name", flat=True)) == [SECURITY_ADMIN_GROUP]
    assert list(auditor.groups.values_list("name", flat=True)) == [AUDITOR_GROUP]
    assert security.is_staff and auditor.is_staff
    assert not security.is_superuser and not auditor.is_superuser
    assert not Membership.objects.filter(user__in=[security, auditor]).exists()

    assert client.login(username="security_auditor", password="demo12345")
    assert client.get("/admin/lifecycle/securityevent/").status_code == 200
    assert client.get("/admin/lifecycle/membership/").status_code == 403
    client.logout()
    assert client.login(username="security_admin", password="demo12345")
    assert client.get("/admin/lifecycle/membership/").status_code == 200
    assert client.get("/admin/lifecycle/securityevent/").status_code == 403
