"""A second factor (TOTP, django-otp) for administrators (等保 身份鉴别; issue 12 item 6).

Who: the superuser, the system administrator (role `admin`), the security administrator
and the security auditor — everyone who may use /admin/ (`is_staff`). An administrator
enrols an authenticator app at /accounts/otp/ (QR code + secret, confirmed with one code)
and receives ten backup codes, shown once. From then on every login asks for a code after
the password (web, admin, and `otp` on POST /api/token/). With ADMIN_OTP_REQUIRED an
administrator without a device cannot use /admin/ until enrolled.

The login state lives in the session (OTP_STATE: "pending" until the code is given,
"ok", or "none" for an administrator without a device), set once at login, so a page
costs no query. Wrong codes are throttled per device by django-otp (exponential delay,
kept across logins) and count as login failures for the username + client lockout
(django-axes). The security administrator resets a user's devices in the admin
(`reset`). Enrolment, verification, failures and resets are security-log rows.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from lifecycle import security
from lifecycle.models import SecurityEventKind

OTP_STATE = "_govmedia_otp"
PENDING, OK, NONE = "pending", "ok", "none"
BACKUP_CODES = 10

ERR_WRONG_CODE = _("动态验证码不正确或已过期。")
ERR_THROTTLED = _("动态验证码错误次数过多，请稍候再试。")


def applies_to(user: Any) -> bool:
    """An administrator: whoever may use /admin/ (no query)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active
                and (user.is_staff or user.is_superuser))


def required() -> bool:
    return bool(getattr(settings, "ADMIN_OTP_REQUIRED", False))


def has_device(user: Any) -> bool:
    return bool(user_has_device(user, confirmed=True))


def login_state(user: Any) -> str | None:
    """The session's second-factor state right after the password was accepted."""
    if not applies_to(user):
        return None
    return PENDING if has_device(user) else NONE


def enrolment_device(user: Any) -> TOTPDevice:
    """The user's unconfirmed TOTP device (a new secret the first time)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def enrolment_confirm(*, user: Any, token: str, request: Any = None) -> list[str]:
    """Confirm the pending device with one code; replaces any earlier device and returns
    new backup codes (shown once). Wrong code: ValidationError on `otp`, logged."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False) \
            .order_by("pk").first()
        if device is None:
            raise ValidationError({"otp": _("没有待确认的验证器，请刷新页面重新扫码。")})
        verified = device.verify_token(_digits(token))
        if verified:
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            StaticDevice.objects.filter(user=user).delete()
            backup = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
            codes = [StaticToken.random_token() for _i in range(BACKUP_CODES)]
            StaticToken.objects.bulk_create([StaticToken(device=backup, token=c) for c in codes])
    if not verified:
        security.record(kind=SecurityEventKind.OTP_FAILED, request=request, user=user,
                        action="enrol", target=f"user:{user.pk}")
        raise ValidationError({"otp": ERR_WRONG_CODE})
    security.record(kind=SecurityEventKind.OTP_ENROLLED, request=request, user=user,
                    target=f"user:{user.pk}")
    return codes


def verify(*, user: Any, token: str, request: Any = None) -> str | None:
    """A code from the authenticator or an unused backup code: None when accepted, else
    the message to show (a wrong code, or too many tries: django-otp's delay). Failures are
    logged; the caller counts them for the lockout."""
    token = _digits(token)
    with transaction.atomic():
        matched = None
        throttled = False
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            allowed, _data = device.verify_is_allowed()
            throttled = throttled or not allowed
            if token and device.verify_token(token):
                matched = device
                break
    if matched is None:
        security.record(kind=SecurityEventKind.OTP_FAILED, request=request, user=user,
                        action="login", target=f"user:{user.pk}",
                        detail={"throttled": throttled})
        return str(ERR_THROTTLED if throttled else ERR_WRONG_CODE)
    security.record(kind=SecurityEventKind.OTP_VERIFIED, request=request, user=user,
                    target=f"user:{user.pk}",
                    detail={"device": "backup" if isinstance(matched, StaticDevice) else "totp"})
    return None


@transaction.atomic
def reset(*, user: Any, actor: Any, request: Any = None) -> int:
    """Delete every second-factor device of `user` (a lost phone); the security
    administrator's action in the admin. Returns how many devices were removed."""
    removed = TOTPDevice.objects.filter(user=user).delete()[1].get(TOTPDevice._meta.label, 0)
    removed += StaticDevice.objects.filter(user=user).delete()[1].get(StaticDevice._meta.label, 0)
    security.record(kind=SecurityEventKind.OTP_RESET, request=request, user=actor,
                    target=f"user:{user.pk}", detail={"username": user.get_username(),
                                                      "devices": removed})
    return removed


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG QR code (segno, as the notices' QR codes)."""
    import segno

    return str(segno.make(device.config_url, error="m").svg_inline(scale=5, border=2))


def secret_for_manual_entry(device: TOTPDevice) -> str:
    from base64 import b32encode

    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))


def _digits(token: Any) -> str:
    return "".join(str(token or "").split())[:16]
