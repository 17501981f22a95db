"""Reads of approval state. Inbox, queue and process lists are scoped here, once."""

from __future__ import annotations

import datetime
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals.chains import CHAIN_ROLES, compute_chain, step_title
from approvals.models import AccountProcess, Delegation, ProcessCopy, ProcessKind, TaskAssignment
from lifecycle import workdays
from lifecycle.models import Membership, Unit
from lifecycle.selectors import (
    membership_pairs,
    sees_everything,
    subtree_q,
    unit_in_scope,
    user_units,
)
from lifecycle.services import existing_on_platform
from lifecycle.types import RequestUser, User

OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED)


def active_delegators(user: RequestUser, *, on: datetime.date | None = None) -> list[int]:
    """Users who have delegated their work to `user` on the day `on` (default: today), i.e.
    whom the user acts for. Cached on the user object per day (one query a request)."""
    if not user.is_authenticated:
        return []  # nobody delegates to the anonymous user (as lifecycle's user_units)
    day = on or workdays.today()
    cache = user.__dict__.setdefault("_govmedia_delegators", {})
    if day not in cache:
        cache[day] = list(
            Delegation.objects.filter(
                delegate=user, starts_on__lte=day, ends_on__gte=day, ended__isnull=True
            ).values_list("user_id", flat=True)
        )
    return cache[day]


def _pairs(user_ids: list[int]) -> set[tuple[int, str]]:
    return set(Membership.objects.filter(user_id__in=user_ids).values_list("unit_id", "role"))


def _candidate_q(user: RequestUser, *, delegated: bool = True,
                 on: datetime.date | None = None) -> Q:
    """TaskAssignment rows the user may claim: (unit, role) among their memberships, and
    among those of colleagues who delegated to them on the day `on` (default: today; unless
    delegated=False)."""
    if not user.is_authenticated:
        return Q(pk__in=[])  # the anonymous user holds no (unit, role)
    pairs = _pairs_of(user, delegated=delegated, on=on)
    if not pairs:
        return Q(pk__in=[])
    return reduce(or_, (Q(unit_id=unit_id, role=role) for unit_id, role in pairs))


def _pairs_of(user: RequestUser, *, delegated: bool = True,
              on: datetime.date | None = None) -> list[tuple[int, str]]:
    """The (unit, role) pairs of `_candidate_q`, cached on the user object (one request).
    Without delegators that day, the user's own pairs are the same rows: one query serves
    both keys."""
    key = ("pairs", on or workdays.today()) if delegated else ("own_pairs", None)
    cache = user.__dict__.setdefault("_govmedia_pairs", {})
    pairs = cache.get(key)
    if pairs is None:
        delegators = active_delegators(user, on=on) if delegated else []
        if delegated and not delegators and ("own_pairs", None) in cache:
            pairs = cache[("own_pairs", None)]
        elif not delegators:  # their own pairs: from the request's memberships
            pairs = cache[("own_pairs", None)] = sorted(membership_pairs(user))
        else:
            pairs = sorted(_pairs([user.pk, *delegators]))  # type: ignore[list-item]
        cache[key] = pairs
    return pairs


def _prefetched_assignments(task: Task) -> list[TaskAssignment] | None:
    """The task's routing rows when the caller loaded them with the task
    (prefetch_related("assignments"): the decide path), else None (ask the database)."""
    if "assignments" in getattr(task, "_prefetched_objects_cache", {}):
        return list(task.assignments.all())
    created = task.__dict__.get("_govmedia_created_assignments")  # approvals.nodes
    return list(created) if created is not None else None


def acting_for(user: User, task: Task) -> User | None:
    """None when the user is a candidate in their own right; otherwise the delegator whose
    role makes them one (recorded on the Decision)."""
    rows = _prefetched_assignments(task)
    if rows is not None:
        own = set(_pairs_of(user, delegated=False))
        if any((a.unit_id, a.role) in own for a in rows):
            return None
    elif TaskAssignment.objects.filter(_candidate_q(user, delegated=False), task=task).exists():
        return None
    for delegator_id in active_delegators(user):
        pairs = _pairs([delegator_id])
        if rows is None:
            rows = list(TaskAssignment.objects.filter(task=task))
        if any((a.unit_id, a.role) in pairs for a in rows):
            return get_user_model().objects.get(pk=delegator_id)
    return None


