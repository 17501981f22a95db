"""Request and response shapes of the approvals API (DESIGN §8).

Requests are validated by the same forms as the web pages (approvals.forms), so a client
gets the same Chinese messages as a browser user; the rules themselves stay in
approvals.services. The DRF fields below only type the JSON and document it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals.forms import OpeningForm
from approvals.models import DECIDABLE, DecisionKind
from approvals.nodes import step_label
from lifecycle import services as lifecycle_services
from lifecycle.api_accounts import (
    AccountRefSerializer,
    ChannelSerializer,
    UnitRefSerializer,
    UserRefSerializer,
)
from lifecycle.models import Platform, Role
from lifecycle.selectors import user_units

REQUIRED = {"required": forms.Field.default_error_messages["required"]}


def _text(*, required: bool = True, max_length: int | None = None, **kwargs: Any):
    return serializers.CharField(
        required=required, allow_blank=not required, max_length=max_length,
        error_messages=REQUIRED, **kwargs,
    )


@extend_schema_field(serializers.ChoiceField(choices=Platform.choices))
class PlatformField(serializers.CharField):
    """Platform code; checked against the vocabulary by the web form (same message)."""


# -- applications -----------------------------------------------------------------------


class OpeningApplicationSerializer(serializers.Serializer):
    """POST /api/applications/opening/ — the fields of the web application form."""

    unit = _text(max_length=32, help_text="code of a unit where the caller is an applicant")
    platform = PlatformField(error_messages=REQUIRED)
    name = _text(max_length=200)
    purpose = _text(max_length=2000)  # approvals.forms.PURPOSE_MAX_LENGTH: bounded for the renderer
    operator = _text(required=False, max_length=200,
                     help_text="free text: the unit or contractor running the account")
    contact_name = _text(max_length=100)
    contact_phone = _text(max_length=50)
    contact_email = _text(required=False, max_length=254,
                          help_text="optional; checked as an e-mail address (400 naming the field)")
    exemption_reason = _text(
        required=False,
        help_text="required when the unit already has an account on this platform",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = self.context["request"].user
        form = OpeningForm(
            data={k: v for k, v in attrs.items()},
            units=user_units(user, roles=(Role.APPLICANT,)),
        )
        if not form.is_valid():
            raise serializers.ValidationError(
                {field: [str(m) for m in errors] for field, errors in form.errors.items()}
            )
        data = dict(form.cleaned_data)
        data.pop("plan", None)
        return data


CLOSURE_REQUIRED = {"required": lifecycle_services.ERR_REQUIRED, "null": lifecycle_services.ERR_REQUIRED}


@extend_schema_field(serializers.ChoiceField(choices=[("close", "close"), ("merge", "merge")]))
class ClosureKindField(serializers.CharField):
    """close | merge; checked by approvals.services.closure_apply (its message)."""


@extend_schema_field(serializers.DateField())
class LenientDateField(serializers.CharField):
    """ISO date; parsed and checked (today or later) by closure_apply (its messages)."""


@extend_schema_field(ChannelSerializer(many=True))
class ChannelsInputField(serializers.ListField):
    """[{kind, value}]; each channel is checked by lifecycle.services.clean_successor_channels."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(child=serializers.DictField(child=serializers.CharField(
            allow_blank=True, max_length=500)), **kwargs)


class ClosureApplicationSerializer(serializers.Serializer):
    """POST /api/applications/closure/. Only types here: every rule and message is
    approvals.services.closure_apply's."""

    account = serializers.IntegerField(error_messages=CLOSURE_REQUIRED, help_text="account id")
    kind = ClosureKindField(error_messages=CLOSURE_REQUIRED, allow_blank=True)
    reason = serializers.CharField(error_messages=CLOSURE_REQUIRED, allow_blank=True)
    stop_on = LenientDateField(error_messages=CLOSURE_REQUIRED, allow_blank=True,
                               help_text="YYYY-MM-DD, today or later")
    successor_account = serializers.IntegerField(
        required=False, allow_null=True, help_text="account id; required for merge"
    )
    successor_channels = ChannelsInputField(required=False)


class ApplicationResultSerializer(serializers.Serializer):
    process_id = serializers.IntegerField()
    account = AccountRefSerializer()


# -- tasks ------------------------------------------------------------------------------

