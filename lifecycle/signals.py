"""What the security log hears without the callers' help (connected in lifecycle.apps):
logins, logouts, failures and lockouts (django.contrib.auth, django-axes), password
changes (history, token revocation), role changes (memberships) and every change made in
the Django admin (its LogEntry)."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save

from lifecycle import passwords, security
from lifecycle.models import Membership, SecurityEventKind

LOGIN_AT = "_govmedia_login_at"
LAST_SEEN = "_govmedia_last_seen"
MUST_CHANGE = "_govmedia_must_change"


def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT] = request.session[LAST_SEEN] = int(time.time())
        request.session[MUST_CHANGE] = passwords.must_change(user)
        from lifecycle import second_factor

        state = second_factor.login_state(user)
        if state is not None:
            request.session[second_factor.OTP_STATE] = state
    security.record(kind=SecurityEventKind.LOGIN, request=request, user=user,
                    action=getattr(request, "path", "")[:200] if request else "")


def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        security.record(kind=SecurityEventKind.LOGOUT, request=request, user=user)


def _login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    if credentials.get("second_factor"):
        return  # a wrong code: lifecycle.second_factor.verify logged it (otp_failed)
    security.record(kind=SecurityEventKind.LOGIN_FAILED, request=request,
                    username=str(credentials.get("username", ""))[:150],
                    action=getattr(request, "path", "")[:200] if request else "")


def _locked_out(sender: Any, request: Any, username: str, ip_address: str,
                **kwargs: Any) -> None:
    security.record(kind=SecurityEventKind.LOCKOUT, request=request, username=username or "",
                    detail={"ip": ip_address})


def _user_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if getattr(instance, "_password", None) is None or not instance.has_usable_password():
        return
    from rest_framework.authtoken.models import Token

    passwords.remember(instance)
    revoked = Token.objects.filter(user=instance).delete()[0]
    if not created:
        security.record(kind=SecurityEventKind.PASSWORD_CHANGED, user=None,
                        username=instance.get_username(), target=f"user:{instance.pk}",
                        detail={"tokens_revoked": revoked})


def _membership_changed(sender: Any, instance: Membership, **kwargs: Any) -> None:
    what = "removed" if kwargs.get("signal") is post_delete else "added"
    security.record(kind=SecurityEventKind.ROLE_CHANGE, username=_username(instance.user_id),
                    action=what, target=f"{instance.unit_id}:{instance.role}",
                    detail={"user": instance.user_id, "unit": instance.unit_id,
                            "role": instance.role})


def _username(user_id: int) -> str:
    return get_user_model().objects.filter(pk=user_id).values_list("username", flat=True).first() or ""


def _admin_logged(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    if created:
        security.record(
            kind=SecurityEventKind.ADMIN_CHANGE, user=instance.user,
            action={1: "add", 2: "change", 3: "delete"}.get(instance.action_flag, "?"),
            target=f"{instance.content_type.app_label if instance.content_type else ''}."
                   f"{instance.content_type.model if instance.content_type else ''}:"
                   f"{instance.object_id or ''}"[:200],
            detail={"repr": instance.object_repr[:200],
                    "message": instance.get_change_message()[:500]},
        )


def connect() -> None:
    from axes.signals import user_locked_out

    user_logged_in.connect(_logged_in, dispatch_uid="govmedia_security_login")
    user_logged_out.connect(_logged_out, dispatch_uid="govmedia_security_logout")
    user_login_failed.connect(_login_failed, dispatch_uid="govmedia_security_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="govmedia_security_lockout")
    post_save.connect(_user_saved, sender=get_user_model(), dispatch_uid="govmedia_password")
    post_save.connect(_membership_changed, sender=Membership, dispatch_uid="govmedia_role_add")
    post_delete.connect(_membership_changed, sender=Membership, dispatch_uid="govmedia_role_del")
    post_save.connect(_admin_logged, sender=LogEntry, dispatch_uid="govmedia_admin_change")
