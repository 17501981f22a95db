"""seed_demo: the Nanjing demo (units, users with known passwords, accounts in every state).

Idempotent: every unit, user, account and process is looked up first and only created when
missing, so a second run changes nothing. Demo data edited since (an application renamed, a
unit moved, a demo user's role removed) is left as it is: a piece that can no longer be
created is skipped with a `seed_demo: warning: …` line on stderr, never a traceback; anything
else the services refuse ends the run with a one-line message and exit 1, nothing written.
Everything goes through the services
(lifecycle.services, review.services.metrics_import, approvals.services); no state is
assigned directly. The demo logins are documented in docs/demo.md.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.fsm import TransitionNotAllowed

from approvals import services as approvals
from approvals.management.commands._seed_supervision import seed_supervision
from approvals.models import TaskAssignment
from approvals.selectors import open_tasks
from approvals.services import TaskConflict
from lifecycle import services
from lifecycle.management.base import GovCommand
from lifecycle.models import Account, AccountState, Membership, Unit
from review.services import MetricsImportError, metrics_import

T = TypeVar("T")

# What the services raise when edited demo data no longer fits a demo step (a renamed
# application's unit already has an account on that platform, a demo user lost the role a
# decision needs, an account moved on). seed_demo skips that step with a warning.
REFUSALS = (
    ValidationError,
    PermissionDenied,
    ObjectDoesNotExist,
    IntegrityError,
    services.TransitionError,
    TaskConflict,
    TransitionNotAllowed,
    MetricsImportError,
    CommandError,
)


def refusal_text(exc: BaseException) -> str:
    """One line for a refusal (a ValidationError's messages joined)."""
    if isinstance(exc, ValidationError):
        text = "；".join(str(m) for m in exc.messages)
    elif isinstance(exc, MetricsImportError):
        text = "；".join(exc.errors.as_list())
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())

User = get_user_model()

DEMO_PASSWORD = "demo12345"

# code, name, short name (发文机关代字), level, kind, parent code. Parents come first.
UNITS = [
    ("JS", "江苏省人民政府办公厅", "苏政办", "province", "government_office", ""),
    ("NJ", "南京市人民政府办公室", "宁政办", "city", "government_office", "JS"),
    ("NJZJ", "南京市质量技术监督局", "宁质监", "city", "department", "NJ"),
    ("NJSYJ", "南京市食品药品监督管理局", "宁食药监", "city", "department", "NJ"),
    ("NJCDC", "南京市疾病预防控制中心", "宁疾控", "city", "institution", "NJ"),
    ("JY", "南京市建邺区人民政府办公室", "建政办", "county", "government_office", "NJ"),
    ("JYSCJ", "南京市建邺区市场监督管理局", "建市监", "county", "department", "JY"),
    ("JYXL", "建邺区兴隆街道办事处", "兴街办", "township", "government_office", "JY"),
    ("JYXLNB", "兴隆街道党政办公室", "", "township", "internal", "JYXL"),
    ("JYXLSQ", "兴隆街道香山路社区居民委员会", "香山路社区", "community", "community_committee", "JYXL"),
    ("PK", "南京市浦口区人民政府办公室", "浦政办", "county", "government_office", "NJ"),
    ("PKCDC", "南京市浦口区疾病预防控制中心", "浦疾控", "county", "institution", "PK"),
    ("JB", "南京江北新区管理委员会办公室", "江北办", "county", "government_office", "NJ"),
    ("JBHGY", "南京化学工业园区管理委员会", "宁化园", "county", "department", "JB"),
    ("JN", "南京市江宁区人民政府办公室", "江宁政办", "county", "government_office", "NJ"),
    ("JNHS", "江宁区湖熟街道办事处", "湖街办", "township", "government_office", "JN"),
    ("JNHSSQ", "湖熟街道苍山社区居民委员会", "苍山社区", "community", "community_committee", "JNHS"),
]

