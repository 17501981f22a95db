"""What the staff site keeps for itself: drafts of application forms (resumable)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApplicationDraft(models.Model):
    """A form saved unfinished by its user; one per user and kind, replaced on each save,
    deleted when the application is submitted (workbench.views.apply)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="application_drafts")
    kind = models.CharField(_("申请类型"), max_length=32)
    data = models.JSONField(_("内容"), default=dict)
    updated = models.DateTimeField(_("保存时间"), auto_now=True)

    class Meta:
        verbose_name = _("申请草稿")
        verbose_name_plural = _("申请草稿")
        constraints = [
            # workbench.views.apply reads and replaces the one draft of (user, kind).
            models.UniqueConstraint(fields=["user", "kind"], name="draft_user_kind_unique"),
        ]
