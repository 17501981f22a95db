"""REST: units, accounts and account history (DESIGN §8), included from lifecycle/api.py.

Every queryset comes from lifecycle.selectors (units_for, accounts_for, account_history):
an object outside the user's unit subtree is a 404 whether it exists or not, and lists
are empty for a user of another district.

The reference serializers here ({code, name}, {id, name, platform, platform_id},
{username, full_name}) are the contract's object references and are reused by the
approvals and notices APIs. Field types come from lifecycle.serializers, the row fields
the import commands validate with, so the CLI and the API read and write the same shapes.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers

from lifecycle import selectors
from lifecycle import serializers as rows
from lifecycle.api_base import ApiErrorsMixin
from lifecycle.http import PagedByKey
from lifecycle.models import Account, AccountState, AccountTransition, ChannelKind, Platform, Unit
from lifecycle.refs import account_ref, unit_ref, user_ref

# The import row fields, typed for the OpenAPI document.


@extend_schema_field({"type": "integer", "nullable": True, "minimum": 0})
class CountField(rows.CountField):
    pass


@extend_schema_field({"type": "string", "format": "date", "nullable": True})
class IsoDateField(rows.IsoDateField):
    pass


@extend_schema_field({"type": "string"})
class TextField(rows.TextField):
    pass


# -- query parameters -------------------------------------------------------------------
# Shared by the list filters of every app: a value outside a vocabulary or not an integer is
# a 400 with a field message, never silently no rows.

ERR_CHOICE = _("「{value}」无效，可选值：{choices}")


class ChoiceFilter(serializers.ChoiceField):
    """A vocabulary filter whose 400 names the allowed codes (the import commands' message)."""

    def to_internal_value(self, data: Any) -> Any:
        if data == "" and self.allow_blank:
            return ""
        try:
            return self.choice_strings_to_values[str(data)]
        except KeyError:
            choices = ", ".join(self.choice_strings_to_values)
            raise serializers.ValidationError(
                str(ERR_CHOICE).format(value=data, choices=choices), code="invalid_choice"
            ) from None


class QueryIntegerField(serializers.IntegerField):
    """ASCII digits only: Python's int() also takes "١" or "²"-like digits and "1e3" is no
    id. Bounds come from min_value/max_value (400 outside)."""

    def to_internal_value(self, data: Any) -> int:
        if not re.fullmatch(r"-?[0-9]{1,20}", str(data).strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


# -- references -------------------------------------------------------------------------


class UnitRefSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)

    def to_representation(self, instance: Any) -> Any:
        return unit_ref(instance)


class AccountRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    platform = serializers.ChoiceField(choices=Platform.choices, read_only=True)
    platform_id = serializers.CharField(read_only=True)

    def to_representation(self, instance: Any) -> Any:
        return account_ref(instance)


class UserRefSerializer(serializers.Serializer):
    username = serializers.CharField(read_only=True)
    full_name = serializers.SerializerMethodField()

    def get_full_name(self, user: Any) -> str:
        # Declares the field's type for the schema; the value comes from lifecycle.refs.
        return user_ref(user)["full_name"]

    def to_representation(self, instance: Any) -> Any:
        return user_ref(instance)


class ChannelSerializer(serializers.Serializer):
    """A successor channel {kind, value} (DESIGN §4); `value` is free text."""

    kind = serializers.ChoiceField(choices=ChannelKind.choices)
    value = TextField(max_length=500, required_value=True)


# -- units ------------------------------------------------------------------------------


class UnitSerializer(serializers.ModelSerializer):
    parent = UnitRefSerializer(read_only=True, allow_null=True)
    supervisor = UnitRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Unit
        fields = ["code", "name", "short_name", "level", "kind", "parent", "supervisor",
                  "may_open_accounts"]
        read_only_fields = fields


# -- accounts ---------------------------------------------------------------------------


@extend_schema_field(
    {"type": "array", "items": {"type": "object", "properties": {
        "kind": {"type": "string", "enum": ChannelKind.values}, "value": {"type": "string"}},
        "required": ["kind", "value"]}}
)
class ChannelsField(serializers.JSONField):
    def to_representation(self, value: Any) -> list[dict[str, str]]:
        return [{"kind": str(c.get("kind", "")), "value": str(c.get("value", ""))}
                for c in (value or []) if isinstance(c, dict)]


class AccountSerializer(serializers.ModelSerializer):
    """account {id, name, platform, platform_id, unit, state, operator, successor,
    successor_channels, followers, posts_total, last_post_on, opened_on, closed_on}."""

    unit = UnitRefSerializer(read_only=True)
    successor = AccountRefSerializer(read_only=True, allow_null=True)
    successor_channels = ChannelsField(read_only=True)
    followers = CountField(read_only=True)
    posts_total = CountField(read_only=True)
    last_post_on = IsoDateField(read_only=True)
    opened_on = IsoDateField(read_only=True)
    closed_on = IsoDateField(read_only=True)

    class Meta:
        model = Account
        fields = ["id", "name", "platform", "platform_id", "unit", "state", "operator",
                  "successor", "successor_channels", "followers", "posts_total",
                  "last_post_on", "opened_on", "closed_on"]
        read_only_fields = fields


class PreviousStateField(serializers.CharField):
    """A transition's previous state; null when there was none (an imported account's first
    row is stored with an empty from_state)."""

    def to_representation(self, value: Any) -> str | None:
        return str(value) if value else None


def _transition_serializer() -> type[serializers.Serializer]:
    # "from" is a Python keyword, so the fields are given as a mapping.
    return type("TransitionSerializer", (serializers.Serializer,), {
        "__doc__": "history row {from, to, actor, reason, at}; `from` is null for the first "
                   "row of an imported account.",
        "from": PreviousStateField(source="from_state", read_only=True, allow_null=True),
        "to": serializers.CharField(source="to_state", read_only=True),
        "actor": UserRefSerializer(read_only=True, allow_null=True),
        "reason": serializers.CharField(read_only=True),
        "at": serializers.DateTimeField(read_only=True),
    })


TransitionSerializer = _transition_serializer()


class AccountFilterSerializer(serializers.Serializer):
    """Query parameters of GET /api/accounts/."""

    state = ChoiceFilter(choices=AccountState.choices, required=False, help_text="account state")
    platform = ChoiceFilter(choices=Platform.choices, required=False)
    unit = serializers.CharField(required=False, max_length=32,
                                 help_text="unit code: that unit's whole subtree")
    q = serializers.CharField(required=False, max_length=200,
                              help_text="matches name and platform_id")


def accounts_filter(qs: QuerySet[Account], *, user: Any, params: dict[str, Any]) -> QuerySet[Account]:
    if params.get("state"):
        qs = qs.filter(state=params["state"])
    if params.get("platform"):
        qs = qs.filter(platform=params["platform"])
    if params.get("unit"):
        # Only a unit the user can see narrows the list; any other code → no rows (no leak).
        unit = selectors.units_for(user).filter(code=params["unit"]).first()
        qs = qs.filter(unit__path__startswith=unit.path) if unit else qs.none()
    if params.get("q"):
        q = params["q"].strip()
        qs = qs.filter(Q(name__icontains=q) | Q(platform_id__icontains=q))
    return qs


ACCOUNT_EXAMPLE = {
    "id": 12, "name": "兴隆发布", "platform": "wechat_official", "platform_id": "gh_xinglong",
    "unit": {"code": "JYXL", "name": "兴隆街道办事处"}, "state": "active",
    "operator": "某科技公司", "successor": None, "successor_channels": [],
    "followers": 12000, "posts_total": 340, "last_post_on": "2026-05-30",
    "opened_on": "2019-06-05", "closed_on": None,
}

NOT_FOUND = OpenApiResponse(description=_("不存在或不在您的管辖范围内"))
# The 404 body of the account routes, alike for a missing and an out-of-scope account.
ERR_ACCOUNT_NOT_FOUND = _("没有找到该账号。")


class UnitListView(ApiErrorsMixin, generics.ListAPIView):
    serializer_class = UnitSerializer

    def get_queryset(self) -> QuerySet[Unit]:
        return selectors.units_for(self.request.user).select_related("parent", "supervisor")

    @extend_schema(
        summary="Units in my scope",
        description="The units under the caller's units (their whole subtrees), by tree order.",
        examples=[OpenApiExample("one unit", response_only=True, value={
            "code": "JYXL", "name": "兴隆街道办事处", "short_name": "兴街办",
            "level": "township", "kind": "government_office",
            "parent": {"code": "JY", "name": "建邺区人民政府办公室"},
            "supervisor": {"code": "JY", "name": "建邺区人民政府办公室"},
            "may_open_accounts": True})],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AccountListView(ApiErrorsMixin, generics.ListAPIView):
    serializer_class = AccountSerializer

    def get_queryset(self) -> QuerySet[Account]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Account.objects.none()
        params = AccountFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return accounts_filter(
            selectors.accounts_for(self.request.user), user=self.request.user,
            params=params.validated_data,
        )

    def paginate_queryset(self, queryset):
        # The page by key (lifecycle.http.PagedByKey): its ids come from the scope's
        # accounts in name order, index-only on account_unit_name_idx, and only those rows
        # are joined to their unit and successor — instead of walking the name index over
        # every account of the province until a page of the reader's is found.
        return super().paginate_queryset(PagedByKey(queryset))

    @extend_schema(
        summary="Accounts in my scope",
        parameters=[AccountFilterSerializer],
        examples=[OpenApiExample("active account", response_only=True, value=ACCOUNT_EXAMPLE)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AccountDetailView(ApiErrorsMixin, generics.RetrieveAPIView):
    serializer_class = AccountSerializer
    not_found_detail = ERR_ACCOUNT_NOT_FOUND

    def get_queryset(self) -> QuerySet[Account]:
        return selectors.accounts_for(self.request.user)

    @extend_schema(
        summary="One account",
        responses={200: AccountSerializer, 404: NOT_FOUND},
        examples=[OpenApiExample("active account", response_only=True, value=ACCOUNT_EXAMPLE)],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AccountHistoryView(ApiErrorsMixin, generics.ListAPIView):
    serializer_class = TransitionSerializer
    not_found_detail = ERR_ACCOUNT_NOT_FOUND

    def get_queryset(self) -> QuerySet[AccountTransition]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return AccountTransition.objects.none()
        account = generics.get_object_or_404(
            selectors.accounts_for(self.request.user), pk=self.kwargs["pk"]
        )
        return selectors.account_history(account=account)

    @extend_schema(
        summary="State changes of one account",
        description="Every state change, oldest first: {from, to, actor, reason, at}. "
                    "`from` is null when there was no previous state (an imported account).",
        responses={200: TransitionSerializer(many=True), 404: NOT_FOUND},
        examples=[
            OpenApiExample("submitted", response_only=True, value={
                "from": "draft", "to": "applying",
                "actor": {"username": "xl_clerk", "full_name": "兴隆填报员"},
                "reason": "发布街道政务信息", "at": "2026-06-01T09:30:00+08:00"}),
            OpenApiExample("imported (no previous state)", response_only=True, value={
                "from": None, "to": "active", "actor": None, "reason": "导入既有账号",
                "at": "2026-05-01T08:00:00+08:00"}),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


urlpatterns = [
    path("units/", UnitListView.as_view(), name="api-units"),
    path("accounts/", AccountListView.as_view(), name="api-accounts"),
    path("accounts/<int:pk>/", AccountDetailView.as_view(), name="api-account"),
    path("accounts/<int:pk>/history/", AccountHistoryView.as_view(), name="api-account-history"),
]
