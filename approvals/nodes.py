"""Flow nodes that route human tasks to (unit, role) candidates instead of global perms, and
the links and labels of a node's task (the workbench shows them; flows only need the
redirect that viewflow's own "execute" URL of a human node answers with)."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.shortcuts import redirect
from django.urls import get_resolver, reverse
from django.utils.timezone import now
from django.utils.translation import gettext_noop
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.models import Task
from viewflow.workflow.nodes.join import JoinActivation
from viewflow.workflow.nodes.split import SplitActivation
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.signals import task_finished
from viewflow.workflow.status import STATUS
from viewflow.workflow.token import Token

from approvals.chains import step_title
from approvals.models import AccountProcess, Decision, DecisionKind, StepMode, TaskAssignment
from approvals.selectors import candidates_for, is_candidate
from lifecycle import notifications, workdays
from lifecycle.models import Unit
from lifecycle.types import RequestUser

# -- the date a system step acts on -------------------------------------------------------
# Due work acts for a given day (`run_due --now DATE`; approvals.due passes `today` in). The
# steps it moves (ending a notice period, escalating an overdue report, the forced closure
# that follows) create more work inside viewflow — tasks with due dates, an announcement, a
# notice period — and viewflow's activations carry no date. So the day travels on the process
# it concerns: the due service records it in process.data["as_of"] under the process lock
# and clears it before the lock is released (`acting_on`); nodes read `business_date`.
AS_OF = "as_of"


def business_date(process: Any) -> datetime.date:
    """The day a step of `process` acts on: the due run's day while it moves the process,
    else today."""
    as_of = (process.data or {}).get(AS_OF)
    return datetime.date.fromisoformat(as_of) if as_of else workdays.today()


@contextmanager
def acting_on(process_id: int, day: datetime.date | None) -> Iterator[None]:
    """Within the caller's transaction and process lock: the steps run inside the block act
    on `day` (nothing changes when it is None). The mark is removed again on the way out."""
    if day is None:
        yield
        return
    _mark(process_id, day.isoformat())
    yield
    forget_business_date(process_id)  # not reached on an exception: the transaction rolls back


def forget_business_date(process_id: int) -> None:
    """Remove the mark of `acting_on` (or of a process started with AS_OF in its data)."""
    _mark(process_id, None)


def _mark(process_id: int, value: str | None) -> None:
    process = AccountProcess.objects.get(pk=process_id)
    if value is None:
        process.data.pop(AS_OF, None)
    else:
        process.data[AS_OF] = value
    process.save(update_fields=["data"])


# The user of the process's latest decision, kept on the process object by the decide path
# that just wrote it (approvals.flows.chain.last_decider reads it instead of asking).
LAST_DECIDER = "_govmedia_last_decider"
# The units (by code) the decided task was routed to, as its routing rows loaded them: a
# system step naming one of them (the 批复's issuing unit) takes the row, not a look-up.
ROUTED_UNITS = "_govmedia_routed_units"


class RoutedActivation(ViewActivation):
    """Creates one TaskAssignment per unit named in task.data (`units`, `role`)."""

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        if not (data or {}).get("units") and flow_task.route is not None:
            data = {**(data or {}), **flow_task.route(prev_activation.process)}
        activation = super().create(flow_task, prev_activation, token, data=data, seed=seed)
        task = activation.task
        codes = task.data.get("units") or []
        role = task.data.get("role") or flow_task.role
        due_on = workdays.add_working_days(
            business_date(prev_activation.process), settings.TASK_DUE_WORKING_DAYS
        )
        task.__dict__[CREATED_ASSIGNMENTS] = TaskAssignment.objects.bulk_create(
            TaskAssignment(task=task, unit=unit, role=role, due_on=due_on)
            for unit in _routing_units(prev_activation.process, codes)
        )
        if task.data.get("user"):  # an added signer's own task, as viewflow assigns owners
            task.owner_id = task.data["user"]
            task.status = STATUS.ASSIGNED
            task.save(update_fields=["owner", "status"])
        collected = getattr(_collector, "tasks", None)
        if collected is not None:
            collected.append(task)  # the decision announces it with its own message
        else:
            transaction.on_commit(partial(announce_task, task.pk))
        return activation


def _routing_units(process: Any, codes: list[str]) -> list[Unit]:
    """A step's units by code: the process's own applying unit when the step is that
    unit's (an applicant step: registration, revision; the decide path has the unit loaded
    with the process under the lock), else read."""
    own = process._state.fields_cache.get("unit")
    if own is not None and codes == [own.code]:
        return [own]
    return list(Unit.objects.filter(code__in=codes))


# The routing rows RoutedActivation.create wrote, kept on its task (the announcement reads
# them instead of asking again; approvals.selectors.candidates_for).
CREATED_ASSIGNMENTS = "_govmedia_created_assignments"
_collector = threading.local()


@contextmanager
def collect_new_tasks() -> Iterator[list[Task]]:
    """Within the block, the human tasks created are collected into the yielded list
    instead of each announcing itself after commit: the caller (the decide path) announces
    them together with its own message, in its transaction (`announce_tasks`)."""
    outer = getattr(_collector, "tasks", None)
    tasks: list[Task] = []
    _collector.tasks = tasks
    try:
        yield tasks
    finally:
        _collector.tasks = outer


def announce_task(task_pk: int) -> None:
    """After the commit that created a human task: tell the people who may act on it (a
    new to-do; for the applicant's revision step, that the application was returned)."""
    task = Task.objects.select_related("process").filter(pk=task_pk).first()
    if task is None or task.status not in (STATUS.NEW, STATUS.ASSIGNED):
        return
    process = AccountProcess.objects.select_related("account", "unit").get(pk=task.process_id)
    notifications.notify(**task_message(task, process))


def announce_tasks(tasks: list[Task], *, also: Sequence[dict[str, Any]] = ()) -> None:
    """In the transaction that created `tasks` (loaded with their process, account and
    unit, as the decide path has them), after its audit rows: announce them and the
    messages `also` in one notify_many — one insert, the rows committed with the decision,
    e-mail after commit (lifecycle.notifications)."""
    notifications.notify_many([*(task_message(t, t.process) for t in tasks), *also])


def task_message(task: Task, process: AccountProcess) -> dict[str, Any]:
    """notify's arguments for a new human task: a new to-do for those who may act on it;
    for the applicant's revision step, that the application was returned."""
    params = {"account": process.account.name, "step": step_label(task, process),
              "unit": process.unit.name}
    if getattr(task.flow_task, "task_kind", "") == "revision":
        returned = (Decision.objects.filter(process=process, decision=DecisionKind.RETURN)
                    .select_related("actor").order_by("-at", "-pk").first())
        return dict(
            recipients=candidates_for(task), kind=notifications.RETURNED,
            title=gettext_noop("申请被退回：{account}，请修改后重新提交"), params=params,
            body=returned.comment if returned else "", link=task_url(task),
            actor=returned.actor if returned else None, key=f"task:{task.pk}",
        )
    return dict(
        recipients=candidates_for(task), kind=notifications.TASK_NEW,
        title=gettext_noop("新待办：{account}（{step}），申请单位：{unit}"), params=params,
        link=task_url(task), key=f"task:{task.pk}",
    )


class RoutedView(flow.View):
    """A human task claimable by members of the units in task.data holding the role.

    Data steps carry `round` so their Decision rows land in the round being tallied.

    `kind` is the contract's task kind (`decision`, `registration`, …); `form` names the
    data a data step needs (approvals.forms)."""

    activation_class = RoutedActivation

    def __init__(self, view, *, kind: str, role: str | None = None, form: Any = None,
                 route: Any = None, **kwargs):
        super().__init__(view, **kwargs)
        self.task_kind = kind
        self.role = role
        self.form_class = form
        # route(process) -> {"units": [codes], "role": …} when the incoming edge gives none
        self.route = route

    def can_assign(self, user: RequestUser, task: Task) -> bool:
        return task.owner_id is None and is_candidate(user, task)

    def can_execute(self, user: RequestUser, task: Task) -> bool:
        return bool(user and user.is_authenticated and task.owner_id == user.pk)


class ChainJoinActivation(JoinActivation):
    """viewflow's join, reading what it decides on once per arrival: its `is_done` runs
    twice (the transition's condition, then the check) and `complete` again, each time
    loading the incoming tokens and the still-active tasks and asking the continue
    condition. Nothing changes in between (one arrival, under the process lock), so the
    first answers are kept on this activation — created anew for every arrival."""

    def _join_token_prefixes(self):
        if "_prefixes" not in self.__dict__:
            self.__dict__["_prefixes"] = super()._join_token_prefixes()
        return self.__dict__["_prefixes"]

    def _active_join_tasks(self, join_token_prefix):
        key = f"_active:{join_token_prefix}"
        if key not in self.__dict__:
            active = super()._active_join_tasks(join_token_prefix)
            len(active)  # evaluated once: exists() and the cancel loop read the cache
            self.__dict__[key] = active
        return self.__dict__[key]


class ChainJoin(flow.Join):
    """The chain loop's join (gather): viewflow's Join with ChainJoinActivation."""

    activation_class = ChainJoinActivation


def chain_step_items(process: Any) -> list[dict[str, Any]]:
    """The sign-off tasks of the chain step the process stands at: a countersign (会签)
    step gets one task per unit, an any-one (或签) step one task claimable by all of its
    units (each item becomes a task's data)."""
    index = process.data["step"]
    step = process.data["chain"][index]
    base = {"step": index, "round": process.data["round"], "role": step["role"]}
    if step.get("user"):  # a signer added by name (approvals.services.oa)
        base["user"] = step["user"]
    if step["mode"] == StepMode.ALL:
        return [dict(base, units=[code]) for code in step["units"]]
    return [dict(base, units=list(step["units"]))]


class ChainSplitActivation(SplitActivation):
    @Activation.status.super()
    def activate(self):
        node = self.flow_task._activate_next[0][0]
        self.next_tasks = [(node, item) for item in chain_step_items(self.process)]


class ChainSplit(flow.Split):
    """Fan out the current chain step (the process's first step, after the start)."""

    activation_class = ChainSplitActivation


# Decisions that end a round at once (the siblings of a 会签 are cancelled).
SETTLING = (DecisionKind.REJECT, DecisionKind.RETURN, DecisionKind.ADD_SIGNER)
_CLOSED = (STATUS.DONE, STATUS.CANCELED, STATUS.REVIVED)


class ChainGateActivation(Activation):
    """One engine task per arrival where viewflow's gateways took four (join, tally
    function, switch, split — each an insert, a task_previous row, updates, savepoints).

    Under the process lock, per arrival of a sign-off (or the applicant's resubmission):
    one query finds the round's still-open tasks (the gate's own open task, the siblings of
    a 会签, a gather task of the former graph left open by a process in flight); one query
    reads the round's decisions. The round goes on waiting while siblings are open and no
    decision settled it; otherwise the siblings are cancelled, the flow's tally runs on the
    decisions already read, and the outcome's node is created — for the next chain step its
    sign-off tasks directly (what the split did), with split tokens as viewflow's split
    gives them."""

    type = "join"  # viewflow's loop runs gateways of this type after the tasks

    def __init__(self, task: Any, process: Any = None) -> None:
        self.task = task
        self.process = process if process is not None else task.process.coerced
        self.next_task: Any = None
        self._open: list[Task] = []
        self._decisions: list[Decision] | None = None
        self._arrival: Task | None = None  # the arriving task, until the row is written

    # viewflow keeps activations in sets, hashed by their task; a gate's row may not be
    # written yet (one arrival at a time: identity is enough)
    def __eq__(self, other: Any) -> bool:
        return self is other

    __hash__ = object.__hash__

    @classmethod
    def create(cls, flow_task, prev_activation, token, data=None, seed=None):
        process = prev_activation.process
        task_class = flow_task.flow_class.task_class
        open_tasks = list(
            task_class._default_manager.filter(
                process=process, flow_task__in=flow_task.waits_on
            ).exclude(status__in=_CLOSED)  # the arriving task is done already
        )
        gate = next((t for t in open_tasks if t.flow_task == flow_task), None)
        new = gate is None
        if gate is None:
            if token.is_split_token():
                token = token.get_base_split_token()
            gate = task_class(process=process, flow_task=flow_task, token=token,
                              status=STATUS.STARTED, started=now())
            gate.data = data if data is not None else {}
            gate.seed = seed
        gate.process = process
        activation = cls(gate, process)
        activation._open = [t for t in open_tasks if t.pk != gate.pk]
        activation._arrival = prev_activation.task
        if not (new and activation.is_done()):
            # it waits for siblings (or gathered earlier arrivals): its row now; a gate
            # done at its first arrival is written once, done (complete)
            activation._write()
        return activation

    def _write(self) -> None:
        self.task.save()
        self.task.previous.add(self._arrival)
        self._arrival = None

    @Activation.status.transition(source=STATUS.STARTED)
    def activate(self) -> None:
        """Started when the first arrival created it."""

    def decisions(self) -> list[Decision]:
        if self._decisions is None:
            self._decisions = list(Decision.objects.filter(
                process_id=self.process.pk, round=self.process.data["round"]))
        return self._decisions

    def settled(self) -> bool:
        return any(d.decision in SETTLING for d in self.decisions())

    def siblings(self) -> list[Task]:
        return [t for t in self._open if t.flow_task in self.flow_task.arrivals]

    def is_done(self) -> bool:
        return not self.siblings() or self.settled()

    @Activation.status.transition(source=STATUS.STARTED, target=STATUS.DONE,
                                  conditions=[this.is_done])
    def complete(self) -> None:
        finished = now()
        for task in self._open:
            task.process = self.process
            if task.flow_task in self.flow_task.arrivals:
                task.flow_task.activation_class(task).cancel()
            else:  # a gather of the former graph, left open in flight: it ends here
                task.status, task.finished = STATUS.DONE, finished
                task.save(update_fields=["status", "finished"])
        self.flow_task.tally(self, self.decisions())
        for node, condition in self.flow_task._branches:
            if condition is None or condition(self):
                self.next_task = node
                break
        self.task.finished = finished
        if self._arrival is not None:
            self._write()
        else:
            self.task.save(update_fields=["status", "started", "finished"])
        task_finished.send(sender=self.flow_class, process=self.process, task=self.task)

    @Activation.status.transition(source=STATUS.DONE)
    def create_next(self):
        node = self.next_task
        if node is self.flow_task.fan_out:
            tokens = Token.split_token_source(self.task.token, self.task.pk)
            for item in chain_step_items(self.process):
                yield node._create(self, next(tokens), data=item)
        else:
            yield node._create(self, self.task.token)


class ChainGate(flow.Switch):
    """The chain loop's gateway after a sign-off or a resubmission (ChainGateActivation):
    gather, tally and route in one activation. `.Case(node, condition)` / `.Default(node)`
    as a Switch; `fan_out` (a case's node) gets one task per item of chain_step_items;
    `arrivals` are the human nodes whose open tasks are the round's siblings; `legacy`
    joins of a former graph are closed when a process in flight arrives here."""

    task_type = "JOIN"
    activation_class = ChainGateActivation
    bpmn_element = "complexGateway"

    def __init__(self, *, tally: Any, fan_out: Any, arrivals: tuple = (), legacy: tuple = (),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self._tally, self._fan_out = tally, fan_out
        self._arrivals, self._legacy = arrivals, legacy

    def _resolve(self, instance) -> None:
        super()._resolve(instance)
        self.tally = this.resolve(instance, self._tally)
        self.fan_out = this.resolve(instance, self._fan_out)
        self.arrivals = tuple(this.resolve(instance, n) for n in self._arrivals)
        legacy = tuple(this.resolve(instance, n) for n in self._legacy)
        self.waits_on = (self, *self.arrivals, *legacy)


# -- a task's links and labels ------------------------------------------------------------


def step_label(task: Task, process: Any = None) -> str:
    """The chain step's label for decision tasks, the node title otherwise (`process`:
    the task's, when the caller has it loaded)."""
    node = task.flow_task
    if getattr(node, "task_kind", "") == "decision":
        chain = (process or task.process).data.get("chain", [])
        step = task.data.get("step")
        if step is not None and step < len(chain):
            return step_title(chain[step])
    return str(node.task_title) if getattr(node, "task_title", None) else str(node)


def process_url(process) -> str:
    """viewflow's process page. Loading the URLconf first sets the flow's viewset parent."""
    get_resolver().url_patterns  # noqa: B018
    return process.flow_class.instance.reverse("process_detail", args=[process.pk])


def task_url(task: Task) -> str:
    return reverse("work:task", args=[task.pk])


def task_redirect(request, process_pk: int, task_pk: int, **kwargs):
    """viewflow's own "execute" URL of our nodes leads to the govmedia task page."""
    return redirect("work:task", task_pk)