STATUS_NAMES = {
    STATUS.NEW: "new",
    STATUS.ASSIGNED: "assigned",
    STATUS.DONE: "done",
    STATUS.CANCELED: "canceled",
}
FORM_FIELD_TYPES = (
    (forms.DateField, "date"),
    (forms.IntegerField, "integer"),
    (forms.BooleanField, "boolean"),
    (forms.ChoiceField, "choice"),
    (forms.CharField, "string"),
)


def form_fields(form_class: Any) -> dict[str, dict[str, Any]]:
    """A data step's form → {name: {type, label, required}} (the task's `fields`; file
    fields are left out: the API takes evidence as text or a URL)."""
    if form_class is None:
        return {}
    out = {}
    for name, field in form_class.base_fields.items():
        if isinstance(field, forms.FileField):
            continue  # uploads are taken by the web task page only
        kind = next((t for cls, t in FORM_FIELD_TYPES if isinstance(field, cls)), "string")
        out[name] = {"type": kind, "label": str(field.label or name), "required": field.required}
    return out


@extend_schema_field({
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "properties": {
            "type": {"type": "string", "enum": ["string", "date", "integer", "boolean", "choice"]},
            "label": {"type": "string"},
            "required": {"type": "boolean"},
        },
        "required": ["type", "label", "required"],
    },
})
class TaskFieldsField(serializers.Field):
    def __init__(self, **kwargs: Any) -> None:
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, task: Task) -> dict[str, Any]:
        node = task.flow_task
        if getattr(node, "task_kind", "decision") == "decision":
            return {}
        return form_fields(getattr(node, "form_class", None))


class TaskSerializer(serializers.Serializer):
    """task {id, process_id, flow, step, kind, title, account, unit, status, assigned_to,
    due_on, created, fields}. Expects rows from approvals.api.with_task_rows."""

    id = serializers.IntegerField(read_only=True)
    process_id = serializers.IntegerField(read_only=True)
    flow = serializers.SerializerMethodField(help_text="flow code: opening, change, closure, …")
    step = serializers.SerializerMethodField()
    kind = serializers.SerializerMethodField(
        help_text="decision, or a data step: registration, deregistration, revision, …"
    )
    title = serializers.SerializerMethodField()
    account = serializers.SerializerMethodField()
    unit = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    assigned_to = UserRefSerializer(source="owner", read_only=True, allow_null=True)
    due_on = serializers.SerializerMethodField()
    created = serializers.DateTimeField(read_only=True)
    fields = TaskFieldsField()

    def _process(self, task: Task) -> Any:
        return task.process.accountprocess

    def get_flow(self, task: Task) -> str:
        return self._process(task).kind

    def get_step(self, task: Task) -> str:
        return str(step_label(task))

    def get_kind(self, task: Task) -> str:
        return getattr(task.flow_task, "task_kind", "decision")

    def get_title(self, task: Task) -> str:
        process = self._process(task)
        flow_title = process.flow_class.process_title if process.flow_class else process.kind
        return f"{flow_title}：{process.account.name} · {step_label(task)}"

    @extend_schema_field(AccountRefSerializer)
    def get_account(self, task: Task) -> dict[str, Any]:
        return AccountRefSerializer(self._process(task).account).data

    @extend_schema_field(UnitRefSerializer(allow_null=True))
    def get_unit(self, task: Task) -> dict[str, Any] | None:
        assignments = sorted(task.assignments.all(), key=lambda a: a.pk)
        return UnitRefSerializer(assignments[0].unit).data if assignments else None

    @extend_schema_field(serializers.ChoiceField(choices=list(STATUS_NAMES.values())))
    def get_status(self, task: Task) -> str:
        return STATUS_NAMES.get(task.status, str(task.status).lower())

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_due_on(self, task: Task) -> str | None:
        dates = [a.due_on for a in task.assignments.all() if a.due_on]
        return min(dates).isoformat() if dates else None


class TaskFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=list(STATUS_NAMES.values()), required=False,
        help_text="default: open tasks (new + assigned) of the caller",
    )


class DecideSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=[c for c in DecisionKind.choices if c[0] in DECIDABLE],
        error_messages=REQUIRED,
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="",
                                    help_text="required for reject and return")
    data = serializers.DictField(
        required=False, allow_null=True, default=None,
        help_text="the data step's fields (see the task's `fields`), with decision=approve",
    )
    return_to = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0,
        help_text="return: an earlier chain step index; omitted = back to the applicant",
    )