def is_candidate(user: RequestUser, task: Task, *, on: datetime.date | None = None) -> bool:
    """May the user act on the task on the day `on` (default: today): the one rule."""
    if not getattr(user, "is_authenticated", False):
        return False
    rows = _prefetched_assignments(task)
    if rows is not None:
        wanted = {(a.unit_id, a.role) for a in rows}
        # their own (unit, role) first: a member in their own right needs no delegations
        return bool(wanted & set(_pairs_of(user, delegated=False))) or bool(
            wanted & set(_pairs_of(user, on=on)))
    return TaskAssignment.objects.filter(_candidate_q(user, on=on), task=task).exists()


def candidates_for(task: Task, *, on: datetime.date | None = None) -> list[User]:
    """Active users who may act on the task on the day `on` (default: today): its holder
    when claimed; otherwise is_candidate's rule for everyone at once, in one query — the
    members holding an assigned (unit, role), and the delegates of such members whose
    delegation runs on the day (the new-task notification asks this after every
    decision)."""
    users = get_user_model().objects.filter(is_active=True).order_by("pk")
    if task.owner_id is not None:
        return list(users.filter(pk=task.owner_id))
    rows = _prefetched_assignments(task)
    if rows is None:
        rows = list(TaskAssignment.objects.filter(task=task))
    pairs = [Q(unit_id=a.unit_id, role=a.role) for a in rows]
    if not pairs:
        return []
    day = on or workdays.today()
    members = Membership.objects.filter(reduce(or_, pairs)).values("user_id")
    delegates = Delegation.objects.filter(
        user_id__in=members, starts_on__lte=day, ends_on__gte=day, ended__isnull=True,
    ).values("delegate_id")
    return list(users.filter(Q(pk__in=members) | Q(pk__in=delegates)))


def candidates_by_task(tasks: list[Task], *, on: datetime.date) -> dict[int, list[User]]:
    """candidates_for(task, on=on) of many tasks at once (run_due's reminders and
    escalations): four queries whatever the number of tasks — their routing rows, the
    members holding those (unit, role) pairs, the delegations running on the day, the
    active users — instead of three per task. Same rule, same order (by user id)."""
    open_ids = [t.pk for t in tasks if t.owner_id is None]
    pairs_of: dict[int, set[tuple[int, str]]] = {}
    for task_id, unit_id, role in TaskAssignment.objects.filter(
            task_id__in=open_ids).values_list("task_id", "unit_id", "role"):
        pairs_of.setdefault(task_id, set()).add((unit_id, role))
    all_pairs = set().union(*pairs_of.values()) if pairs_of else set()
    holders: dict[tuple[int, str], set[int]] = {}
    if all_pairs:
        for user_id, unit_id, role in Membership.objects.filter(
                unit_id__in={u for u, _r in all_pairs},
                role__in={r for _u, r in all_pairs}).values_list("user_id", "unit_id", "role"):
            if (unit_id, role) in all_pairs:
                holders.setdefault((unit_id, role), set()).add(user_id)
    members = set().union(*holders.values()) if holders else set()
    delegates: dict[int, set[int]] = {}
    for user_id, delegate_id in Delegation.objects.filter(
            user_id__in=members, starts_on__lte=on, ends_on__gte=on, ended__isnull=True,
    ).values_list("user_id", "delegate_id"):
        delegates.setdefault(user_id, set()).add(delegate_id)
    wanted: dict[int, set[int]] = {}
    for task in tasks:
        if task.owner_id is not None:
            wanted[task.pk] = {task.owner_id}
            continue
        ids = set().union(*(holders.get(p, set()) for p in pairs_of.get(task.pk, ())))
        wanted[task.pk] = ids.union(*(delegates.get(uid, set()) for uid in ids))
    everyone = set().union(*wanted.values()) if wanted else set()
    users = get_user_model().objects.filter(pk__in=everyone, is_active=True).in_bulk()
    return {task_id: [users[uid] for uid in sorted(ids) if uid in users]
            for task_id, ids in wanted.items()}


