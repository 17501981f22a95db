"""Password rules and the password's life (等保 身份鉴别; issue 12 item 6).

Validators (AUTH_PASSWORD_VALIDATORS): complexity (three of four character classes), not
similar to the username, full name or the names of the user's units, no reuse of the last
`PASSWORD_HISTORY` passwords. `password_changed` hooks (a post_save of the user, in
lifecycle.apps) keep the history, revoke the user's API tokens and log the change;
`require_change` / `mark_changed` keep the forced-change flag of an initial password."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from lifecycle.models import Membership, PasswordHistory, PasswordState

CLASSES = (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^A-Za-z0-9]")


class ComplexityValidator:
    """At least three of: lower-case, upper-case, digits, other characters."""

    def validate(self, password: str, user: Any = None) -> None:
        if sum(bool(re.search(c, password)) for c in CLASSES) < 3:
            raise ValidationError(
                _("密码须包含大写字母、小写字母、数字、符号中的至少三类。"), code="password_too_simple")

    def get_help_text(self) -> str:
        return _("密码须包含大写字母、小写字母、数字、符号中的至少三类。")


def _similar(password: str, value: str) -> bool:
    password, value = password.lower(), (value or "").lower()
    if len(value) < 2:
        return False
    return value in password or password in value or \
        SequenceMatcher(a=password, b=value).quick_ratio() >= 0.7


class NotLikeUserOrUnitValidator:
    """Not similar to the username, the full name, the e-mail's name or the name, short
    name or code of any of the user's units."""

    def validate(self, password: str, user: Any = None) -> None:
        if user is None:
            return
        values = [user.get_username(), user.first_name, user.last_name,
                  (user.email or "").split("@")[0]]
        if user.pk:
            for unit in Membership.objects.filter(user=user).select_related("unit"):
                values += [unit.unit.name, unit.unit.short_name, unit.unit.code]
        if any(_similar(password, v) for v in values):
            raise ValidationError(_("密码与用户名、姓名或所在单位名称过于相似。"),
                                  code="password_too_similar")

    def get_help_text(self) -> str:
        return _("密码不能与用户名、姓名或所在单位名称相似。")


class HistoryValidator:
    """Not one of the last `PASSWORD_HISTORY` passwords (default 5)."""

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or not user.pk:
            return
        recent = PasswordHistory.objects.filter(user=user)[: settings.PASSWORD_HISTORY]
        if any(check_password(password, old.password) for old in recent):
            raise ValidationError(
                _("不能使用最近 %(n)d 次用过的密码。") % {"n": settings.PASSWORD_HISTORY},
                code="password_reused")

    def get_help_text(self) -> str:
        return _("不能使用最近 %(n)d 次用过的密码。") % {"n": settings.PASSWORD_HISTORY}


def remember(user: Any) -> None:
    """Keep the (already hashed) current password in the history, trimmed to its length."""
    PasswordHistory.objects.create(user=user, password=user.password)
    keep = PasswordHistory.objects.filter(user=user).values_list("pk", flat=True)[
        : settings.PASSWORD_HISTORY]
    PasswordHistory.objects.filter(user=user).exclude(pk__in=list(keep)).delete()


def require_change(user: Any) -> None:
    """The password was set by someone else: the user must choose their own."""
    PasswordState.objects.update_or_create(user=user, defaults={"must_change": True})


def mark_changed(user: Any) -> None:
    """The user chose their password (or a demo user is declared to have)."""
    PasswordState.objects.update_or_create(
        user=user, defaults={"must_change": False, "changed_at": timezone.now()})


def must_change(user: Any) -> bool:
    return PasswordState.objects.filter(user=user, must_change=True).exists()
