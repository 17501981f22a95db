"""REST for the OA actions and the notification centre, in DESIGN §8's style (mounted under
/api/ by config/api.py; the contract's existing routes are unchanged):

    GET  /api/processes/{id}/events/      urges, copies, comments, added signers, transfers
    POST /api/processes/{id}/urge/        {comment?}
    POST /api/processes/{id}/copy/        {users?: [username], units?: [unit code], comment?}
    POST /api/processes/{id}/comments/    {comment}
    POST /api/tasks/{id}/add-signer/      {signer: username, position: before|after, reason}
    POST /api/tasks/{id}/transfer/        {to_user: username, comment?}
    GET  /api/notifications/?unread=1     POST /api/notifications/read/ {ids?: [id], all?: bool}

Adapters only (approvals.services, lifecycle.notifications); a process or task outside the
caller's scope is 404, a refusal 403, a repeat too soon 409, bad input 400 naming the field.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals import selectors, services
from approvals.api import _task_or_404
from approvals.models import ProcessEvent
from lifecycle import notifications
from lifecycle import selectors as lifecycle_selectors
from lifecycle.api_base import ApiErrorsMixin
from lifecycle.models import Unit

User = get_user_model()


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = ProcessEvent
        fields = ["id", "kind", "actor", "comment", "data", "at", "task"]

    def get_actor(self, event: ProcessEvent) -> dict[str, str]:
        return {"username": event.actor.get_username(), "full_name": event.actor.get_full_name()}


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class CopySerializer(CommentSerializer):
    users = serializers.ListField(child=serializers.CharField(max_length=150), required=False,
                                  default=list)
    units = serializers.ListField(child=serializers.CharField(max_length=32), required=False,
                                  default=list)


class AddSignerSerializer(serializers.Serializer):
    signer = serializers.CharField(max_length=150)
    position = serializers.ChoiceField(choices=[services.BEFORE, services.AFTER])
    reason = serializers.CharField(max_length=1000)


class TransferSerializer(CommentSerializer):
    to_user = serializers.CharField(max_length=150)


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField(source="text")
    body = serializers.CharField()
    link = serializers.CharField()
    created = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationListSerializer(serializers.Serializer):
    unread = serializers.IntegerField()
    results = NotificationSerializer(many=True)


class TransferredSerializer(serializers.Serializer):
    transferred_to = serializers.CharField()
    task = serializers.IntegerField()


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
    unread = serializers.IntegerField()


class ReadSerializer(serializers.Serializer):
    # Row ids: anything outside a database integer is refused with a 400, never sent to the
    # database (an id beyond 2**63 made SQLite raise OverflowError: a 500).
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False, default=list
    )
    all = serializers.BooleanField(required=False, default=False)


MAX_ID = 2**63 - 1  # larger ids name nothing (and overflow the database's integers)


def _process_or_404(user: Any, pk: int):
    process = selectors.processes_for(user).filter(pk=pk).first() if 0 < pk <= MAX_ID else None
    if process is None:
        raise NotFound(_("没有找到该流程。"))
    return process


def _user(username: str, field: str) -> Any:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise DjangoValidationError({field: _("没有该用户：{name}").format(name=username)})
    return user


def _event(event: ProcessEvent) -> Response:
    return Response(EventSerializer(event).data, status=status.HTTP_201_CREATED)


class ProcessEventsView(ApiErrorsMixin, APIView):
    @extend_schema(summary="A process's urges, copies, comments, added signers, transfers",
                   responses={200: EventSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        process = _process_or_404(request.user, pk)
        return Response(EventSerializer(services.events_of(process), many=True).data)


class _ProcessCommentAction(ApiErrorsMixin, APIView):
    """POST {comment} on a process in scope → one approvals.services.oa writer."""

    def act(self, request: Request, pk: int, service: Any) -> Response:
        process = _process_or_404(request.user, pk)
        data = CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _event(service(process=process, actor=request.user,
                              comment=data.validated_data["comment"]))


class ProcessUrgeView(_ProcessCommentAction):
    @extend_schema(summary="Urge the current holders (催办)", request=CommentSerializer,
                   responses={201: EventSerializer})
    def post(self, request: Request, pk: int) -> Response:
        return self.act(request, pk, services.process_urge)


class ProcessCopyView(ApiErrorsMixin, APIView):
    @extend_schema(summary="Copy the process to people or units (抄送)", request=CopySerializer,
                   responses={201: EventSerializer})
    def post(self, request: Request, pk: int) -> Response:
        process = _process_or_404(request.user, pk)
        data = CopySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        users = [_user(name, "users") for name in values["users"]]
        units = list(Unit.objects.filter(code__in=values["units"]))
        if len(units) != len(set(values["units"])):
            raise DjangoValidationError({"units": services.ERR_COPY_TARGET})
        return _event(services.process_copy(process=process, actor=request.user, users=users,
                                            units=units, comment=values["comment"]))


class ProcessCommentView(_ProcessCommentAction):
    @extend_schema(summary="Comment without deciding (评论)", request=CommentSerializer,
                   responses={201: EventSerializer})
    def post(self, request: Request, pk: int) -> Response:
        return self.act(request, pk, services.process_comment)


class TaskAddSignerView(ApiErrorsMixin, APIView):
    @extend_schema(summary="Add a signer before or after one's own step (加签)",
                   request=AddSignerSerializer, responses={201: EventSerializer})
    def post(self, request: Request, pk: int) -> Response:
        task = _task_or_404(request.user, pk)
        data = AddSignerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        return _event(services.task_add_signer(
            task=task, actor=request.user, signer=_user(values["signer"], "signer"),
            position=values["position"], reason=values["reason"]))


class TaskTransferView(ApiErrorsMixin, APIView):
    @extend_schema(summary="Hand a held task to another candidate (转办)",
                   request=TransferSerializer, responses={200: TransferredSerializer})
    def post(self, request: Request, pk: int) -> Response:
        task = _task_or_404(request.user, pk)
        data = TransferSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.task_transfer(task=task, actor=request.user,
                               to_user=_user(values["to_user"], "to_user"),
                               comment=values["comment"])
        return Response({"transferred_to": values["to_user"], "task": task.pk})


class NotificationListView(ApiErrorsMixin, APIView):
    @extend_schema(summary="My notifications (newest first, at most 100)",
                   responses={200: NotificationListSerializer})
    def get(self, request: Request) -> Response:
        rows = lifecycle_selectors.notifications_for(
            request.user, unread=request.query_params.get("unread") == "1")[:100]
        return Response({"unread": lifecycle_selectors.unread_count(request.user),
                         "results": NotificationSerializer(rows, many=True).data})


class NotificationReadView(ApiErrorsMixin, APIView):
    @extend_schema(summary="Mark my notifications read", request=ReadSerializer,
                   responses={200: MarkedSerializer})
    def post(self, request: Request) -> Response:
        data = ReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["all"]:
            count = notifications.mark_all_read(user=request.user)
        else:
            count = notifications.mark_read(user=request.user, ids=data.validated_data["ids"])
        return Response({"marked": count,
                         "unread": lifecycle_selectors.unread_count(request.user)})


urlpatterns = [
    path("processes/<int:pk>/events/", ProcessEventsView.as_view(), name="api-process-events"),
    path("processes/<int:pk>/urge/", ProcessUrgeView.as_view(), name="api-process-urge"),
    path("processes/<int:pk>/copy/", ProcessCopyView.as_view(), name="api-process-copy"),
    path("processes/<int:pk>/comments/", ProcessCommentView.as_view(),
         name="api-process-comment"),
    path("tasks/<int:pk>/add-signer/", TaskAddSignerView.as_view(), name="api-task-add-signer"),
    path("tasks/<int:pk>/transfer/", TaskTransferView.as_view(), name="api-task-transfer"),
    path("notifications/", NotificationListView.as_view(), name="api-notifications"),
    path("notifications/read/", NotificationReadView.as_view(), name="api-notifications-read"),
]

