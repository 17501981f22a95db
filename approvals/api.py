"""REST: applications and tasks (DESIGN §8), mounted under /api/ by config/api.py.

Adapters only: every write is an approvals.services call (opening_apply, closure_apply,
task_claim, task_decide), every queryset an approvals/lifecycle selector. Errors map in
config.api_errors (ValidationError → 400, TaskConflict/TransitionError → 409,
TaskForbidden → 403); an object outside the caller's scope is 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals import selectors, services
from approvals.models import TaskAssignment
from approvals.serializers import (
    ApplicationResultSerializer,
    ClosureApplicationSerializer,
    DecideSerializer,
    OpeningApplicationSerializer,
    TaskFilterSerializer,
    TaskSerializer,
)
from lifecycle.api_accounts import AccountRefSerializer
from lifecycle.api_base import ApiErrorsMixin
from lifecycle.models import Unit
from lifecycle.selectors import accounts_for

NOT_FOUND = OpenApiResponse(description=_("不存在或不在您的管辖范围内"))
FORBIDDEN = OpenApiResponse(description=_("您无权办理该任务"))
CONFLICT = OpenApiResponse(description=_("任务已由他人签收或已办结"))
ERR_ACCOUNT_UNKNOWN = _("账号不存在。")
BAD_REQUEST = OpenApiResponse(description=_("字段错误：{字段: [说明]}"))

TASK_EXAMPLE = {
    "id": 31, "process_id": 7, "flow": "opening", "step": "建邺区人民政府办公室审核",
    "kind": "decision", "title": "账号开设：兴隆发布 · 建邺区人民政府办公室审核",
    "account": {"id": 12, "name": "兴隆发布", "platform": "wechat_official", "platform_id": ""},
    "unit": {"code": "JY", "name": "建邺区人民政府办公室"}, "status": "new",
    "assigned_to": None, "due_on": "2026-06-08", "created": "2026-06-01T09:30:00+08:00",
    "fields": {},
}
REGISTRATION_EXAMPLE = {
    **TASK_EXAMPLE, "id": 40, "step": "注册账号并备案", "kind": "registration",
    "title": "账号开设：兴隆发布 · 注册账号并备案",
    "unit": {"code": "JYXL", "name": "兴隆街道办事处"}, "status": "assigned",
    "assigned_to": {"username": "xl_clerk", "full_name": "兴隆填报员"},
    "fields": {
        "platform_id": {"type": "string", "label": "平台账号ID（微信号/UID）", "required": True},
        "verified_subject": {"type": "string", "label": "认证主体", "required": True},
        "live_on": {"type": "date", "label": "上线日期", "required": True},
    },
}


def with_task_rows(qs: QuerySet[Task]) -> QuerySet[Task]:
    """Only our human task nodes, with what TaskSerializer reads joined or prefetched."""
    return (
        qs.filter(flow_task_type="HUMAN")
        .select_related("owner", "process__accountprocess__account",
                        "process__accountprocess__unit")
        # the routing rows with their units in one query, not one for each
        .prefetch_related(Prefetch("assignments",
                                   queryset=TaskAssignment.objects.select_related("unit")))
    )


def _task_or_404(user: Any, pk: int) -> Task:
    task = selectors.task_in_scope(user, pk, with_task_rows(Task.objects.all()))
    if task is None or not hasattr(task.flow_task, "task_kind"):
        raise NotFound(_("没有找到该任务。"))
    return task


def _as_decided(task: Task, decided: Task) -> Task:
    """The answer to a decision without loading its row again: the row loaded for the
    request (scope checked, process, account and routing joined) takes the decided task's
    own columns and holder from under the lock; the account is re-read when a flow step
    may have changed it (a registration, the final approval; services.task_decide)."""
    for field in Task._meta.concrete_fields:
        setattr(task, field.attname, getattr(decided, field.attname))
    task.owner = decided.owner
    if getattr(decided, "account_touched", True):
        task.process.accountprocess.account.refresh_from_db()
    return task


def _task_response(user: Any, pk: int, code: int = status.HTTP_200_OK) -> Response:
    return Response(TaskSerializer(_task_or_404(user, pk)).data, status=code)


# -- applications -----------------------------------------------------------------------


class OpeningApplicationView(ApiErrorsMixin, APIView):
    @extend_schema(
        summary="Apply to open an account",
        description=(
            "Creates the account (state applying) and starts the opening flow with its frozen "
            "sign-off chain. Rule violations (internal unit, unit not allowed to open, a second "
            "account on one platform without `exemption_reason`) are 400 with field messages."
        ),
        request=OpeningApplicationSerializer,
        responses={201: ApplicationResultSerializer, 400: BAD_REQUEST},
        examples=[
            OpenApiExample("application", request_only=True, value={
                "unit": "JYXL", "platform": "wechat_official", "name": "兴隆发布",
                "purpose": "发布街道政务信息", "operator": "某科技公司",
                "contact_name": "张三", "contact_phone": "025-12345678"}),
            OpenApiExample("started", response_only=True, status_codes=["201"], value={
                "process_id": 7, "account": {"id": 12, "name": "兴隆发布",
                                             "platform": "wechat_official", "platform_id": ""}}),
            OpenApiExample("second account", response_only=True, status_codes=["400"], value={
                "exemption_reason": ["该单位在此平台已有账号（兴隆发布）。原则上一个单位在同一平台只"
                                     "开设一个账号；确需多开请填写理由，审批将上提一级。"]}),
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = OpeningApplicationSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        unit = Unit.objects.get(code=data.pop("unit"))
        process = services.opening_apply(actor=request.user, unit=unit, **data)
        return Response(
            {"process_id": process.pk, "account": AccountRefSerializer(process.account).data},
            status=status.HTTP_201_CREATED,
        )


class ClosureApplicationView(ApiErrorsMixin, APIView):
    @extend_schema(
        summary="Apply to close or merge an account",
        description=(
            "Starts the closure flow. `stop_on` must be today or later; `successor_account` is "
            "required for `merge` and, given for `close`, recorded as the successor; at least "
            "one concrete successor channel (account, website, app or phone) unless a successor "
            "account is named."
        ),
        request=ClosureApplicationSerializer,
        responses={201: ApplicationResultSerializer, 400: BAD_REQUEST, 409: CONFLICT},
        examples=[
            OpenApiExample("closure", request_only=True, value={
                "account": 12, "kind": "close", "reason": "整合至区级账号",
                "stop_on": "2026-07-01",
                "successor_channels": [{"kind": "account", "value": "建邺发布"},
                                       {"kind": "phone", "value": "025-12345678"}]}),
            OpenApiExample("started", response_only=True, status_codes=["201"], value={
                "process_id": 9, "account": {"id": 12, "name": "兴隆发布",
                                             "platform": "wechat_official",
                                             "platform_id": "gh_xinglong"}}),
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = ClosureApplicationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        account = accounts_for(request.user).filter(pk=data["account"]).first()
        if account is None:
            # An id outside the caller's scope reads exactly like an unknown id.
            raise ValidationError({"account": [ERR_ACCOUNT_UNKNOWN]})
        # The successor may belong to any unit (merging into the district's account is the
        # common case); the service resolves the id and checks it is active.
        process = services.closure_apply(
            actor=request.user, account=account, kind=data["kind"], reason=data["reason"],
            stop_on=data["stop_on"], successor_account=data.get("successor_account"),
            successor_channels=data.get("successor_channels") or [],
        )
        account.refresh_from_db()
        return Response(
            {"process_id": process.pk, "account": AccountRefSerializer(account).data},
            status=status.HTTP_201_CREATED,
        )


# -- tasks ------------------------------------------------------------------------------


class TaskListView(ApiErrorsMixin, generics.ListAPIView):
    serializer_class = TaskSerializer

    def get_queryset(self) -> QuerySet[Task]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Task.objects.none()
        params = TaskFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        user = self.request.user
        wanted = params.validated_data.get("status")
        if wanted is None:
            qs = selectors.open_tasks_for(user)
        elif wanted == "new":
            qs = selectors.queue_for(user)
        elif wanted == "assigned":
            qs = selectors.inbox_for(user)
        elif wanted == "done":
            qs = selectors.history_for(user)
        else:  # canceled: tasks of the processes the caller may see
            qs = selectors.tasks_in_scope(user).filter(status=STATUS.CANCELED).order_by("-created")
        return with_task_rows(qs)

    @extend_schema(
        summary="My tasks",
        description=(
            "Without `status`: the caller's open tasks — assigned to them plus claimable (new). "
            "`status=new` claimable, `assigned` held by the caller, `done` completed by the "
            "caller, `canceled` cancelled tasks of processes in the caller's scope."
        ),
        parameters=[TaskFilterSerializer],
        examples=[OpenApiExample("decision task", response_only=True, value=TASK_EXAMPLE)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class TaskDetailView(ApiErrorsMixin, APIView):
    @extend_schema(
        summary="One task",
        responses={200: TaskSerializer, 404: NOT_FOUND},
        examples=[OpenApiExample("registration step", response_only=True,
                                 value=REGISTRATION_EXAMPLE)],
    )
    def get(self, request: Request, pk: int) -> Response:
        return _task_response(request.user, pk)


class TaskClaimView(ApiErrorsMixin, APIView):
    @extend_schema(
        summary="Claim a task",
        description="Take a claimable task; held by someone else or already done → 409.",
        request=None,
        responses={200: TaskSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
        examples=[OpenApiExample("claimed", response_only=True, status_codes=["200"],
                                 value={**TASK_EXAMPLE, "status": "assigned", "assigned_to": {
                                     "username": "jy_approver", "full_name": "建邺审核人"}}),
                  OpenApiExample("held", response_only=True, status_codes=["409"],
                                 value={"detail": "该任务已由建邺审核人签收办理。"})],
    )
    def post(self, request: Request, pk: int) -> Response:
        services.task_claim(task=_task_or_404(request.user, pk), actor=request.user)
        return _task_response(request.user, pk)


class TaskDecideView(ApiErrorsMixin, APIView):
    @extend_schema(
        summary="Decide a task",
        description=(
            "approve / reject / return with a comment (required for reject and return); "
            "`return_to` an earlier chain step index. Data steps take `data` with their "
            "`fields` and `decision: approve`. Claims an unclaimed task implicitly; a task "
            "someone else holds or one already done → 409."
        ),
        request=DecideSerializer,
        responses={200: TaskSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND,
                   409: CONFLICT},
        examples=[
            OpenApiExample("approve", request_only=True,
                           value={"decision": "approve", "comment": "同意"}),
            OpenApiExample("return", request_only=True,
                           value={"decision": "return", "comment": "请补充运维单位",
                                  "return_to": None}),
            OpenApiExample("registration", request_only=True, value={
                "decision": "approve", "comment": "",
                "data": {"platform_id": "gh_xinglong", "verified_subject": "兴隆街道办事处",
                         "live_on": "2026-06-10"}}),
            OpenApiExample("done", response_only=True, status_codes=["200"],
                           value={**TASK_EXAMPLE, "status": "done", "assigned_to": {
                               "username": "jy_approver", "full_name": "建邺审核人"}}),
            OpenApiExample("already decided", response_only=True, status_codes=["409"],
                           value={"detail": "该任务已办结，不能重复处理。"}),
            OpenApiExample("no reason", response_only=True, status_codes=["400"],
                           value={"comment": ["不同意或退回时必须说明理由。"]}),
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        task = _task_or_404(request.user, pk)
        serializer = DecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        decided = services.task_decide(
            task=task, actor=request.user, decision=data["decision"],
            comment=data.get("comment") or "", data=data.get("data") or {},
            return_to=data.get("return_to"),
        )
        return Response(TaskSerializer(_as_decided(task, decided)).data)


urlpatterns = [
    path("applications/opening/", OpeningApplicationView.as_view(), name="api-apply-opening"),
    path("applications/closure/", ClosureApplicationView.as_view(), name="api-apply-closure"),
    path("tasks/", TaskListView.as_view(), name="api-tasks"),
    path("tasks/<int:pk>/", TaskDetailView.as_view(), name="api-task"),
    path("tasks/<int:pk>/claim/", TaskClaimView.as_view(), name="api-task-claim"),
    path("tasks/<int:pk>/decide/", TaskDecideView.as_view(), name="api-task-decide"),
]
