"""Django admin of the lifecycle app: units, accounts, memberships (review data: review/admin.py)."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from lifecycle import services
from lifecycle.models import Account, AccountTransition, Membership, Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "short_name", "level", "kind", "parent", "supervisor",
                    "may_open_accounts")
    list_filter = ("level", "kind", "may_open_accounts")
    search_fields = ("code", "name", "short_name")
    raw_id_fields = ("parent", "supervisor")
    readonly_fields = ("path",)

    def save_model(self, request, obj, form, change):
        # The same writer as import_units: path and default supervisor stay consistent.
        saved = services.unit_upsert(
            code=obj.code, name=obj.name, short_name=obj.short_name, level=obj.level,
            kind=obj.kind, parent=obj.parent, supervisor=obj.supervisor,
            may_open_accounts=obj.may_open_accounts,
        )
        obj.pk, obj.path = saved.pk, saved.path


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    raw_id_fields = ("unit",)


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class GovUserAdmin(UserAdmin):
    """Users and their memberships. Only a superuser may grant superuser status, staff
    status, groups or permissions: a govmedia admin (role `admin`, staff) administers people
    and units but cannot raise anyone's privileges, including their own."""

    inlines = [MembershipInline]
    PRIVILEGE_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions")
    actions = ["revoke_tokens"]

    @admin.action(description=_("吊销所选用户的 API 令牌"), permissions=["change"])
    def revoke_tokens(self, request, queryset):
        from rest_framework.authtoken.models import Token

        from lifecycle import security
        from lifecycle.models import SecurityEventKind

        for user in queryset:
            if Token.objects.filter(user=user).delete()[0]:
                security.record(kind=SecurityEventKind.TOKEN_REVOKED, request=request,
                                user=request.user, target=f"user:{user.pk}", action="admin")
        self.message_user(request, _("已吊销所选用户的 API 令牌。"))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += [f for f in self.PRIVILEGE_FIELDS if f not in fields]
        return fields


class TransitionInline(admin.TabularInline):
    model = AccountTransition
    extra = 0
    can_delete = False
    fields = ("at", "from_state", "to_state", "name", "actor", "reason", "process_id")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    """Read-only register: every state change goes through the flows (services)."""

    list_display = ("name", "platform", "platform_id", "unit", "state", "followers", "last_post_on")
    list_filter = ("state", "platform", "unit__level")
    search_fields = ("name", "platform_id", "unit__name")
    inlines = [TransitionInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Account._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.site_header = _("政务新媒体管理 · 系统管理")


# API tokens (DRF): listed by prefix only, never the key (the key is the row's primary key,
# so the list has no links and no checkboxes); no adding here (tokens come from POST
# /api/token/); a user's tokens are revoked with the user list's action.
from rest_framework.authtoken.models import TokenProxy  # noqa: E402

if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class TokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "created")
    fields = ("prefix", "user", "created")
    readonly_fields = ("prefix", "user", "created")
    search_fields = ("user__username",)
    ordering = ("-created",)
    list_display_links = None
    actions = None

    @admin.display(description=_("令牌前缀"))
    def prefix(self, obj) -> str:
        return f"{obj.key[:8]}…"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