# username, full name, [(unit code, role), …]. Every user's password is DEMO_PASSWORD.
USERS = [
    ("jiangsu_approver", "省政府办公厅审核人", [("JS", "approver")]),
    ("nanjing_clerk", "市政府办公室填报员", [("NJ", "applicant")]),
    ("nanjing_head", "市政府办公室负责人", [("NJ", "unit_head")]),
    ("nanjing_approver", "市政府办公室审核人", [("NJ", "approver")]),
    ("nanjing_reviewer", "市政府办公室复核人", [("NJ", "supervisor_reviewer")]),
    ("inspector", "市政府办公室检查员", [("NJ", "inspector")]),
    ("archivist", "市政府办公室档案员", [("NJ", "archivist")]),
    ("zhijian_clerk", "市质监局填报员", [("NJZJ", "applicant")]),
    ("zhijian_head", "市质监局负责人", [("NJZJ", "unit_head")]),
    ("shiyao_clerk", "市食药监局填报员", [("NJSYJ", "applicant")]),
    ("shiyao_head", "市食药监局负责人", [("NJSYJ", "unit_head")]),
    ("cdc_clerk", "市疾控中心填报员", [("NJCDC", "applicant")]),
    ("cdc_head", "市疾控中心负责人", [("NJCDC", "unit_head")]),
    ("jianye_clerk", "建邺区政府办填报员", [("JY", "applicant")]),
    ("jianye_head", "建邺区政府办负责人", [("JY", "unit_head")]),
    ("jianye_approver", "建邺区政府办审核人", [("JY", "approver")]),
    ("jianye_reviewer", "建邺区政府办复核人", [("JY", "supervisor_reviewer")]),
    ("jianye_scj_clerk", "建邺区市场监管局填报员", [("JYSCJ", "applicant")]),
    ("jianye_scj_head", "建邺区市场监管局负责人", [("JYSCJ", "unit_head")]),
    ("xinglong_clerk", "兴隆街道填报员", [("JYXL", "applicant")]),
    ("xinglong_head", "兴隆街道负责人", [("JYXL", "unit_head")]),
    ("xinglong_approver", "兴隆街道审核人", [("JYXL", "approver")]),
    ("xiangshanlu_clerk", "香山路社区填报员", [("JYXLSQ", "applicant")]),
    ("xiangshanlu_head", "香山路社区负责人", [("JYXLSQ", "unit_head")]),
    ("pukou_clerk", "浦口区政府办填报员", [("PK", "applicant")]),
    ("pukou_head", "浦口区政府办负责人", [("PK", "unit_head")]),
    ("pukou_approver", "浦口区政府办审核人", [("PK", "approver")]),
    ("pukou_cdc_clerk", "浦口疾控填报员", [("PKCDC", "applicant")]),
    ("pukou_cdc_head", "浦口疾控负责人", [("PKCDC", "unit_head")]),
    ("jiangbei_clerk", "江北新区办公室填报员", [("JB", "applicant")]),
    ("jiangbei_head", "江北新区办公室负责人", [("JB", "unit_head")]),
    ("jiangbei_approver", "江北新区办公室审核人", [("JB", "approver")]),
    ("huagongyuan_clerk", "化工园填报员", [("JBHGY", "applicant")]),
    ("huagongyuan_head", "化工园负责人", [("JBHGY", "unit_head")]),
    ("jiangning_clerk", "江宁区政府办填报员", [("JN", "applicant")]),
    ("jiangning_head", "江宁区政府办负责人", [("JN", "unit_head")]),
    ("jiangning_approver", "江宁区政府办审核人", [("JN", "approver")]),
    ("hushu_clerk", "湖熟街道填报员", [("JNHS", "applicant")]),
    ("hushu_head", "湖熟街道负责人", [("JNHS", "unit_head")]),
    ("hushu_approver", "湖熟街道审核人", [("JNHS", "approver")]),
    ("cangshan_clerk", "苍山社区填报员", [("JNHSSQ", "applicant")]),
    ("cangshan_head", "苍山社区负责人", [("JNHSSQ", "unit_head")]),
]
SUPERUSER = ("admin", "系统管理员")
# The other two of the three administrators (三员分立), appointed by the same service as
# `manage.py admin_role`: no business role, staff for their admin pages only.
ADMIN_ROLE_USERS = [
    ("security_admin", "安全管理员", "security"),
    ("security_auditor", "安全审计员", "audit"),
]


@dataclass(frozen=True)
class Existing:
    """A pre-existing account (imported as active). `last_post` is a date, or days ago."""

    name: str
    platform: str
    platform_id: str
    unit: str
    opened_on: datetime.date
    followers: int
    posts_total: int
    last_post: datetime.date | int
    interaction_enabled: bool = True


