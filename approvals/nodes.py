"""Flow nodes that route human tasks to (unit, role) candidates instead of global perms, and
the links and labels of a node's task (the workbench shows them; flows only need the
redirect that viewflow's own "execute" URL of a human node answers with)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.shortcuts import redirect
from django.urls import get_resolver, reverse
from django.utils.translation import gettext_noop
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.models import Task
from viewflow.workflow.nodes.join import JoinActivation
from viewflow.workflow.nodes.split import SplitActivation
from viewflow.workflow.nodes.view import ViewActivation
from viewflow.workflow.status import STATUS

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
        TaskAssignment.objects.bulk_create(
            TaskAssignment(task=task, unit=unit, role=role, due_on=due_on)
            for unit in Unit.objects.filter(code__in=codes)
        )
        if task.data.get("user"):  # an added signer's own task, as viewflow assigns owners
            task.owner_id = task.data["user"]
            task.status = STATUS.ASSIGNED
            task.save(update_fields=["owner", "status"])
        transaction.on_commit(partial(announce_task, task.pk))
        return activation


def announce_task(task_pk: int) -> None:
    """After the commit that created a human task: tell the people who may act on it (a
    new to-do; for the applicant's revision step, that the application was returned)."""
    task = Task.objects.select_related("process").filter(pk=task_pk).first()
    if task is None or task.status not in (STATUS.NEW, STATUS.ASSIGNED):
        return
    process = AccountProcess.objects.select_related("account", "unit").get(pk=task.process_id)
    params = {"account": process.account.name, "step": step_label(task),
              "unit": process.unit.name}
    if getattr(task.flow_task, "task_kind", "") == "revision":
        returned = (Decision.objects.filter(process=process, decision=DecisionKind.RETURN)
                    .select_related("actor").order_by("-at", "-pk").first())
        notifications.notify(
            recipients=candidates_for(task), kind=notifications.RETURNED,
            title=gettext_noop("申请被退回：{account}，请修改后重新提交"), params=params,
            body=returned.comment if returned else "", link=task_url(task),
            actor=returned.actor if returned else None, key=f"task:{task.pk}",
        )
        return
    notifications.notify(
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


class ChainSplitActivation(SplitActivation):
    @Activation.status.super()
    def activate(self):
        process = self.process
        index = process.data["step"]
        step = process.data["chain"][index]
        node = self.flow_task._activate_next[0][0]
        base = {"step": index, "round": process.data["round"], "role": step["role"]}
        if step.get("user"):  # a signer added by name (approvals.services.oa)
            base["user"] = step["user"]
        if step["mode"] == StepMode.ALL:
            items = [dict(base, units=[code]) for code in step["units"]]
        else:
            items = [dict(base, units=list(step["units"]))]
        self.next_tasks = [(node, item) for item in items]


class ChainSplit(flow.Split):
    """Fan out the current chain step: a countersign (会签) step gets one task per unit,
    an any-one (或签) step one task claimable by all of its units."""

    activation_class = ChainSplitActivation


# -- a task's links and labels ------------------------------------------------------------


def step_label(task: Task) -> str:
    """The chain step's label for decision tasks, the node title otherwise."""
    node = task.flow_task
    if getattr(node, "task_kind", "") == "decision":
        chain = task.process.data.get("chain", [])
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
