"""A province of data by bulk inserts, reproducible from a seed (not a test).

    .venv/bin/python bench/generate.py [--scale 1.0] [--seed 15] [--database-url URL]

At --scale 1 (a province): ~5,000 units in 5 levels, 2,000 users with memberships,
100,000 accounts in every state, 100,000 account processes with 500,000 tasks (the open
ones routed to units over TaskAssignment, three "hot" county offices with 1,000+ open tasks
each), the decisions of the done sign-off tasks, 50,000 notices and 1,000,000 metric
snapshots, and the filings owed after 2 % of the live accounts' recent changes and
closures (due around the day, half of them filed); 60 % of the closing accounts waiting
in their notice period (announced over the last three weeks) and a rectification for
every rectifying account (recheck open 70 %, report open 27 %, past its deadline and not
yet escalated 3 %). --scale 0.01 is the smoke size (seconds). Without --database-url
the data goes to a new SQLite file (its path is printed); with a PostgreSQL URL (e.g. the
services leg's, `source var/services/env`) it goes there. The database is migrated first
and must hold no accounts yet.

Other benchmarks call `generate(scale=…, seed=…)` with Django already set up; it returns
the counts and a few handles (the hot approvers' usernames, a county approver's). Rows are
written with explicit primary keys (sequences reset afterwards), bypassing the services:
the shapes match what the flows write (DESIGN §6), not a replay of their history.
All users share the password `bench-pass-12345`.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-pass-12345"
BATCH = 5000
# Units per level at scale 1 (province, city, county, township, community) ≈ 5,000.
LEVEL_UNITS = (1, 14, 110, 1300, 3575)
STATE_SHARES = (  # every state of the account FSM
    ("active", 0.60), ("applying", 0.10), ("approved", 0.03), ("rectifying", 0.03),
    ("closing", 0.02), ("closed", 0.15), ("merged", 0.02), ("draft", 0.05),
)
HOT_UNITS = 3  # county offices whose approvers get 1,000+ open tasks each at scale 1


def setup_django(database_url: str, var_dir: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("GOVMEDIA_VAR_DIR", var_dir)
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import warnings

    warnings.filterwarnings("ignore")
    import django

    django.setup()


def _scaled(n: int, scale: float, least: int = 1) -> int:
    return max(least, round(n * scale))


def generate(*, scale: float = 1.0, seed: int = 15, log=print) -> dict:
    """Write the province into the (migrated, account-free) default database."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils import timezone
    from viewflow.workflow.models import Process, Task
    from viewflow.workflow.status import PROCESS, STATUS
    from viewflow.workflow.token import Token

    START = Token("start")

    from approvals.flows import OpeningFlow
    from approvals.models import Decision, Filing, FilingKind, FilingSystem, TaskAssignment
    from lifecycle.models import Account, Membership, Platform, Role, Unit, UnitKind, UnitLevel
    from notices.models import Notice
    from notices.search import reindex, text_for
    from review.models import MetricSnapshot

    User = get_user_model()
    if Account.objects.exists():
        raise SystemExit("generate: the database already holds accounts; use an empty one")
    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate()
    counts: dict[str, int] = {}
    t_start = time.perf_counter()

    def step(name: str, n: int) -> None:
        counts[name] = n
        log(f"  {name}: {n} ({time.perf_counter() - t_start:.0f} s)")

    def next_id(model) -> int:
        last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
        return (last or 0) + 1

    with transaction.atomic():
        # -- units: five levels, a materialized path, supervisor = the parent's office ----
        levels = list(UnitLevel.values)
        uid = next_id(Unit)
        units: list[Unit] = []
        by_level: list[list[Unit]] = []
        parents: list[Unit] = []
        for depth, n in enumerate(LEVEL_UNITS):
            n = _scaled(n, scale, least=max(1, len(parents)))
            row = []
            for i in range(n):
                parent = parents[i % len(parents)] if parents else None
                level = levels[depth]
                if depth == 4:
                    kind = UnitKind.COMMUNITY_COMMITTEE
                elif depth in (1, 2) and i >= len(parents) and i % 3 == 2:
                    kind = UnitKind.DEPARTMENT
                else:
                    kind = UnitKind.GOVERNMENT_OFFICE
                unit = Unit(
                    pk=uid, code=f"U{uid:06d}", name=f"{level}单位{uid}", short_name=f"单{uid}",
                    level=level, kind=kind, parent=parent, supervisor=parent,
                    may_open_accounts=depth < 4,
                    path=f"{parent.path if parent else '/'}{uid}/",
                )
                uid += 1
                row.append(unit)
            units += row
            by_level.append(row)
            parents = [u for u in row if u.kind == UnitKind.GOVERNMENT_OFFICE] or row
        Unit.objects.bulk_create(units, batch_size=BATCH)
        step("units", len(units))

        # -- users and memberships ------------------------------------------------------
        password = make_password(PASSWORD)
        n_users = _scaled(2000, scale, least=10)
        first_user = next_id(User)
        users = [
            User(pk=first_user + i, username=f"p{i:05d}", first_name=f"用户{i}", password=password,
                 email=f"p{i:05d}@bench.example")  # run_due's reminders and escalations
            for i in range(n_users)
        ]
        User.objects.bulk_create(users, batch_size=BATCH)
        offices = [u for lvl in by_level[1:3] for u in lvl if u.kind == UnitKind.GOVERNMENT_OFFICE]
        hot = offices[len(by_level[1]): len(by_level[1]) + HOT_UNITS] or offices[:HOT_UNITS]
        opening_units = [u for lvl in by_level[1:4] for u in lvl]
        memberships = []
        approver_of: dict[int, int] = {}
        for i, user in enumerate(users):
            if i < len(offices):
                unit = offices[i]
                memberships.append(Membership(user=user, unit=unit, role=Role.APPROVER))
                approver_of[unit.pk] = user.pk
            else:
                unit = opening_units[rng.randrange(len(opening_units))]
                role = (Role.APPLICANT, Role.UNIT_HEAD)[i % 2]
                memberships.append(Membership(user=user, unit=unit, role=role))
                if i % 5 == 0:
                    memberships.append(Membership(user=user, unit=unit.parent or unit,
                                                  role=Role.INSPECTOR))
        Membership.objects.bulk_create(memberships, batch_size=BATCH, ignore_conflicts=True)
        step("users", n_users)
        counts["memberships"] = len(memberships)

        # -- accounts in every state --------------------------------------------------------
        n_accounts = _scaled(100_000, scale, least=100)
        states = [s for s, share in STATE_SHARES for _ in range(round(share * 100))]
        platforms = list(Platform.values)
        aid = next_id(Account)
        accounts = []
        for i in range(n_accounts):
            unit = opening_units[rng.randrange(len(opening_units))]
            state = states[i % len(states)]
            live = state in ("active", "rectifying", "closing", "closed", "merged")
            accounts.append(Account(
                pk=aid + i, name=f"政务号{aid + i}", platform=platforms[i % len(platforms)],
                platform_id=f"id{aid + i}" if live else "", unit=unit, state=state,
                purpose="发布政务信息", opened_on=today - datetime.timedelta(days=400) if live else None,
                closed_on=today - datetime.timedelta(days=30) if state in ("closed", "merged") else None,
                followers=rng.randrange(100, 200_000) if live else None,
                posts_total=rng.randrange(0, 5000) if live else None,
                last_post_on=today - datetime.timedelta(days=rng.randrange(0, 200)) if live else None,
            ))
        Account.objects.bulk_create(accounts, batch_size=BATCH)
        step("accounts", n_accounts)

        # -- processes, tasks, routing, decisions -----------------------------------------
        pid = next_id(Process)
        tid = next_id(Task)
        processes, tasks, assignments, decisions, rows = [], [], [], [], []
        hot_quota = {u.pk: 0 for u in hot}
        hot_cap = _scaled(1100, scale, least=5)
        unit_by_pk = {u.pk: u for u in units}
        all_approvers = list(approver_of.values())
        for n, account in enumerate(accounts):
            p = pid + n
            unit = unit_by_pk[account.unit_id]
            office = unit.supervisor or unit
            is_open = account.state == "applying"
            chain = [
                {"units": [unit.code], "unit_names": [unit.name], "role": Role.UNIT_HEAD,
                 "mode": "any", "label": "单位负责人审核"},
                {"units": [office.code], "unit_names": [office.name], "role": Role.APPROVER,
                 "mode": "any", "label": f"{office.name}审核"},
            ]
            processes.append(Process(
                pk=p, flow_class=OpeningFlow, status=PROCESS.NEW if is_open else PROCESS.DONE,
                created=now, finished=None if is_open else now,
                data={"chain": chain, "step": 1 if is_open else 2, "round": 1 if is_open else 2},
            ))
            rows.append((p, "opening", account.pk, unit.pk))
            # start + two sign-offs + approve + register for a finished one (5 tasks);
            # start + one sign-off + gather/tally/route + the open sign-off for an applying one.
            base = {"step": 0, "round": 0, "units": [unit.code], "role": Role.UNIT_HEAD}
            tasks.append(Task(pk=tid, process_id=p, flow_task=OpeningFlow.start,
                              flow_task_type="START", status=STATUS.DONE, created=now,
                              finished=now, token=START))
            tid += 1
            approver = approver_of.get(office.pk) or all_approvers[n % len(all_approvers)]
            for s in range(1 if is_open else 2):
                tasks.append(Task(pk=tid, process_id=p, flow_task=OpeningFlow.sign_off,
                                  flow_task_type="HUMAN", status=STATUS.DONE, created=now,
                                  finished=now, owner_id=approver, token=START,
                                  data=dict(base, step=s, round=s)))
                decisions.append(Decision(process_id=p, task_id=tid, step=s, round=s,
                                          unit_id=unit.pk if s == 0 else office.pk,
                                          decision="approve", comment="同意", actor_id=approver))
                tid += 1
            if is_open:
                target = office
                for h in hot:
                    if hot_quota[h.pk] < hot_cap:
                        hot_quota[h.pk] += 1
                        target = h
                        break
                for node in (OpeningFlow.gather, OpeningFlow.tally, OpeningFlow.route):
                    tasks.append(Task(pk=tid, process_id=p, flow_task=node,
                                      flow_task_type="FUNCTION", status=STATUS.DONE,
                                      created=now, finished=now, token=START))
                    tid += 1
                tasks.append(Task(pk=tid, process_id=p, flow_task=OpeningFlow.sign_off,
                                  flow_task_type="HUMAN", status=STATUS.NEW, created=now,
                                  token=START,
                                  data={"step": 1, "round": 1, "units": [target.code],
                                        "role": Role.APPROVER}))
                assignments.append(TaskAssignment(task_id=tid, unit_id=target.pk,
                                                  role=Role.APPROVER,
                                                  due_on=today + datetime.timedelta(days=7)))
                tid += 1
            else:
                for node in (OpeningFlow.approve, OpeningFlow.register):
                    tasks.append(Task(pk=tid, process_id=p, flow_task=node,
                                      flow_task_type="FUNCTION", status=STATUS.DONE,
                                      created=now, finished=now, token=START))
                    tid += 1
        Process.objects.bulk_create(processes, batch_size=BATCH)
        with connection.cursor() as cursor:
            for i in range(0, len(rows), BATCH):
                cursor.executemany(
                    "INSERT INTO approvals_accountprocess (process_ptr_id, kind, account_id, unit_id)"
                    " VALUES (%s, %s, %s, %s)", rows[i: i + BATCH])
        step("processes", len(processes))
        Task.objects.bulk_create(tasks, batch_size=BATCH)
        step("tasks", len(tasks))
        TaskAssignment.objects.bulk_create(assignments, batch_size=BATCH)
        counts["open tasks"] = len(assignments)
        Decision.objects.bulk_create(decisions, batch_size=BATCH)
        step("decisions", len(decisions))

        # -- notices ----------------------------------------------------------------------
        n_notices = _scaled(50_000, scale, least=50)
        live = [a for a in accounts if a.opened_on]
        proc_of = {a.pk: pid + n for n, a in enumerate(accounts)}
        notices = []
        seq: dict[tuple[int, int], int] = {}
        for i in range(n_notices):
            account = live[i % len(live)]
            issuer = unit_by_pk[account.unit_id].supervisor or unit_by_pk[account.unit_id]
            year = today.year - (i % 3)
            key = (issuer.pk, year)
            seq[key] = seq.get(key, 0) + 1
            notices.append(Notice(
                kind="opening_approval", number=f"{issuer.short_name}批复〔{year}〕{seq[key]}号#{i}",
                series="批复", year=year, seq=seq[key], title=f"关于同意开设“{account.name}”的批复",
                issuing_unit=issuer, account=account, process_id=proc_of[account.pk],
                issued_on=datetime.date(year, 1 + i % 12, 1 + i % 28),
                context={"account_name": account.name}, status="rendered", created=now,
            ))
        for row in notices:  # what rendering writes for the archive's full-text search
            row.search_text = text_for(row)
        Notice.objects.bulk_create(notices, batch_size=BATCH)
        step("notices", n_notices)

        # -- metric snapshots: daily rows for the live accounts -------------------------------
        n_snapshots = _scaled(1_000_000, scale, least=100)
        per_account = max(1, -(-n_snapshots // len(live)))
        batch = []
        written = 0
        for account in live:
            for d in range(per_account):
                if written >= n_snapshots:
                    break
                batch.append(MetricSnapshot(
                    account=account, as_of=today - datetime.timedelta(days=d),
                    followers=(account.followers or 0) - d,
                    posts_total=max(0, (account.posts_total or 0) - d),
                    last_post_on=account.last_post_on, interaction_enabled=True,
                ))
                written += 1
            if len(batch) >= BATCH * 4:
                MetricSnapshot.objects.bulk_create(batch, batch_size=BATCH)
                batch = []
        MetricSnapshot.objects.bulk_create(batch, batch_size=BATCH)
        step("metric snapshots", written)

        # -- filings owed after recent events (run_due's filing part) -------------------------
        # 2 % of the live accounts had a change or a closure in the last weeks: one filing per
        # reporting system, due 15 days after the event, spread from 10 days ago to 20 days
        # ahead; half of them already filed. Own random stream: the rows above stay the same.
        frng = random.Random(seed + 1)
        filings = []
        for account in frng.sample(live, max(1, len(live) // 50)):
            due_on = today + datetime.timedelta(days=frng.randrange(-10, 21))
            kind = (FilingKind.CHANGE, FilingKind.CLOSURE)[frng.randrange(2)]
            filed = frng.random() < 0.5
            for system in FilingSystem.values:
                filings.append(Filing(
                    account=account, kind=kind, system=system,
                    event_on=due_on - datetime.timedelta(days=15), due_on=due_on,
                    filed_on=min(today, due_on) if filed else None,
                    reference=f"BA{account.pk}-{system}" if filed else "",
                ))
        Filing.objects.bulk_create(filings, batch_size=BATCH)
        step("filings", len(filings))

        # -- closures in their notice period and rectifications (run_due's other parts) ------
        made = _closures_and_rectifications(
            seed=seed, now=now, today=today, accounts=accounts, unit_by_pk=unit_by_pk,
            users=users, offices=offices, approver_of=approver_of,
            first_process=pid + len(accounts), first_task=tid,
        )
        for name, n in made.items():
            step(name, n)

        # Explicit keys: move the sequences past them (PostgreSQL; no-op on SQLite).
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(
                    no_style(), [Unit, User, Account, Process, Task, Notice]):
                cursor.execute(sql)
        reindex()  # SQLite's FTS table from the notices' search text (no-op on PostgreSQL)
    counts["hot approvers"] = [User.objects.get(pk=approver_of[h.pk]).username for h in hot]
    counts["seconds"] = round(time.perf_counter() - t_start, 1)
    return counts


# Shares of the generated closing / rectifying accounts (the states' own shares above) in
# each stage of their procedure. Closing: in the notice period after the announcement,
# announced over the last NOTICE_SPREAD days (so due on different days ahead). Rectifying:
# the report submitted and the supervisor's recheck open, or the report still open with
# its deadline ahead (ordered over the last ORDER_SPREAD days), or already past its
# deadline and not yet escalated (missed by a failed run).
CLOSING_IN_NOTICE_PERIOD = 0.6
NOTICE_SPREAD = 21
RECHECK_OPEN, REPORT_OPEN = 0.7, 0.27  # the rest (3 %) overdue
ORDER_SPREAD = 14


def _closures_and_rectifications(*, seed, now, today, accounts, unit_by_pk, users, offices,
                                 approver_of, first_process, first_task) -> dict[str, int]:
    """Closures waiting in their notice period and ordered rectifications, with the rows the
    flows write for them (approvals.flows.closure / rectification, approvals.actions
    closure_announce / rectification_order): process and data, the tasks up to the waiting
    one (viewflow's tokens), its routing row, the decisions of the chain, the announcement or
    整改通知 notice and the account's audit row. Own random stream: earlier rows stay the same."""
    from django.conf import settings
    from viewflow.workflow.models import Process, Task
    from viewflow.workflow.status import PROCESS, STATUS
    from viewflow.workflow.token import Token

    from approvals.flows import ClosureFlow, RectificationFlow
    from approvals.models import Decision, TaskAssignment
    from lifecycle.models import AccountTransition, Membership, Role
    from lifecycle.services import ANNOUNCE
    from lifecycle.workdays import add_working_days
    from notices.models import Notice
    from notices.search import text_for

    rng = random.Random(seed + 2)
    start = Token("start")
    pid, tid = first_process, first_task
    nid = (Notice.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    # The offices recheck rectifications: their approvers are also its reviewers.
    Membership.objects.bulk_create(
        [Membership(user_id=user, unit_id=unit, role=Role.SUPERVISOR_REVIEWER)
         for unit, user in approver_of.items()], batch_size=BATCH, ignore_conflicts=True)
    clerks = users[len(offices):] or users
    fallback = list(approver_of.values())
    processes, rows, tasks, assignments, decisions, notices, transitions = [], [], [], [], [], [], []
    seq: dict[tuple[int, str], int] = {}
    counts = {"closures in notice period": 0, "rectifications (recheck open)": 0,
              "rectifications (report open)": 0, "rectifications (overdue)": 0}

    def task(node, kind, status, *, token=start, owner=None, data=None) -> int:
        nonlocal tid
        tasks.append(Task(pk=tid, process_id=pid, flow_task=node, flow_task_type=kind,
                          status=status, created=now,
                          finished=None if status == STATUS.NEW else now,
                          owner_id=owner, token=token, data=data or {}))
        tid += 1
        return tid - 1

    def notice(kind, series, title, issuer, account, context, on) -> tuple[int, str]:
        nonlocal nid
        key = (issuer.pk, series)
        seq[key] = seq.get(key, 0) + 1
        number = f"{issuer.short_name}{series}〔{on.year}〕{seq[key]}号#{nid}"
        notices.append(Notice(pk=nid, kind=kind, number=number, series=series, year=on.year,
                              seq=seq[key], title=title, issuing_unit=issuer, account=account,
                              process_id=pid, issued_on=on, context=context,
                              status="rendered", created=now))
        nid += 1
        return nid - 1, number

    days = int(settings.NOTICE_PERIOD_WORKING_DAYS)
    for account in accounts:
        if account.state not in ("closing", "rectifying"):
            continue
        unit = unit_by_pk[account.unit_id]
        office = unit.supervisor or unit
        while office.pk not in approver_of and office.parent_id is not None:
            office = unit_by_pk[office.parent_id]  # the nearest staffed office above
        if office.pk not in approver_of and unit.pk in approver_of:
            office = unit  # a city's own office, nobody staffed above it
        approver = approver_of.get(office.pk) or fallback[account.pk % len(fallback)]
        if account.state == "closing":
            if rng.random() >= CLOSING_IN_NOTICE_PERIOD:
                continue
            applicant = clerks[rng.randrange(len(clerks))].pk
            announced = today - datetime.timedelta(days=rng.randrange(NOTICE_SPREAD))
            ends_on = add_working_days(announced, days)
            stop_on = announced + datetime.timedelta(days=rng.randrange(1, 15))
            due_on = max(ends_on + datetime.timedelta(days=1) if days else announced, stop_on)
            if due_on <= today:  # ended by an earlier run: not waiting any more
                continue
            channels = [{"kind": "phone", "value": f"0{account.pk % 900 + 100}-8{account.pk:07d}"}]
            reason = "账号长期未更新，服务已整合到本单位其他渠道，申请关停。"
            notice_id, number = notice(
                "closure_announcement", "公告", f"关于关停“{account.name}”的公告", unit, account,
                {"account_name": account.name, "reason": reason, "channels": channels,
                 "stop_on": stop_on.isoformat()}, announced)
            chain = [
                {"units": [unit.code], "unit_names": [unit.name], "role": Role.UNIT_HEAD,
                 "mode": "any", "label": "单位负责人审核"},
                {"units": [office.code], "unit_names": [office.name], "role": Role.APPROVER,
                 "mode": "any", "label": f"{office.name}审核"},
            ]
            plan = {"kind": "close", "reason": reason, "stop_on": stop_on.isoformat(),
                    "successor_account": None, "channels": channels, "notes": [],
                    "forced": False,
                    "announcement": {"notice_id": notice_id, "number": number,
                                     "kind": "closure_announcement"}}
            processes.append(Process(
                pk=pid, flow_class=ClosureFlow, status=PROCESS.NEW, created=now,
                data={"chain": chain, "step": 2, "round": 2, "closure": plan,
                      "outcome": "approved",
                      "notice_period": {"working_days": days, "starts_on": announced.isoformat(),
                                        "ends_on": ends_on.isoformat(),
                                        "due_on": due_on.isoformat(), "ended": days == 0}}))
            rows.append((pid, "closure", account.pk, unit.pk, applicant))
            task(ClosureFlow.start, "START", STATUS.DONE, owner=applicant)
            fan = task(ClosureFlow.fan_out, "PARALLEL_GATEWAY", STATUS.DONE)
            for s, (who, role, at) in enumerate(((applicant, Role.UNIT_HEAD, unit),
                                                 (approver, Role.APPROVER, office))):
                sign = task(ClosureFlow.sign_off, "HUMAN", STATUS.DONE,
                            token=Token(f"start/{fan}_1"), owner=who,
                            data={"step": s, "round": s, "role": role, "units": [at.code]})
                decisions.append(Decision(process_id=pid, task_id=sign, step=s, round=s,
                                          unit_id=at.pk, decision="approve", comment="同意",
                                          actor_id=who))
                fan = task(ClosureFlow.gate, "JOIN", STATUS.DONE)
            for node, kind in ((ClosureFlow.approve, "FUNCTION"),
                               (ClosureFlow.announce, "FUNCTION"),
                               (ClosureFlow.check_period, "SWITCH")):
                task(node, kind, STATUS.DONE)
            task(ClosureFlow.wait_notice_period, "FUNCTION", STATUS.NEW)
            transitions.append(AccountTransition(
                account=account, from_state="closing", to_state="closing", name=ANNOUNCE,
                actor_id=approver, reason=reason, process_id=pid,
                data={"kind": "close", "number": number, "notice_id": notice_id,
                      "stop_on": stop_on.isoformat(), "announced_on": announced.isoformat()}))
            counts["closures in notice period"] += 1
        else:
            r = rng.random()
            stage = "recheck open" if r < RECHECK_OPEN else (
                "report open" if r < RECHECK_OPEN + REPORT_OPEN else "overdue")
            if stage == "overdue":  # ordered long enough ago that the deadline has passed
                ordered = today - datetime.timedelta(days=rng.randrange(15, 18))
            else:
                ordered = today - datetime.timedelta(days=rng.randrange(ORDER_SPREAD))
            deadline = add_working_days(ordered, int(settings.RECTIFICATION_WORKING_DAYS))
            if stage == "report open" and deadline < today:
                deadline = today + datetime.timedelta(days=rng.randrange(1, 4))
            reason = "监测时间点前2周内无更新（单项否决），限期整改。"
            findings = [{"label": "内容更新", "text": "监测时间点前2周内无更新（单项否决）"}]
            notice_id, number = notice(
                "rectification_order", "整改", f"关于“{account.name}”限期整改的通知", office,
                account, {"deadline": deadline.isoformat(), "findings": findings,
                          "reason": reason, "recheck_unit_name": office.name}, ordered)
            plan = {"reason": reason, "issuing_unit": office.code, "recheck_unit": office.code,
                    "campaign": None, "findings": findings, "overdue": False,
                    "deadline": deadline.isoformat(), "notice": {"id": notice_id, "number": number}}
            data = {"round": 0, "rectification": plan}
            if stage == "recheck open":
                data["rectification_report"] = {"report": "已恢复更新，建立值班发布制度。",
                                                "evidence_url": "", "evidence_text": ""}
            processes.append(Process(pk=pid, flow_class=RectificationFlow, status=PROCESS.NEW,
                                     created=now, data=data))
            rows.append((pid, "rectification", account.pk, unit.pk, approver))
            task(RectificationFlow.start, "START", STATUS.DONE, owner=approver)
            task(RectificationFlow.order, "FUNCTION", STATUS.DONE)
            report_data = {"units": [unit.code], "role": Role.APPLICANT, "round": 0}
            if stage == "recheck open":
                clerk = clerks[rng.randrange(len(clerks))].pk
                report = task(RectificationFlow.report, "HUMAN", STATUS.DONE, owner=clerk,
                              data=report_data)
                decisions.append(Decision(process_id=pid, task_id=report, step=0, round=0,
                                          unit_id=unit.pk, decision="approve", comment="整改报告",
                                          actor_id=clerk))
                task(RectificationFlow.check_overdue, "SWITCH", STATUS.DONE)
                recheck = task(RectificationFlow.recheck, "HUMAN", STATUS.NEW,
                               data={"units": [office.code], "role": Role.SUPERVISOR_REVIEWER,
                                     "round": 0})
                assignments.append(TaskAssignment(task_id=recheck, unit_id=office.pk,
                                                  role=Role.SUPERVISOR_REVIEWER,
                                                  due_on=today + datetime.timedelta(days=7)))
            else:
                report = task(RectificationFlow.report, "HUMAN", STATUS.NEW, data=report_data)
                assignments.append(TaskAssignment(task_id=report, unit_id=unit.pk,
                                                  role=Role.APPLICANT, due_on=deadline))
            transitions.append(AccountTransition(
                account=account, from_state="active", to_state="rectifying",
                name="order_rectification", actor_id=approver, reason=reason, process_id=pid))
            counts[f"rectifications ({stage})"] += 1
        pid += 1
    Process.objects.bulk_create(processes, batch_size=BATCH)
    from django.db import connection

    with connection.cursor() as cursor:
        for i in range(0, len(rows), BATCH):
            cursor.executemany(
                "INSERT INTO approvals_accountprocess (process_ptr_id, kind, account_id, unit_id,"
                " applicant_id) VALUES (%s, %s, %s, %s, %s)", rows[i: i + BATCH])
    for row in notices:
        row.search_text = text_for(row)
    Notice.objects.bulk_create(notices, batch_size=BATCH)
    Task.objects.bulk_create(tasks, batch_size=BATCH)
    TaskAssignment.objects.bulk_create(assignments, batch_size=BATCH)
    Decision.objects.bulk_create(decisions, batch_size=BATCH)
    AccountTransition.objects.bulk_create(transitions, batch_size=BATCH)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = a province; 0.01 = smoke")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--database-url", default="", help="default: a new SQLite file")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="govmedia-province-")
    url = args.database_url or f"sqlite:///{tmp}/province.sqlite3"
    setup_django(url, tmp)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    counts = generate(scale=args.scale, seed=args.seed)
    print(f"province at scale {args.scale} (seed {args.seed}) in {counts['seconds']} s → {url}")
    print(counts)


if __name__ == "__main__":
    main()