D = datetime.date
ACCOUNTS = [
    Existing("江苏发布", "wechat_official", "jiangsufabu", "JS", D(2013, 6, 8), 2_460_000, 28_600, 0),
    Existing("南京发布", "wechat_official", "njfabu", "NJ", D(2012, 11, 20), 1_850_000, 21_400, 1),
    Existing("南京发布", "weibo", "1853166661", "NJ", D(2011, 4, 1), 6_020_000, 96_300, 0),
    Existing("南京食药监", "wechat_official", "njshiyaojian", "NJSYJ", D(2014, 3, 18), 126_000, 4_300, 3),
    Existing("南京疾控", "wechat_official", "njcdc", "NJCDC", D(2015, 5, 6), 310_000, 2_600, 2),
    Existing("建邺发布", "wechat_official", "jianyefabu", "JY", D(2014, 6, 1), 98_000, 5_200, 1),
    Existing("建邺市场监管", "wechat_official", "jyscjg", "JYSCJ", D(2016, 1, 12), 23_000, 1_400, 5),
    Existing("兴隆发布", "wechat_official", "xinglongfabu", "JYXL", D(2015, 9, 1), 12_000, 1_800, 4),
    # Zombie accounts of the 2019 story (BRIEF §1).
    Existing(
        "香山路社区", "wechat_official", "xiangshanlu_sq", "JYXLSQ", D(2016, 3, 1), 340, 58, D(2017, 6, 29)
    ),
    Existing(
        "幸福苍山", "wechat_official", "xingfucangshan", "JNHSSQ", D(2016, 8, 1), 210, 37, D(2018, 2, 27)
    ),
    # 20 followers and 29 posts in three years.
    Existing(
        "浦口疾控",
        "wechat_official",
        "pkjkzx",
        "PKCDC",
        D(2016, 5, 10),
        20,
        29,
        D(2019, 4, 22),
        interaction_enabled=False,
    ),
    Existing("浦口发布", "wechat_official", "pukoufabu", "PK", D(2014, 9, 9), 76_000, 4_800, 1),
    Existing("江北新区发布", "wechat_official", "jbxqfabu", "JB", D(2015, 7, 2), 188_000, 6_100, 0),
    Existing("江宁发布", "wechat_official", "jiangningfabu", "JN", D(2013, 10, 10), 265_000, 9_900, 1),
    # At risk (预警): 11 days without a post, the veto comes after 14 (seed_supervision).
    Existing("建邺发布", "weibo", "jianyefabu_wb", "JY", D(2018, 3, 1), 3_400, 620, 11),
    # Ordered into rectification below: nothing posted for three weeks.
    Existing("湖熟发布", "wechat_official", "hushufabu", "JNHS", D(2015, 11, 3), 8_600, 960, 21),
    # Closing below, its services moving to the WeChat account of the same bureau.
    Existing("建邺市场监管", "weibo", "5622341877", "JYSCJ", D(2013, 3, 3), 4_100, 2_300, 30),
    # Ended below (2019): deregistered, and merged into 南京食药监.
    Existing("湖熟旅游", "weibo", "3199021455", "JNHS", D(2016, 4, 1), 1_200, 310, D(2019, 3, 15)),
    Existing("南京化工园发布", "wechat_official", "njhgyfabu", "JBHGY", D(2017, 9, 1), 15, 1, D(2019, 5, 31)),
    Existing(
        "南京质检", "wechat_official", "njzhijian", "NJZJ", D(2013, 7, 1), 15_600, 2_100, D(2019, 5, 20)
    ),
]
# Platform ids of the accounts closed or merged in 2019 (seed_states).
ENDED_IN_2019 = {"3199021455", "njhgyfabu", "njzhijian"}


@dataclass
class Tally:
    created: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def add(self, what: str, n: int = 1) -> None:
        self.created[what] = self.created.get(what, 0) + n

    def summary(self) -> str:
        if not self.created:
            text = str(_("演示数据已是最新，未作任何修改。"))
        else:
            parts = "，".join(f"{what} {n}" for what, n in self.created.items())
            text = str(_("演示数据已加载：新增 {parts}。")).format(parts=parts)
        if self.skipped:
            text += str(_("跳过 {n} 项（见警告）。")).format(n=len(self.skipped))
        return text