def inbox_for(user: RequestUser) -> QuerySet[Task]:
    """Tasks the user holds (claimed or assigned), newest first."""
    return (
        Task.objects.filter(owner=user, status=STATUS.ASSIGNED)
        .select_related("process")
        .order_by("-created")
    )


def _claimable_ids(user: RequestUser):
    """Ids of tasks routed to one of the user's (unit, role) pairs — read from the
    TaskAssignment(unit, role) index, so it follows the user's own units' work, never the
    size of the Task table (bench/inbox.py)."""
    return TaskAssignment.objects.filter(_candidate_q(user)).values("task_id")


def queue_for(user: RequestUser) -> QuerySet[Task]:
    """Unclaimed tasks whose (unit, role) matches one of the user's memberships."""
    return (
        Task.objects.filter(pk__in=_claimable_ids(user), status=STATUS.NEW, owner__isnull=True)
        .select_related("process")
        .order_by("-created")
    )


def open_task_count(user: RequestUser) -> int:
    """open_tasks_for(user).count(), once a request (cached on the user object): the menu's
    to-do count on every workbench page, and the to-do list's total when unfiltered."""
    cache = user.__dict__.setdefault("_govmedia_open_count", {})
    if "n" not in cache:
        cache["n"] = open_tasks_for(user).count()
    return cache["n"]


def open_tasks_for(user: RequestUser) -> QuerySet[Task]:
    """The contract's task list default: the user's assigned tasks plus claimable ones."""
    return (
        Task.objects.filter(
            Q(owner=user, status=STATUS.ASSIGNED)
            | Q(pk__in=_claimable_ids(user), status=STATUS.NEW, owner__isnull=True)
        )
        .select_related("process")
        .order_by("-created")
    )


def history_for(user: RequestUser) -> QuerySet[Task]:
    """Tasks the user has completed."""
    return (
        Task.objects.filter(owner=user, status=STATUS.DONE)
        .select_related("process")
        .order_by("-finished")
    )


def processes_for(user: RequestUser) -> QuerySet[AccountProcess]:
    """Processes of units under the user's units, or passing through one of them."""
    qs = AccountProcess.objects.select_related("account", "unit")
    if sees_everything(user):
        return qs
    units = user_units(user)
    # Processes whose chain passed one of the user's units (a countersigning unit outside
    # the tree), read from the TaskAssignment index rather than a per-row EXISTS.
    via_chain = TaskAssignment.objects.filter(unit_id__in=[u.pk for u in units]).values(
        "task__process_id"
    )
    return qs.filter(
        subtree_q(units, prefix="unit__") | Q(pk__in=via_chain) | Q(pk__in=copied_to(user, units))
    )


def copied_to(user: RequestUser, units: list[Any] | None = None) -> QuerySet[Any]:
    """Ids of the processes copied (抄送) to the user or to one of their units: read-only
    access (approvals.services.oa.process_copy)."""
    units = user_units(user) if units is None else units
    return ProcessCopy.objects.filter(
        Q(user_id=user.pk) | Q(unit_id__in=[u.pk for u in units])
    ).values("process_id")


def process_in_scope(user: RequestUser, process_id: int) -> bool:
    return processes_for(user).filter(pk=process_id).exists()


def tasks_in_scope(user: RequestUser) -> QuerySet[Task]:
    """Every task of a visible process (task detail pages and the API's object routes)."""
    if sees_everything(user):
        return Task.objects.all()
    return Task.objects.filter(process_id__in=processes_for(user).values("pk"))


def process_visible(user: RequestUser, process: AccountProcess) -> bool:
    """processes_for's rule for one loaded process (its unit loaded with it): a process of
    a unit under one of the user's units answers from the request's memberships; otherwise
    the whole rule (the chain passed one of the user's units, a copy) asks the database."""
    if sees_everything(user) or unit_in_scope(user, process.unit):
        return True
    return processes_for(user).filter(pk=process.pk).exists()


