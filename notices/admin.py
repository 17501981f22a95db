"""Read-only archive in the admin; the only action re-runs failed renders (services)."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from sequences.models import Sequence

from lifecycle.admin_base import ReadOnlyAdmin
from notices import signing
from notices.archive import may_edit_retention
from notices.models import (
    ArchiveRecord,
    Notice,
    NoticeDownload,
    NoticeStatus,
    RetentionRule,
    UnitSeal,
)
from notices.selectors import notices_for
from notices.services import notice_render


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = (
        "number", "title", "kind", "issuing_unit", "account", "issued_on", "status", "pages",
    )
    list_filter = ("status", "kind", "year")
    search_fields = ("number", "title", "account__name", "issuing_unit__name")
    date_hierarchy = "issued_on"
    list_select_related = ("issuing_unit", "account")
    readonly_fields = [f.name for f in Notice._meta.fields]
    actions = ["rerender_failed"]

    def get_queryset(self, request):
        # The archive's reading rule (notices.selectors.notices_for); superusers read all.
        return notices_for(request.user)

    @admin.action(description=_("重新生成失败或待生成的公文"), permissions=["view"])
    def rerender_failed(self, request, queryset):
        todo = queryset.filter(sha256="").exclude(status=NoticeStatus.RENDERED)
        ok = failed = 0
        for notice in todo:
            if notice_render(notice=notice).is_rendered:
                ok += 1
            else:
                failed += 1
        self.message_user(
            request,
            ngettext("已生成 %(ok)d 件，失败 %(failed)d 件。", "已生成 %(ok)d 件，失败 %(failed)d 件。", ok)
            % {"ok": ok, "failed": failed},
            messages.SUCCESS if not failed else messages.WARNING,
        )


@admin.register(NoticeDownload)
class NoticeDownloadAdmin(ReadOnlyAdmin):
    list_display = ("notice", "user", "at", "ip", "channel")
    list_select_related = ("notice", "user")
    search_fields = ("notice__number", "user__username")
    readonly_fields = ("notice", "user", "at", "ip", "channel")

    def get_queryset(self, request):
        # Downloads of the notices the user may read (notices.selectors.notices_for).
        return super().get_queryset(request).filter(notice__in=notices_for(request.user))


# Document-number sequences (django-sequences) are never edited by anyone, superusers
# included: an edit would leave a gap or make the next final approval fail on a duplicate
# number (issue 12 item 5). Visible read-only for support.
if admin.site.is_registered(Sequence):
    admin.site.unregister(Sequence)


@admin.register(Sequence)
class SequenceAdmin(ReadOnlyAdmin):
    list_display = ("name", "last")
    search_fields = ("name",)
    readonly_fields = ("name", "last")


class RetentionRuleAdmin(admin.ModelAdmin):
    """The retention schedule: edited by the archivists' administrator only."""

    list_display = ("kind", "retention", "note")
    list_editable = ("retention", "note")

    def has_module_permission(self, request) -> bool:
        return may_edit_retention(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return may_edit_retention(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return may_edit_retention(request.user)

    def has_add_permission(self, request) -> bool:
        return may_edit_retention(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


admin.site.register(RetentionRule, RetentionRuleAdmin)


@admin.register(ArchiveRecord)
class ArchiveRecordAdmin(ReadOnlyAdmin):
    list_display = ("code", "notice", "retention", "filed_at", "filed_by")
    list_filter = ("year", "retention")
    search_fields = ("code", "notice__number", "notice__title")
    readonly_fields = ("notice", "unit", "year", "retention", "item_no", "code", "filed_at",
                       "filed_by")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(notice__in=notices_for(request.user))


class UnitSealForm(forms.ModelForm):
    """Upload a seal image, a certificate (+ chain) and its private key (PEM, optionally with
    its passphrase); the key is re-encrypted at rest and never shown again."""

    seal_image = forms.ImageField(label=_("印章图像（PNG，透明背景）"), required=False)
    private_key = forms.FileField(label=_("私钥（PEM）"), required=False)
    key_passphrase = forms.CharField(label=_("私钥口令"), required=False,
                                     widget=forms.PasswordInput(render_value=False))

    class Meta:
        model = UnitSeal
        fields = ("unit", "cert_pem", "chain_pem")

    def clean(self):
        data = super().clean()
        creating = self.instance.pk is None
        if creating and not data.get("seal_image"):
            self.add_error("seal_image", _("请上传印章图像。"))
        key_file = data.get("private_key")
        if creating and not key_file:
            self.add_error("private_key", _("请上传私钥。"))
        if key_file and data.get("cert_pem"):
            try:
                key = serialization.load_pem_private_key(
                    key_file.read(), password=(data.get("key_passphrase") or "").encode() or None)
                cert = x509.load_pem_x509_certificate(data["cert_pem"].encode())
            except (ValueError, TypeError) as exc:
                self.add_error("private_key", _("私钥或证书无法读取：{e}").format(e=exc))
            else:
                if key.public_key().public_numbers() != cert.public_key().public_numbers():
                    self.add_error("private_key", _("私钥与证书不匹配。"))
                else:
                    self.instance.key_encrypted = signing.encrypt_key(key)
        if data.get("seal_image"):
            self.instance.seal_png = data["seal_image"].read()
        self.instance.sample = False
        return data


class UnitSealAdmin(admin.ModelAdmin):
    """Seals and certificates: the security administrator only (signing.may_manage_seals);
    the private key is write-only."""

    form = UnitSealForm
    list_display = ("unit", "sample", "updated")
    readonly_fields = ("sample", "updated")

    def has_module_permission(self, request) -> bool:
        return signing.may_manage_seals(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return signing.may_manage_seals(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return signing.may_manage_seals(request.user)

    def has_add_permission(self, request) -> bool:
        return signing.may_manage_seals(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


admin.site.register(UnitSeal, UnitSealAdmin)
