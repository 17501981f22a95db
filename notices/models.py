"""Official notices (公文) and their archive. Writes go through notices.services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from notices.kinds import KINDS, kind_choices

ERR_IMMUTABLE = _("公文已生成，不得修改；更正须另行发文撤销。")


class NoticeImmutable(Exception):
    """Raised on any attempt to change a rendered notice's content (DESIGN §7, §10)."""


class NoticeStatus(models.TextChoices):
    PENDING = "pending", _("待生成")
    RENDERED = "rendered", _("已生成")
    FAILED = "failed", _("生成失败")
    REVOKED = "revoked", _("已撤销")


def notice_upload_to(instance: Notice, filename: str) -> str:
    return f"{settings.NOTICE_UPLOAD_DIR}/{instance.year}/{filename}"


# Fields that may still change once the PDF exists: the revocation flag only.
MUTABLE_AFTER_RENDER = frozenset({"status"})


class Notice(models.Model):
    kind = models.CharField(_("文种"), max_length=32, choices=kind_choices)
    number = models.CharField(_("发文字号"), max_length=64, unique=True)
    series = models.CharField(_("序列代字"), max_length=16)
    year = models.PositiveSmallIntegerField(_("年份"))
    seq = models.PositiveIntegerField(_("序号"))
    title = models.CharField(_("标题"), max_length=300)
    issuing_unit = models.ForeignKey(
        "lifecycle.Unit", verbose_name=_("发文单位"), on_delete=models.PROTECT,
        related_name="issued_notices",
    )
    account = models.ForeignKey(
        "lifecycle.Account", verbose_name=_("账号"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="notices",
    )
    # viewflow process id; deliberately no FK so notices do not depend on approvals.
    process_id = models.BigIntegerField(_("流程编号"), null=True, blank=True)
    issued_on = models.DateField(_("成文日期"))
    # The facts rendered, frozen at issue time (account name etc. included), so a
    # re-run of a failed render produces the document that was approved.
    context = models.JSONField(_("内容数据"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    status = models.CharField(
        _("状态"), max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.PENDING
    )
    failure_reason = models.TextField(_("失败原因"), blank=True)
    pdf = models.FileField(_("PDF文件"), upload_to=notice_upload_to, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveIntegerField(_("文件大小"), null=True, blank=True)
    pages = models.PositiveSmallIntegerField(_("页数"), null=True, blank=True)
    rendered_at = models.DateTimeField(_("生成时间"), null=True, blank=True)
    # SM3 (GB/T 32905) of the same bytes as sha256, for domestic checks.
    sm3 = models.CharField(_("SM3"), max_length=64, blank=True)
    # The 公文处理单: internal sign-off record, archived with the notice, never sent with it.
    sheet_pdf = models.FileField(_("公文处理单"), upload_to=notice_upload_to, blank=True)
    sheet_sha256 = models.CharField(_("处理单SHA-256"), max_length=64, blank=True)
    # PAdES signature: who signed (certificate subject) and the certificate's serial.
    signer = models.CharField(_("签名人"), max_length=300, blank=True)
    signer_serial = models.CharField(_("签名证书序列号"), max_length=80, blank=True)
    # The notice's text for full-text search (title, facts, account and successor names),
    # written with the PDF (notices.search).
    search_text = models.TextField(_("全文"), blank=True)
    revokes = models.ForeignKey(
        "self", verbose_name=_("撤销的公文"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="revoked_by",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发文人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    created = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("公文")
        verbose_name_plural = _("公文")
        ordering = ["-issued_on", "-pk"]
        constraints = [
            # Belt and braces for the gapless sequence (notices.services.issue).
            models.UniqueConstraint(
                fields=["issuing_unit", "series", "year", "seq"], name="notice_seq_unique"
            ),
        ]
        indexes = [
            # render_notices and the admin "failed" filter scan by status.
            models.Index(fields=["status", "created"], name="notice_status_idx"),
            # Archive search by kind and year (notices.selectors.notice_search).
            models.Index(fields=["kind", "year"], name="notice_kind_year_idx"),
            # The archive list and /api/notices/ in their order (notice_search:
            # ORDER BY issued_on DESC, id DESC LIMIT n): read from the index, no sort of
            # the whole archive (bench/pages.py, issue 15).
            models.Index(fields=["-issued_on", "-id"], name="notice_issued_order_idx"),
            # The archive scope's chain readers (notices_for: notices of the processes whose
            # sign-off steps a unit holds, `process_id IN (…)`) and a process's notices
            # (notices_for_process, the task and process pages).
            models.Index(fields=["process_id"], name="notice_process_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def kind_spec(self):
        return KINDS.get(self.kind)

    @property
    def is_rendered(self) -> bool:
        return bool(self.sha256)

    @property
    def failure_id(self) -> str:
        """The error id of a failed render (`[id] details`, notices.services._fail): what
        users see instead of the details, which stay in the log and the admin."""
        reason = self.failure_reason or ""
        if reason.startswith("[") and "]" in reason:
            return reason[1:reason.index("]")]
        return ""

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_sha256 = instance.sha256 if "sha256" in field_names else ""
        return instance

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._stored_sha256 = self.sha256

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Immutable once rendered: only the revocation flag may still be written.
        if getattr(self, "_stored_sha256", ""):
            update_fields = kwargs.get("update_fields")
            if update_fields is None or set(update_fields) - MUTABLE_AFTER_RENDER:
                raise NoticeImmutable(str(ERR_IMMUTABLE))
        super().save(*args, **kwargs)
        self._stored_sha256 = self.sha256

    def delete(self, *args: Any, **kwargs: Any):
        if self.sha256:
            raise NoticeImmutable(str(ERR_IMMUTABLE))
        return super().delete(*args, **kwargs)


class NoticeDownload(models.Model):
    """Who fetched which archived PDF, when and from where (DESIGN §7)."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="downloads")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("下载时间"), auto_now_add=True)
    ip = models.GenericIPAddressField(_("IP地址"), null=True, blank=True)
    channel = models.CharField(_("渠道"), max_length=8, default="web")

    class Meta:
        verbose_name = _("下载记录")
        verbose_name_plural = _("下载记录")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["notice", "at"], name="notice_download_idx")]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.user_id} {self.at:%Y-%m-%d %H:%M}"


class SigningAuthority(models.Model):
    """A certification authority whose certificates notice signatures are checked against.
    The demo CA (`sample`) keeps its key, encrypted, to issue demo unit certificates; a real
    CA is only its certificate."""

    name = models.CharField(_("名称"), max_length=200, unique=True)
    cert_pem = models.TextField(_("CA证书"))
    key_encrypted = models.BinaryField(_("私钥（加密）"), blank=True, default=b"", editable=False)
    sample = models.BooleanField(_("演示材料"), default=False)
    created = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("证书颁发机构")
        verbose_name_plural = _("证书颁发机构")

    def __str__(self) -> str:
        return self.name


class UnitSeal(models.Model):
    """An issuing unit's electronic seal (image) and signing certificate + private key.
    Managed by the security administrator only (notices.signing.may_manage_seals); the key
    is stored encrypted and never shown or exported by the web."""

    unit = models.OneToOneField(
        "lifecycle.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="seal"
    )
    seal_png = models.BinaryField(_("印章图像"), editable=False)
    cert_pem = models.TextField(_("签名证书"))
    chain_pem = models.TextField(_("证书链"), blank=True)
    key_encrypted = models.BinaryField(_("私钥（加密）"), editable=False)
    sample = models.BooleanField(_("样章"), default=False)
    updated = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("电子印章")
        verbose_name_plural = _("电子印章")

    def __str__(self) -> str:
        return f"{self.unit} {'样章' if self.sample else ''}".strip()


class Retention(models.TextChoices):
    """保管期限 (DA/T 22-2015): permanent, 30 years, 10 years. The value is the 档号 code."""

    PERMANENT = "Y", _("永久")
    D30 = "D30", _("30年")
    D10 = "D10", _("10年")


class RetentionRule(models.Model):
    """The retention schedule: one 保管期限 per notice kind (data, edited in the admin by the
    archivists' administrator; notices.archive.may_edit_retention)."""

    kind = models.CharField(_("文种"), max_length=32, choices=kind_choices, unique=True)
    retention = models.CharField(_("保管期限"), max_length=4, choices=Retention.choices)
    note = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("保管期限表")
        verbose_name_plural = _("保管期限表")
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.get_retention_display()}"


class ArchiveRecord(models.Model):
    """A notice filed (归档): its 档号 `年度-机构代码-保管期限-件号`, the 件号 gapless per
    unit × year × retention (django-sequences, like document numbers)."""

    notice = models.OneToOneField(Notice, on_delete=models.PROTECT, related_name="archive_record")
    unit = models.ForeignKey("lifecycle.Unit", verbose_name=_("机构"), on_delete=models.PROTECT,
                             related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    retention = models.CharField(_("保管期限"), max_length=4, choices=Retention.choices)
    item_no = models.PositiveIntegerField(_("件号"))
    code = models.CharField(_("档号"), max_length=80, unique=True)
    filed_at = models.DateTimeField(_("归档时间"), auto_now_add=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("归档人"), null=True,
                                 on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("归档记录")
        verbose_name_plural = _("归档记录")
        ordering = ["year", "unit", "retention", "item_no"]
        constraints = [models.UniqueConstraint(fields=["unit", "year", "retention", "item_no"],
                                               name="archive_item_unique")]

    def __str__(self) -> str:
        return self.code
