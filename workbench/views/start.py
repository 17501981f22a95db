"""发起申请: the forms the user may start (replaces viewflow's "new process" dialog, which
lists flows that have no start view of their own). Opening an account for a unit where the
user is a clerk (填报员); closing or changing one of that unit's active accounts; inspectors
start campaigns and rectifications from the review pages."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View

from lifecycle.models import AccountState, Role
from lifecycle.selectors import accounts_for, sees_everything, user_units

# Account states a closure or change application may start from (the services check again).
STARTABLE_STATES = (AccountState.ACTIVE, AccountState.RECTIFYING)


def _applicant_accounts(user):
    qs = accounts_for(user).filter(state__in=STARTABLE_STATES)
    if not sees_everything(user):
        qs = qs.filter(unit__in=user_units(user, roles=(Role.APPLICANT,)))
    return qs.order_by("unit__path", "name")


class StartView(View):
    template_name = "workbench/start.html"

    def get(self, request):
        account_id = request.GET.get("account")
        kind = request.GET.get("kind")
        if account_id and kind in ("closure", "change"):
            # The account picker of the closure/change cards: only the user's own accounts.
            if not account_id.isdigit() or not _applicant_accounts(request.user).filter(
                pk=account_id
            ).exists():
                raise Http404(_("没有找到该账号。"))
            return redirect(reverse(f"work:apply_{kind}", args=[int(account_id)]))
        applicant_units = user_units(request.user, roles=(Role.APPLICANT,))
        inspector = sees_everything(request.user) or bool(
            user_units(request.user, roles=(Role.INSPECTOR,))
        )
        may_apply = bool(applicant_units) or sees_everything(request.user)
        accounts = list(_applicant_accounts(request.user)[:500]) if may_apply else []
        return render(request, self.template_name, {
            "may_apply": may_apply,
            "applicant_units": applicant_units,
            "accounts": accounts,
            "inspector": inspector,
        })
