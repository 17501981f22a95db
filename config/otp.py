"""The administrators' second factor on the web (lifecycle.second_factor):

- /accounts/login/otp/  the code after the password (web and admin login alike);
- /accounts/otp/        self-service enrolment: QR code and secret, one code to confirm,
                        backup codes shown once.

Wrong codes count as login failures for the username + client lockout (django-axes: after
AXES_FAILURE_LIMIT the session is ended and the client locked, 429) and are throttled per
device by django-otp."""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from config.auth import lockout_response
from lifecycle import second_factor as otp


class CodeForm(forms.Form):
    otp = forms.CharField(label=_("动态验证码"), max_length=16, strip=True,
                          widget=forms.TextInput(attrs={
                              "autocomplete": "one-time-code", "inputmode": "numeric",
                              "autofocus": True}))


def _next(request, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if not url_has_allowed_host_and_scheme(target, {request.get_host()},
                                           require_https=request.is_secure()):
        return default
    return target


def count_failure(request, user) -> None:
    """A wrong code counts like a wrong password (django-axes: username + client)."""
    user_login_failed.send(sender=__name__, request=request,
                           credentials={"username": user.get_username(), "second_factor": True})


def login_otp(request):
    if not request.user.is_authenticated:
        return redirect("login")
    if request.session.get(otp.OTP_STATE) != otp.PENDING:
        return redirect(_next(request))
    user = request.user
    if not AxesProxyHandler.is_allowed(request, {"username": user.get_username()}):
        logout(request)
        return lockout_response(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        problem = otp.verify(user=user, token=form.cleaned_data["otp"], request=request)
        if problem is None:
            request.session.cycle_key()
            request.session[otp.OTP_STATE] = otp.OK
            return redirect(_next(request))
        count_failure(request, user)
        if getattr(request, "axes_locked_out", False):
            logout(request)
            return lockout_response(request)
        form.add_error("otp", problem)
    return render(request, "registration/login_otp.html", {"form": form, "next": _next(request)})


@login_required
def otp_setup(request):
    user = request.user
    if not otp.applies_to(user):
        raise Http404
    form = CodeForm(request.POST or None)
    codes: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            codes = otp.enrolment_confirm(user=user, token=form.cleaned_data["otp"],
                                          request=request)
        except ValidationError as exc:
            form.add_error("otp", exc.message_dict.get("otp", exc.messages))
        else:
            request.session[otp.OTP_STATE] = otp.OK
    enrolled = otp.has_device(user)
    context = {"form": CodeForm() if codes else form, "codes": codes, "enrolled": enrolled,
               "required": otp.required(), "next": _next(request, "/admin/")}
    if not codes:
        device = otp.enrolment_device(user)
        context.update(qr=otp.qr_svg(device), secret=otp.secret_for_manual_entry(device))
    response = render(request, "registration/otp_setup.html", context)
    response["Cache-Control"] = "no-store"  # the secret and the backup codes
    return response
