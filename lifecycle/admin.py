"""Django admin of the lifecycle app: units, accounts, memberships (review data: review/admin.py)."""

from django import forms
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
    """Read-only for the system administrator (roles are the security administrator's,
    granted on the memberships page); nobody edits their own roles here."""

    model = Membership
    extra = 1
    raw_id_fields = ("unit",)

    def _own(self, request, obj) -> bool:
        return obj is not None and obj.pk == request.user.pk and not request.user.is_superuser

    def has_add_permission(self, request, obj=None):
        return not self._own(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._own(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._own(request, obj) and super().has_delete_permission(request, obj)


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("user", "unit", "role")

    def clean(self):
        data = super().clean()
        user = data.get("user")
        if user is not None and user.pk == self.request_user.pk and not self.request_user.is_superuser:
            raise forms.ValidationError(services.ERR_OWN_ROLES)
        if user is not None and (user.is_superuser or services.holds_admin_role(user)):
            raise forms.ValidationError(services.ERR_ADMIN_NO_BUSINESS_ROLE)
        return data


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    """Roles (memberships): granted and removed by the security administrator (三员分立);
    never one's own; never to a superuser, security administrator or auditor. Every change
    is in the security log (lifecycle.signals)."""

    form = MembershipForm
    list_display = ("user", "unit", "role")
    list_filter = ("role",)
    search_fields = ("user__username", "user__first_name", "unit__name", "unit__code")
    raw_id_fields = ("user", "unit")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request_user = request.user
        return form

    def has_change_permission(self, request, obj=None):
        own = obj is not None and obj.user_id == request.user.pk and not request.user.is_superuser
        return not own and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        own = obj is not None and obj.user_id == request.user.pk and not request.user.is_superuser
        return not own and super().has_delete_permission(request, obj)


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

    @admin.action(description=_("吊销所选用户的 API 令牌"), permissions=["revoke"])
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

    def get_queryset(self, request):
        # Superusers (installation), security administrators and auditors are the
        # installer's: the system administrator neither sees nor resets them (三员分立).
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(is_superuser=False).exclude(
            groups__name__in=services.ADMIN_ROLES.values())

    def has_revoke_permission(self, request):
        return request.user.has_perm("authtoken.delete_tokenproxy")


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



# -- second-factor devices (lifecycle.second_factor): the security administrator resets a
# user's devices (a lost phone); secrets are never shown. The plugins' own admins (which
# show the key and its QR code) are replaced.
from django_otp.plugins.otp_static.models import StaticDevice  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(TOTPDevice)
class SecondFactorDeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "confirmed", "created_at", "last_used_at", "throttling_failure_count")
    list_filter = ("confirmed",)
    search_fields = ("user__username",)
    fields = list_display
    readonly_fields = list_display
    ordering = ("user__username",)
    actions = ["reset_devices"]

    def get_queryset(self, request):
        # Never one's own (a second pair of hands for a security administrator's phone).
        return super().get_queryset(request).select_related("user").exclude(user=request.user)

    @admin.action(description=_("重置所选用户的双因素认证（删除验证器与备用码）"),
                  permissions=["delete"])
    def reset_devices(self, request, queryset):
        from lifecycle import second_factor

        users = {device.user for device in queryset}
        for user in users:
            second_factor.reset(user=user, actor=request.user, request=request)
        self.message_user(request, _("已重置 %(n)d 个用户的双因素认证；他们下次登录只需密码，"
                                     "可重新启用。") % {"n": len(users)})

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deleting goes through the logged reset
        return actions

    def delete_model(self, request, obj):
        from lifecycle import second_factor

        second_factor.reset(user=obj.user, actor=request.user, request=request)

    def delete_queryset(self, request, queryset):
        self.reset_devices(request, queryset)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# -- the security auditor's pages (read-only): the security log and the admin history ------
import csv  # noqa: E402

from django.contrib.admin.models import LogEntry  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path as url_path  # noqa: E402

from lifecycle.admin_base import ReadOnlyAdmin  # noqa: E402
from lifecycle.models import SecurityEvent  # noqa: E402


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    """The security log for the security auditor: filters, search, CSV export of what the
    filters select (`export/` keeps the list's query string). Nobody changes a row."""

    list_display = ("at", "kind", "username", "ip", "action", "target", "request_id")
    list_filter = ("kind", "at")
    search_fields = ("username", "ip", "target", "request_id", "action")
    date_hierarchy = "at"
    actions = None
    change_list_template = "admin/lifecycle/securityevent/change_list.html"

    def get_urls(self):
        return [url_path("export/", self.admin_site.admin_view(self.export),
                         name="lifecycle_securityevent_export")] + super().get_urls()

    def export(self, request):
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        rows = changelist.get_queryset(request).order_by("pk")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="security-log.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 with a BOM
        writer = csv.writer(response)
        writer.writerow(["id", "at", "kind", "username", "ip", "request_id", "action", "target",
                         "detail", "hash"])
        for e in rows.iterator():
            cells = [e.pk, e.at.isoformat(), e.kind, e.username, e.ip, e.request_id, e.action,
                     e.target, e.detail, e.hash]
            # no cell starts a spreadsheet formula
            writer.writerow([f"'{c}" if str(c)[:1] in "=+-@" else c for c in cells])
        return response


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnlyAdmin):
    """The admin's own change history, for the auditor."""

    list_display = ("action_time", "user", "content_type", "object_repr", "action_flag")
    list_filter = ("action_flag", "content_type", "action_time")
    search_fields = ("object_repr", "user__username")
    date_hierarchy = "action_time"