def task_in_scope(user: RequestUser, pk: int, qs: QuerySet[Task] | None = None) -> Task | None:
    """The task `pk` if tasks_in_scope(user) holds it, else None: loaded by its key with
    whatever `qs` joins (its process's unit always), the scope then checked on the loaded
    process (process_visible) — not a scope subquery in the load, whose join the database
    plans anew on every request (issue 15: the task page and `decide` paid 3–10 ms of
    PostgreSQL planning for it)."""
    qs = Task.objects.all() if qs is None else qs
    rows = list(qs.filter(pk=pk).select_related("process__accountprocess__unit").order_by())
    if not rows:
        return None
    task = rows[0]
    if sees_everything(user):
        return task
    try:
        process = task.process.accountprocess
    except AccountProcess.DoesNotExist:  # another flow's process: outside every scope
        return None
    return task if process_visible(user, process) else None


def open_tasks(process: AccountProcess) -> QuerySet[Task]:
    return Task.objects.filter(process=process, status__in=OPEN_STATUSES).order_by("pk")


def chain_process_ids(units: Q) -> QuerySet[Any]:
    """Ids of the processes with a sign-off step (unit head, approvers, countersigns) at the
    units `units` selects (a Q over `unit__` fields); their notices are readable there
    (notices.selectors.notices_for, registered by approvals.apps). Data steps
    (registration, rectification report, recheck, inspection) do not count."""
    return TaskAssignment.objects.filter(units, role__in=CHAIN_ROLES).values("task__process_id")


# -- the to-do list (待办), the done list (已办) and who holds a process ----------------------

# A task due within this many working days is marked 临期 (near due).
NEAR_DUE_WORKING_DAYS = 2
DUE_STATES = ("overdue", "near", "ok")
TODO_SORTS = ("due", "-due", "received", "-received")


def due_state(due_on: datetime.date | None, *, today: datetime.date) -> str:
    """overdue (past its date), near (due within NEAR_DUE_WORKING_DAYS) or ok."""
    if due_on is None:
        return "ok"
    if due_on < today:
        return "overdue"
    if due_on <= workdays.add_working_days(today, NEAR_DUE_WORKING_DAYS):
        return "near"
    return "ok"


def _earliest_due() -> Subquery:
    """The task's earliest due date over its routing rows (undated rows ignored, as MIN
    does). A subquery, not MIN over a join: the join made the list GROUP BY every selected
    column, so PostgreSQL hashed every process to sort the page (bench/pages.py)."""
    dated = TaskAssignment.objects.filter(task=OuterRef("pk"), due_on__isnull=False)
    return Subquery(dated.order_by("due_on").values("due_on")[:1])


def todo_for(
    user: RequestUser,
    *,
    flow: str = "",
    unit: int | None = None,
    unit_name: str = "",
    account: int | None = None,
    platform: str = "",
    due: str = "",
    q: str = "",
    sort: str = "due",
    today: datetime.date | None = None,
) -> QuerySet[Task]:
    """待办: everything the user may act on — tasks they hold and tasks offered to one of
    their (unit, role) pairs (or to a colleague who delegated to them) — with the account,
    the applying unit and the earliest due date (`due_on`) in the same query. Filters: flow
    (process kind), applying unit (by id, or by part of its name or short name, or its
    code, any case: `unit_name`), account, platform, due state (DUE_STATES), a search over
    account name, platform id and unit name; sorted by due date (undated last) or received."""
    day = today or workdays.today()
    qs = open_tasks_for(user).select_related(
        "process__accountprocess__account", "process__accountprocess__unit", "owner"
    ).annotate(due_on=_earliest_due())
    prefix = "process__accountprocess__"
    if flow:
        qs = qs.filter(**{prefix + "kind": flow})
    if unit:
        qs = qs.filter(**{prefix + "unit_id": unit})
    unit_name = (unit_name or "").strip()
    if unit_name:
        qs = qs.filter(Q(**{prefix + "unit__name__icontains": unit_name})
                       | Q(**{prefix + "unit__short_name__icontains": unit_name})
                       | Q(**{prefix + "unit__code__iexact": unit_name}))
    if account:
        qs = qs.filter(**{prefix + "account_id": account})
    if platform:
        qs = qs.filter(**{prefix + "account__platform": platform})
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(**{prefix + "account__name__icontains": q})
                       | Q(**{prefix + "account__platform_id__icontains": q})
                       | Q(**{prefix + "unit__name__icontains": q}))
    near = workdays.add_working_days(day, NEAR_DUE_WORKING_DAYS)
    if due == "overdue":
        qs = qs.filter(due_on__lt=day)
    elif due == "near":
        qs = qs.filter(due_on__gte=day, due_on__lte=near)
    elif due == "ok":
        qs = qs.filter(Q(due_on__gt=near) | Q(due_on__isnull=True))
    if sort == "-due":
        return qs.order_by(F("due_on").desc(nulls_last=True), "-created", "-pk")
    if sort in ("received", "-received"):
        return qs.order_by(sort.replace("received", "created"), "pk")
    return qs.order_by(F("due_on").asc(nulls_last=True), "created", "pk")


