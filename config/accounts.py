"""Self-service password change (every user; forced after an initial password) and the
API token's revocation (DELETE /api/token/ lives in config.api)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import reverse_lazy

from lifecycle import passwords
from lifecycle.signals import MUST_CHANGE


class PasswordChangeView(LoginRequiredMixin, auth_views.PasswordChangeView):
    success_url = reverse_lazy("password_change_done")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["must_change"] = bool(self.request.session.get(MUST_CHANGE))
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        passwords.mark_changed(self.request.user)
        self.request.session[MUST_CHANGE] = False
        return response


class PasswordChangeDoneView(LoginRequiredMixin, auth_views.PasswordChangeDoneView):
    pass
