"""Login protection (等保 身份鉴别; issue 12 item 6, DESIGN §8).

- `LockoutBackend`: django-axes in front of the model backend — after AXES_FAILURE_LIMIT
  consecutive failures (default 5, never more than 10) that username is locked *for that
  client* (username + address) for AXES_COOLOFF_TIME; other users and other clients are
  unaffected. Web login, admin login and POST /api/token/ all authenticate through it. A
  call without a request (a management command, a test client's login()) is not counted.
- `lockout_response`: what a locked client sees (JSON under /api/, a page otherwise; 429).
- `ExpiringTokenAuthentication`: an API token older than API_TOKEN_TTL is refused and
  deleted (tokens also die with a password change, lifecycle.signals, and on
  DELETE /api/token/)."""

from __future__ import annotations

import datetime

from axes.backends import AxesBackend
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from lifecycle import security
from lifecycle.models import SecurityEventKind


class LockoutBackend(AxesBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None  # not a login over HTTP: nothing to count or lock
        return super().authenticate(request, username=username, password=password, **kwargs)

    def has_perm(self, user_obj, perm, obj=None):
        """Logins only: permissions are ModelBackend's and MembershipBackend's answers."""
        return False


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _("连续登录失败次数过多：该用户名在此客户端已被锁定 %(m)d 分钟。"
             "请稍后再试，或联系安全管理员解锁。") % {"m": minutes}


def lockout_response(request, original_response=None, credentials=None):
    message = lockout_message()
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=429)
    body = (f'<!DOCTYPE html><html lang="zh-hans"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(_('登录已锁定'))}</title></head><body>"
            f'<main style="max-width:32rem;margin:4rem auto;font-family:sans-serif">'
            f"<h1>{escape(_('登录已锁定'))}</h1><p>{escape(message)}</p>"
            f'<p><a href="{escape(settings.LOGIN_URL)}">{escape(_("返回登录页"))}</a></p>'
            f"</main></body></html>")
    return HttpResponse(body, status=429)


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        ttl = datetime.timedelta(seconds=settings.API_TOKEN_TTL_SECONDS)
        if token.created < timezone.now() - ttl:
            security.record(kind=SecurityEventKind.TOKEN_REVOKED, user=user,
                            target=f"token:{token.key[:8]}", action="expired")
            token.delete()
            raise AuthenticationFailed(_("令牌已过期，请重新获取。"))
        return user, token