def done_for(user: RequestUser) -> QuerySet[Task]:
    """已办: the tasks the user completed, with their decision row and account (one query)."""
    return history_for(user).select_related(
        "process__accountprocess__account", "process__accountprocess__unit", "decision",
        "decision__acting_for",
    )


def holders_of(tasks: list[Task]) -> dict[int, list[Any]]:
    """Who holds each open task: its owner once claimed, else the members of the (unit,
    role) pairs it is offered to. Two queries for any number of tasks (lists, timeline);
    one when the tasks came with their routing rows prefetched."""
    out: dict[int, list[Any]] = {t.pk: [t.owner] for t in tasks if t.owner_id and t.owner}
    waiting = [t for t in tasks if t.pk not in out]
    if not waiting:
        return out
    rows = []
    unknown = []
    for t in waiting:
        loaded = getattr(t, "_prefetched_objects_cache", {}).get("assignments")
        if loaded is None:
            unknown.append(t.pk)
        else:
            rows += [(t.pk, a.unit_id, a.role) for a in loaded]
    if unknown:
        rows += TaskAssignment.objects.filter(task_id__in=unknown).values_list(
            "task_id", "unit_id", "role")
    pairs = {(unit_id, role) for _, unit_id, role in rows}
    members: dict[tuple[int, str], list[Any]] = {}
    if pairs:
        memberships = Membership.objects.filter(
            reduce(or_, (Q(unit_id=u, role=r) for u, r in pairs)), user__is_active=True
        ).select_related("user").order_by("user_id")
        for m in memberships:
            members.setdefault((m.unit_id, m.role), []).append(m.user)
    for task_id, unit_id, role in rows:
        people = out.setdefault(task_id, [])
        people.extend(u for u in members.get((unit_id, role), []) if u not in people)
    return out


def chain_preview(*, unit: Unit, platform: str) -> list[dict[str, Any]]:
    """The sign-off chain an opening application for `unit` on `platform` would freeze
    (approvals.chains.compute_chain, the exemption level included), each step with its
    title, units and the names of the people who hold its role there. Raises ValidationError
    (field "unit") when the policy forbids the application."""
    extra = existing_on_platform(unit=unit, platform=platform) is not None
    chain = compute_chain(process_kind=ProcessKind.OPENING, unit=unit, extra_level=extra)
    codes = {code for step in chain for code in step["units"]}
    people: dict[tuple[str, str], list[str]] = {}
    for m in Membership.objects.filter(unit__code__in=codes).select_related("user", "unit").order_by(
        "user__username"
    ):
        name = m.user.get_full_name() or m.user.get_username()
        people.setdefault((m.unit.code, m.role), []).append(name)
    return [
        {
            "title": step_title(step),
            "units": step.get("unit_names") or step["units"],
            "people": [n for code in step["units"] for n in people.get((code, step["role"]), [])],
            "extra_level": extra,
        }
        for step in chain
    ]