class Command(GovCommand):
    help = (
        "Load the Nanjing demo: units from 江苏省人民政府办公厅 down to two communities, one "
        f"user per role per unit (password {DEMO_PASSWORD}, see docs/demo.md), active accounts "
        "with metrics, accounts rectifying, closing, closed and merged, and opening "
        "applications waiting at each sign-off level. Idempotent: only what is missing is "
        "created. Refused unless settings.GOVMEDIA_DEMO is True."
    )

    def handle(self, *args: Any, **options: Any) -> str:
        if not getattr(settings, "GOVMEDIA_DEMO", False):
            raise CommandError(
                _(
                    "演示数据带有公开的演示密码，只能在 GOVMEDIA_DEMO = True 的环境（本地开发、"
                    "测试）中加载；当前配置未启用演示模式，未写入任何数据。"
                )
            )
        self.tally = tally = Tally()
        try:
            with transaction.atomic():
                units = self.seed_units(tally)
                users = self.seed_users(units, tally)
                accounts = self.seed_accounts(units, tally)
                self.seed_states(accounts, users, tally)
                self.seed_processes(units, users, tally)
                seed_supervision(self, units=units, users=users, accounts=accounts, tally=tally)
        except REFUSALS as exc:
            # Not tied to one demo step: one line, exit 1, the transaction rolled back.
            raise CommandError(
                _("演示数据未能加载，未写入任何数据：{reason}").format(reason=refusal_text(exc))
            ) from None
        return tally.summary()

    def attempt(self, what: str, step: Callable[[], T]) -> T | None:
        """Run one demo step in a savepoint. When the services refuse it (edited demo data),
        undo just that step, print `seed_demo: warning: <what>: <reason>` and go on."""
        try:
            with transaction.atomic():
                return step()
        except REFUSALS as exc:
            self.skip(what, refusal_text(exc))
            return None

    def skip(self, what: str, reason: str) -> None:
        self.tally.skipped.append(what)
        self.stderr.write(
            str(_("seed_demo: warning: {what}：{reason}，已跳过。")).format(
                what=what, reason=reason.rstrip("。.")
            )
        )

    # -- units and people ----------------------------------------------------------------

    def seed_units(self, tally: Tally) -> dict[str, Unit]:
        units: dict[str, Unit] = {u.code: u for u in Unit.objects.filter(code__in=[row[0] for row in UNITS])}
        for code, name, short, level, kind, parent in UNITS:
            if code in units:
                continue
            what = _("演示单位「{code}」").format(code=code)
            if parent and parent not in units:
                self.skip(what, _("上级单位「{parent}」缺失").format(parent=parent))
                continue

            def create(code=code, name=name, short=short, level=level, kind=kind, parent=parent):
                return services.unit_upsert(
                    code=code,
                    name=name,
                    short_name=short,
                    level=level,
                    kind=kind,
                    parent=units[parent] if parent else None,
                )

            unit = self.attempt(what, create)
            if unit is not None:
                units[code] = unit
                tally.add(_("单位"))
        return units

    def seed_users(self, units: dict[str, Unit], tally: Tally) -> dict[str, Any]:
        # One hash for every demo user: hashing the same password 40 times with the
        # production hasher would add ~20 s to `make run` for nothing.
        password_hash = make_password(DEMO_PASSWORD)
        users = {
            u.username: u
            for u in User.objects.filter(
                username__in=[row[0] for row in USERS]
                + [row[0] for row in ADMIN_ROLE_USERS] + [SUPERUSER[0]]
            )
        }
        for username, full_name, roles in USERS:
            what = _("演示用户「{username}」").format(username=username)
            missing = [code for code, _role in roles if code not in units]
            if missing:
                self.skip(what, _("单位「{code}」缺失").format(code=", ".join(missing)))
                continue
            memberships = [(units[code], role) for code, role in roles]
            user = users.get(username)
            if user is None:

                def create(username=username, full_name=full_name, memberships=memberships):
                    user = services.user_upsert(
                        username=username,
                        full_name=full_name,
                        email=f"{username}@demo.govmedia.invalid",
                        memberships=memberships,
                    )
                    user.password = password_hash
                    user.save(update_fields=["password"])
                    return user

                user = self.attempt(what, create)
                if user is not None:
                    users[username] = user
                    tally.add(_("用户"))
                continue
            # An existing demo user keeps its password and any roles added since; only a
            # missing demo role is given back.
            have = set(Membership.objects.filter(user=user).values_list("unit_id", "role"))
            for unit, role in memberships:
                if (unit.pk, role) not in have:
                    services.membership_add(user=user, unit=unit, role=role)
                    tally.add(_("岗位"))
        if SUPERUSER[0] not in users:
            users[SUPERUSER[0]] = User.objects.create_superuser(
                username=SUPERUSER[0],
                email=f"{SUPERUSER[0]}@demo.govmedia.invalid",
                password=None,
                first_name=SUPERUSER[1],
            )
            users[SUPERUSER[0]].password = password_hash
            users[SUPERUSER[0]].save(update_fields=["password"])
            tally.add(_("用户"))
        for username, full_name, role in ADMIN_ROLE_USERS:
            if username in users:
                continue  # an existing one keeps its password and whatever role it holds now

            def appoint(username=username, full_name=full_name, role=role):
                user = services.user_upsert(
                    username=username, full_name=full_name,
                    email=f"{username}@demo.govmedia.invalid",
                )
                user.password = password_hash
                user.save(update_fields=["password"])
                services.admin_role_grant(user=user, role=role)
                return user

            user = self.attempt(_("演示用户「{username}」").format(username=username), appoint)
            if user is not None:
                users[username] = user
                tally.add(_("用户"))
        return users

    # -- accounts already in the register ------------------------------------------------

    def seed_accounts(self, units: dict[str, Unit], tally: Tally) -> dict[tuple[str, str], Account]:
        """The pre-existing accounts, keyed by (platform, name); new ones get two monitoring
        snapshots (a quarter ago and yesterday) through the metrics import service."""
        today = timezone.localdate()
        accounts: dict[tuple[str, str], Account] = {}
        metric_rows: list[dict[str, str]] = []
        for spec in ACCOUNTS:
            account = Account.objects.filter(platform=spec.platform, platform_id=spec.platform_id).first()
            if account is None:
                what = _("演示账号「{name}」（{platform_id}）").format(
                    name=spec.name, platform_id=spec.platform_id
                )
                if spec.unit not in units:
                    self.skip(what, _("单位「{code}」缺失").format(code=spec.unit))
                    continue
                last_post = (
                    spec.last_post
                    if isinstance(spec.last_post, datetime.date)
                    else today - datetime.timedelta(days=spec.last_post)
                )

                def create(spec=spec, last_post=last_post):
                    return services.account_import(
                        name=spec.name,
                        platform=spec.platform,
                        platform_id=spec.platform_id,
                        unit=units[spec.unit],
                        opened_on=spec.opened_on,
                        followers=spec.followers,
                        posts_total=spec.posts_total,
                        last_post_on=last_post,
                        interaction_enabled=spec.interaction_enabled,
                    )

                account = self.attempt(what, create)
                if account is None:
                    continue
                tally.add(_("账号"))
                metric_rows.extend(self._metric_rows(spec, last_post, today))
            accounts[(spec.platform, spec.platform_id)] = account
        if metric_rows:
            result = self.attempt(
                _("演示监测数据"),
                lambda: metrics_import(rows=list(enumerate(metric_rows, start=2)), today=today,
                                       source="demo"),
            )
            if result is not None:
                tally.add(_("监测数据"), result.created)
        return accounts

    @staticmethod
    def _metric_rows(spec: Existing, last_post: datetime.date, today: datetime.date):
        """A snapshot a quarter ago (fewer followers and posts) and one yesterday."""
        if spec.platform_id in ENDED_IN_2019:
            # Closed in 2019: their last figures are from the 2019 review.
            days = [D(2019, 3, 31), D(2019, 5, 31)]
        else:
            days = [today - datetime.timedelta(days=91), today - datetime.timedelta(days=1)]
        rows = []
        for i, as_of in enumerate(days):
            earlier = i == 0
            followers = int(spec.followers * 0.96) if earlier else spec.followers
            posts = max(spec.posts_total - 60, 0) if earlier else spec.posts_total
            last = min(last_post, as_of)
            if earlier and last_post > days[0]:
                last = as_of - datetime.timedelta(days=2)
            rows.append(
                {
                    "platform": spec.platform,
                    "platform_id": spec.platform_id,
                    "as_of": as_of.isoformat(),
                    "followers": str(followers),
                    "posts_total": str(posts),
                    "last_post_on": last.isoformat(),
                    "interaction_enabled": "true" if spec.interaction_enabled else "false",
                }
            )
        return rows

    # -- accounts moved on from active (rectifying, closing, closed, merged) -------------

    def seed_states(
        self, accounts: dict[tuple[str, str], Account], users: dict[str, Any], tally: Tally
    ) -> None:
        """Transitions through lifecycle.services, each only from the state it starts in, so
        a second run finds every account already moved and does nothing. A step whose
        accounts or users are gone, or that the services refuse, is skipped with a warning.

        Today's closures are ClosureFlow applications (approvals.services.closure_apply). The
        2019 closures and the merger happened before the system, like the imported accounts
        themselves, and a closure application cannot carry a stop date in the past: those
        go through the lifecycle.services transitions directly."""
        def step(what: str, keys: list[tuple[str, str]], people: list[str]) -> list[Account] | None:
            """The step's accounts (fresh from the database), or None after a warning."""
            missing = [pid for _platform, pid in keys if (_platform, pid) not in accounts]
            missing += [name for name in people if name not in users]
            if missing:
                self.skip(what, _("缺少演示数据：{items}").format(items=", ".join(missing)))
                return None
            return [Account.objects.get(pk=accounts[key].pk) for key in keys]

        def changed(what: str, run: Callable[[], Any], *, counts_as: str) -> None:
            if self.attempt(what, lambda: run() or True) is not None:
                tally.add(counts_as)

        what = _("湖熟发布整改")
        got = step(what, [("wechat_official", "hushufabu")], ["inspector"])
        if got and got[0].state == AccountState.ACTIVE:
            today = timezone.localdate()
            # A real RectificationFlow: the 整改通知 is issued and the report waits in the
            # hushu clerk's to-do list (docs/demo.md, docs/workbench.md).
            changed(
                what,
                lambda: approvals.rectification_start(
                    actor=users["inspector"],
                    account=got[0],
                    reason=_(
                        "{year}年第{quarter}季度抽查：监测时间点前2周内无更新（单项否决），限期整改。"
                    ).format(year=today.year, quarter=(today.month - 1) // 3 + 1),
                    findings=[{"label": _("内容更新"),
                               "text": _("监测时间点前2周内无更新（单项否决）")}],
                ),
                counts_as=_("状态变更"),
            )

        # Closing: the bureau's Weibo is being closed, services move to its WeChat account.
        what = _("建邺市场监管微博关停")
        got = step(what, [("weibo", "5622341877"), ("wechat_official", "jyscjg")], ["jianye_scj_clerk"])
        if got and got[0].state == AccountState.ACTIVE and not got[0].processes.exists():
            scj_weibo, scj_wechat = got

            def close_scj() -> None:
                # A closure application approved at every step: closing, announcement issued,
                # notice period running (ended by `run_due`).
                process = approvals.closure_apply(
                    actor=users["jianye_scj_clerk"],
                    account=scj_weibo,
                    kind="close",
                    reason=_("同一单位多平台账号整合，微博账号关停，服务并入微信公众号。"),
                    stop_on=timezone.localdate() + datetime.timedelta(days=30),
                    successor_account=scj_wechat,
                    successor_channels=[
                        {"kind": "account", "value": "微信公众号「建邺市场监管」（微信号 jyscjg）"},
                        {"kind": "phone", "value": "025-12345"},
                    ],
                )
                while self._next_task(process, kinds=("decision",)) is not None:
                    self._decide(approvals, process, "approve")

            changed(what, close_scj, counts_as=_("状态变更"))

        # The zombie community account: a closure application waiting for the street.
        what = _("香山路社区关停申请")
        got = step(
            what,
            [("wechat_official", "xiangshanlu_sq"), ("wechat_official", "xinglongfabu")],
            ["xiangshanlu_clerk"],
        )
        if got and not got[0].processes.exists():
            xiangshanlu, xinglong = got

            def apply_xiangshanlu() -> None:
                process = approvals.closure_apply(
                    actor=users["xiangshanlu_clerk"],
                    account=xiangshanlu,
                    kind="close",
                    reason=_("2017年6月29日以来未更新，属“僵尸号”，按要求关停。"),
                    stop_on=timezone.localdate() + datetime.timedelta(days=30),
                    successor_account=xinglong,
                    successor_channels=[
                        {"kind": "account", "value": "微信公众号「兴隆发布」（xinglongfabu）"},
                        {"kind": "phone", "value": "025-86661234"},
                    ],
                )
                self._decide(approvals, process, "approve")

            changed(what, apply_xiangshanlu, counts_as=_("申请"))

        # Closed, with concrete successor channels (DESIGN §4).
        what = _("湖熟旅游关停")
        got = step(what, [("weibo", "3199021455")], ["hushu_clerk"])
        if got and got[0].state == AccountState.ACTIVE:
            lvyou = got[0]

            def close_lvyou() -> None:
                self._start_closure(
                    lvyou,
                    users["hushu_clerk"],
                    reason=_("关注度低、更新不规律，按省政府办公厅要求关停。"),
                    successor=None,
                    channels=[
                        {"kind": "website", "value": "https://www.jiangning.gov.cn/"},
                        {"kind": "phone", "value": "025-52121234"},
                    ],
                )
                services.account_deregister(
                    account=lvyou,
                    actor=users["hushu_clerk"],
                    deregistered_on=D(2019, 6, 10),
                    reason=_("已在平台完成注销。"),
                )

            changed(what, close_lvyou, counts_as=_("状态变更"))

        # The account whose first post was its closure notice (BRIEF §1); its audience is
        # sent to the new area's account.
        what = _("南京化工园发布关停")
        got = step(
            what,
            [("wechat_official", "njhgyfabu"), ("wechat_official", "jbxqfabu")],
            ["huagongyuan_clerk"],
        )
        if got and got[0].state == AccountState.ACTIVE:
            huagong, jbxq = got

            def close_huagong() -> None:
                self._start_closure(
                    huagong,
                    users["huagongyuan_clerk"],
                    reason=_("园区并入江北新区，账号关停，信息发布由“江北新区发布”承接。"),
                    successor=jbxq,
                    channels=[{"kind": "account", "value": "微信公众号「江北新区发布」（jbxqfabu）"}],
                )
                services.account_deregister(
                    account=huagong,
                    actor=users["huagongyuan_clerk"],
                    deregistered_on=D(2019, 6, 14),
                    reason=_("已在平台完成注销。"),
                )

            changed(what, close_huagong, counts_as=_("状态变更"))

        # 2019: 南京质检 merged into 南京食药监 (WeChat id njshiyaojian).
        what = _("南京质检整合")
        got = step(
            what,
            [("wechat_official", "njzhijian"), ("wechat_official", "njshiyaojian")],
            ["zhijian_clerk"],
        )
        if got and got[0].state == AccountState.ACTIVE:
            zhijian, shiyao = got

            def merge_zhijian() -> None:
                self._start_closure(
                    zhijian,
                    users["zhijian_clerk"],
                    reason=_("机构改革，质监、食药监职能并入市场监管部门，账号整合。"),
                    successor=shiyao,
                    channels=[
                        {"kind": "account", "value": "微信公众号「南京食药监」（微信号 njshiyaojian）"},
                    ],
                )
                services.account_merge(
                    account=zhijian,
                    actor=users["zhijian_clerk"],
                    successor=shiyao,
                    deregistered_on=D(2019, 6, 20),
                    reason=_("已整合至“南京食药监”。"),
                )

            changed(what, merge_zhijian, counts_as=_("状态变更"))

    @staticmethod
    def _start_closure(
        account: Account,
        actor: Any,
        *,
        reason: str,
        successor: Account | None,
        channels: list[dict[str, str]],
    ) -> None:
        cleaned = services.clean_successor_channels(channels=channels, successor=successor, account=account)
        services.account_start_closure(account=account, actor=actor, reason=reason)
        services.account_set_closure_plan(account=account, actor=actor, successor=successor,
                                          channels=cleaned)

    # -- opening applications at every level ---------------------------------------------

    def seed_processes(self, units: dict[str, Unit], users: dict[str, Any], tally: Tally) -> None:
        """Opening applications, each driven through approvals.services to a different point:
        waiting at the unit head, at the district, at the city, at the province, returned to
        the applicant, rejected (draft), approved (waiting for registration) and completed."""
        scenarios = [
            # (unit, clerk, platform, name, purpose, decisions, exemption reason, finish)
            ("JYXL", "xinglong_clerk", "douyin", "兴隆街道", "短视频发布街道政务信息。", [], "", None),
            (
                "JYXL",
                "xinglong_clerk",
                "weibo",
                "兴隆发布",
                "街道政务信息发布与网民互动。",
                ["approve"],
                "",
                None,
            ),
            (
                "JYXL",
                "xinglong_clerk",
                "toutiao",
                "兴隆发布",
                "扩大街道政务信息覆盖面。",
                ["approve", "approve"],
                "",
                None,
            ),
            (
                "NJ",
                "nanjing_clerk",
                "xiaohongshu",
                "南京发布",
                "面向年轻群体发布城市政务信息。",
                ["approve"],
                "",
                None,
            ),
            (
                "JYXL",
                "xinglong_clerk",
                "wechat_official",
                "兴隆政务服务",
                "街道政务服务办事指南与预约，与“兴隆发布”分工不同。",
                [],
                "“兴隆发布”承担信息发布，本号承担政务服务办理，功能不同无法合并。",
                None,
            ),
            (
                "JNHS",
                "hushu_clerk",
                "weibo",
                "湖熟发布",
                "街道政务信息发布。",
                ["approve", "return"],
                "",
                None,
            ),
            (
                "JYXL",
                "xinglong_clerk",
                "kuaishou",
                "兴隆街道",
                "快手平台发布街道信息。",
                ["reject"],
                "",
                None,
            ),
            (
                "PK",
                "pukou_clerk",
                "douyin",
                "浦口发布",
                "短视频发布区政务信息。",
                ["approve", "approve"],
                "",
                "approved",
            ),
            (
                "JN",
                "jiangning_clerk",
                "douyin",
                "江宁发布",
                "短视频发布区政务信息。",
                ["approve", "approve"],
                "",
                "registered",
            ),
        ]
        for code, clerk, platform, name, purpose, decisions, exemption, finish in scenarios:
            what = _("演示申请「{name}」（{unit}，{platform}）").format(
                name=name, unit=code, platform=platform
            )
            if code not in units or clerk not in users:
                self.skip(what, _("缺少演示数据：{items}").format(items=f"{code}/{clerk}"))
                continue
            unit = units[code]
            # Already seeded: the application's account exists, also when it was renamed
            # since (its purpose is the scenario's) — a second application would be refused
            # by the one-per-platform rule, or worse, be accepted as an extra account.
            if Account.objects.filter(unit=unit, platform=platform).filter(
                Q(name=name) | Q(purpose=purpose)
            ).exists():
                continue

            def run(
                unit=unit, clerk=clerk, platform=platform, name=name, purpose=purpose,
                decisions=decisions, exemption=exemption, finish=finish, code=code,
            ) -> None:
                process = approvals.opening_apply(
                    actor=users[clerk],
                    unit=unit,
                    platform=platform,
                    name=name,
                    purpose=purpose,
                    operator=unit.name,
                    contact_name=users[clerk].first_name,
                    contact_phone="025-12345",
                    exemption_reason=exemption,
                )
                for decision in decisions:
                    self._decide(approvals, process, decision)
                if finish in ("approved", "registered"):
                    # Approve every remaining step: the account is approved, waiting for its
                    # registration task.
                    while self._next_task(process, kinds=("decision",)) is not None:
                        self._decide(approvals, process, "approve")
                if finish == "registered":
                    task = self._next_task(process, kinds=("registration",))
                    approvals.task_decide(
                        task=task,
                        actor=users[clerk],
                        decision="approve",
                        data={
                            "platform_id": f"{code.lower()}_{platform}",
                            "verified_subject": unit.name,
                            "live_on": timezone.localdate().isoformat(),
                        },
                    )

            if self.attempt(what, lambda run=run: run() or True) is not None:
                tally.add(_("申请"))

    @staticmethod
    def _next_task(process: Any, kinds: tuple[str, ...]) -> Any:
        for task in open_tasks(process):
            if getattr(task.flow_task, "task_kind", None) in kinds:
                return task
        return None

    def _decide(self, approvals: Any, process: Any, decision: str) -> None:
        """Decide the current decision task as the first candidate of its unit and role."""
        task = self._next_task(process, kinds=("decision",))
        if task is None:
            raise CommandError(f"process {process.pk}: no open decision task for {decision}")
        assignment = TaskAssignment.objects.filter(task=task).select_related("unit").first()
        member = (
            Membership.objects.filter(unit=assignment.unit, role=assignment.role)
            .select_related("user")
            .order_by("user__username")
            .first()
        )
        if member is None:
            raise CommandError(
                f"process {process.pk}: nobody holds {assignment.role} at {assignment.unit.code}"
            )
        comments = {
            "approve": "",
            "return": _("请补充账号运维人员和内容审核制度后重新提交。"),
            "reject": _("该街道已有微信公众号和抖音账号，原则上不再新开同类平台账号。"),
        }
        approvals.task_decide(task=task, actor=member.user, decision=decision, comment=comments[decision])
