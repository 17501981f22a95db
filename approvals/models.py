"""Sign-off policy, the process record of every account flow, task routing and decisions."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Process, Task

from lifecycle.models import Account, Role, Unit, UnitKind, UnitLevel


class ProcessKind(models.TextChoices):
    OPENING = "opening", _("开设")
    CHANGE = "change", _("变更")
    CLOSURE = "closure", _("关停/整合")
    RECTIFICATION = "rectification", _("整改")
    INSPECTION = "inspection", _("检查")


class StepMode(models.TextChoices):
    ALL = "all", _("会签（全部同意）")
    ANY = "any", _("或签（任一同意）")


class ApprovalPolicy(models.Model):
    """Process kind × applicant level × unit kind → up to which level the chain climbs.

    Frozen into each process at start (AccountProcess.data["chain"]); edits affect only
    processes started afterwards.
    """

    process_kind = models.CharField(_("流程"), max_length=16, choices=ProcessKind.choices)
    unit_level = models.CharField(_("申请单位层级"), max_length=16, choices=UnitLevel.choices)
    unit_kind = models.CharField(
        _("申请单位类别"), max_length=32, choices=UnitKind.choices, blank=True,
        help_text=_("留空表示适用于该层级的所有类别"),
    )
    allowed = models.BooleanField(_("允许申请"), default=True)
    top_level = models.CharField(
        _("审核至层级"), max_length=16, choices=UnitLevel.choices, default=UnitLevel.CITY,
        help_text=_("单位负责人之后，沿主管单位逐级向上审核，直到该层级的主管单位为止"),
    )
    extra_units = models.ManyToManyField(
        Unit, verbose_name=_("附加审核单位"), blank=True, related_name="+",
        help_text=_("在逐级审核之后增加一个步骤，由这些单位审核"),
    )
    extra_mode = models.CharField(
        _("附加步骤方式"), max_length=8, choices=StepMode.choices, default=StepMode.ALL
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("审批策略")
        verbose_name_plural = _("审批策略")
        ordering = ["process_kind", "unit_level", "unit_kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["process_kind", "unit_level", "unit_kind"], name="policy_unique"
            ),
        ]

    def __str__(self) -> str:
        kind = self.get_unit_kind_display() if self.unit_kind else _("所有类别")
        return f"{self.get_process_kind_display()} · {self.get_unit_level_display()} · {kind}"


class AccountProcess(Process):
    """The process record of every account flow; `account` and `unit` make scoping a join."""

    kind = models.CharField(_("流程"), max_length=16, choices=ProcessKind.choices)
    account = models.ForeignKey(
        Account, verbose_name=_("账号"), on_delete=models.PROTECT, related_name="processes"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("申请单位"), on_delete=models.PROTECT, related_name="processes"
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )

    class Meta:
        verbose_name = _("账号流程")
        verbose_name_plural = _("账号流程")
        indexes = [models.Index(fields=["kind", "account"], name="process_kind_account_idx")]

    @property
    def chain(self) -> list[dict]:
        return self.data.get("chain", [])

    @property
    def step_index(self) -> int:
        return self.data.get("step", 0)

    @property
    def restart_round(self) -> int:
        """Sign-offs of rounds before this one were superseded: a resubmission that changed
        the application restarted the chain (approvals.services.tasks; -1: never)."""
        return max(self.data.get("restarts", []), default=-1)


class TaskAssignment(models.Model):
    """Who may claim a task: members of `unit` holding `role`. One row per unit of a step.

    The queue query (approvals.selectors.queue_for) joins Task → TaskAssignment on the
    (unit, role) index below, so the inbox cost does not grow with total data size.
    """

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=32, choices=Role.choices)
    due_on = models.DateField(_("办理期限"), null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [
            # The to-do list, queue and /api/tasks/ (tasks offered to the user's (unit, role)
            # pairs: `task_id IN (SELECT task_id … WHERE unit_id = … AND role = …)`) and the
            # notice archive's chain readers (approvals.selectors.chain_process_ids), read
            # from the index alone (issue 15 item 4).
            models.Index(fields=["unit", "role", "task"], name="assignment_unit_role_task_idx"),
            # Overdue work: the dashboard's overdue tasks per unit and run_due's reminders
            # and escalations (`due_on < today`).
            models.Index(fields=["due_on"], name="assignment_due_on_idx"),
            # The to-do list's due date per task (approvals.selectors._earliest_due: `SELECT
            # due_on … WHERE task_id = t.id AND due_on IS NOT NULL ORDER BY due_on LIMIT 1`,
            # once for each of the reader's open tasks to sort them): the first entry of
            # the index, no heap row and no sort per task (issue 15 item 4).
            models.Index(fields=["task", "due_on"], name="assignment_task_due_idx"),
        ]


class DecisionKind(models.TextChoices):
    APPROVE = "approve", _("同意")
    REJECT = "reject", _("不同意")
    RETURN = "return", _("退回修改")
    # The applicant's answer to a return (the revision step; asked for as decision=approve).
    RESUBMIT = "resubmit", _("重新提交")
    # An approver added a signer before their own step (approvals.services.oa): the round
    # ends, the added step is fanned out, then the approver's step comes back.
    ADD_SIGNER = "addsign", _("加签")


# What an approver may choose on a sign-off task (the others are recorded by services).
DECIDABLE = (DecisionKind.APPROVE, DecisionKind.REJECT, DecisionKind.RETURN)


class Decision(models.Model):
    """Append-only record of every decision on a task (who, as whom, what, why)."""

    process = models.ForeignKey(AccountProcess, on_delete=models.CASCADE, related_name="decisions")
    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="decision")
    step = models.IntegerField(null=True, blank=True)
    round = models.IntegerField(default=0)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("意见"), max_length=8, choices=DecisionKind.choices)
    comment = models.TextField(_("说明"), blank=True)
    return_to = models.IntegerField(
        null=True, blank=True, help_text="Chain step to return to; null = the applicant"
    )
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acting_for = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("审批意见")
        verbose_name_plural = _("审批意见")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["process", "round"], name="decision_process_round_idx")]


class Delegation(models.Model):
    """While away, an approver lets a colleague act for them (代办). Every decision taken
    this way records `acting_for` (Decision)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("委托人"), on_delete=models.CASCADE,
        related_name="delegations_given",
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("受托人"), on_delete=models.CASCADE,
        related_name="delegations_received",
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    reason = models.CharField(_("事由"), max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    ended = models.DateTimeField(_("提前结束于"), null=True, blank=True)

    class Meta:
        verbose_name = _("委托代办")
        verbose_name_plural = _("委托代办")
        ordering = ["-starts_on", "-pk"]
        indexes = [
            # Active delegations of a delegate (approvals.selectors._roles_by_unit).
            models.Index(fields=["delegate", "ends_on"], name="delegation_delegate_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.delegate} ({self.starts_on}–{self.ends_on})"


class FilingKind(models.TextChoices):
    OPENING = "opening", _("开设备案")
    CHANGE = "change", _("变更备案")
    CLOSURE = "closure", _("关停备案")
    DEREGISTRATION = "deregistration", _("注销备案")


class FilingSystem(models.TextChoices):
    PROVINCIAL = "provincial", _("省级政务新媒体管理平台")
    NATIONAL = "national", _("全国政务新媒体报送系统")


class Filing(models.Model):
    """A filing the owning unit owes after an event of the account (issue 14 item 5): one row
    per event and reporting system, due a number of working days after the event
    (approvals.services.filings.filings_open); the unit records date and reference number
    (filing_record). run_due reminds before and reports after the due date, once each."""

    account = models.ForeignKey(
        Account, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="filings"
    )
    process = models.ForeignKey(
        AccountProcess, verbose_name=_("流程"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="filings",
    )
    kind = models.CharField(_("备案事项"), max_length=16, choices=FilingKind.choices)
    system = models.CharField(_("报送系统"), max_length=16, choices=FilingSystem.choices)
    event_on = models.DateField(_("事项发生日期"))
    due_on = models.DateField(_("备案期限"))
    filed_on = models.DateField(_("备案日期"), null=True, blank=True)
    reference = models.CharField(_("备案编号"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    recorded_at = models.DateTimeField(_("登记时间"), null=True, blank=True)
    reminded_on = models.DateField(_("提醒日期"), null=True, blank=True)
    overdue_notified_on = models.DateField(_("逾期通知日期"), null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("备案")
        verbose_name_plural = _("备案")
        ordering = ["due_on", "pk"]
        constraints = [
            # filings_open is idempotent per event: one row per process, kind and system.
            models.UniqueConstraint(
                fields=["process", "kind", "system"], condition=models.Q(process__isnull=False),
                name="filing_once_per_process_event",
            ),
        ]
        indexes = [
            # run_due and the overdue list read the pending filings by due date.
            models.Index(fields=["due_on"], condition=models.Q(filed_on__isnull=True),
                         name="filing_pending_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.get_kind_display()} {self.get_system_display()}"

    def state(self, today: datetime.date) -> str:
        if self.filed_on is not None:
            return "late" if self.filed_on > self.due_on else "done"
        return "overdue" if today > self.due_on else "pending"


class ProcessEventKind(models.TextChoices):
    URGE = "urge", _("催办")
    COPY = "copy", _("抄送")
    COMMENT = "comment", _("评论")
    ADD_SIGNER = "add_signer", _("加签")
    TRANSFER = "transfer", _("转办")


class ProcessEvent(models.Model):
    """Append-only audit row of an OA action on a process that decides nothing: 催办, 抄送,
    评论, 加签, 转办 (approvals.services.oa writes them; the timeline shows them)."""

    process = models.ForeignKey(AccountProcess, on_delete=models.CASCADE, related_name="events")
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    kind = models.CharField(_("操作"), max_length=16, choices=ProcessEventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(_("说明"), blank=True)
    # who was urged / copied / added (user ids, unit codes, names for the timeline)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("流程操作记录")
        verbose_name_plural = _("流程操作记录")
        ordering = ["at", "pk"]
        indexes = [
            # The timeline and the urge rate limit (approvals.services.oa).
            models.Index(fields=["process", "kind", "at"], name="event_process_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.process_id}: {self.kind} by {self.actor_id}"


class ProcessCopy(models.Model):
    """抄送: a person or a unit reads the process (read-only) although it is outside their
    scope (approvals.selectors.processes_for includes it)."""

    process = models.ForeignKey(AccountProcess, on_delete=models.CASCADE, related_name="copies")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    event = models.ForeignKey(ProcessEvent, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("抄送")
        verbose_name_plural = _("抄送")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(unit__isnull=False),
                name="copy_user_or_unit",
            ),
        ]
        indexes = [
            models.Index(fields=["user"], name="copy_user_idx"),
            models.Index(fields=["unit"], name="copy_unit_idx"),
        ]
