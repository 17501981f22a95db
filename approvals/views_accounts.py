"""The account register in the inbox site: scoped list, account page (history, processes,
notices), and the applicant's own applications with withdrawal."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View

from lifecycle.models import AccountState, Platform, Role
from lifecycle.selectors import account_history, accounts_for, successor_chain, user_units
from notices.selectors import notices_for

from . import selectors
from .models import AccountProcess, Decision
from .views import process_url


def work_index(request):
    return redirect("work:applications")


class AccountListView(View):
    template_name = "approvals/account_list.html"

    def get(self, request):
        qs = accounts_for(request.user).order_by("unit__path", "name")
        state = request.GET.get("state", "")
        platform = request.GET.get("platform", "")
        q = request.GET.get("q", "").strip()
        if state in AccountState.values:
            qs = qs.filter(state=state)
        if platform in Platform.values:
            qs = qs.filter(platform=platform)
        if q:
            from django.db.models import Q

            qs = qs.filter(Q(name__icontains=q) | Q(platform_id__icontains=q))
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
        return render(request, self.template_name, {
            "page": page, "states": AccountState.choices, "platforms": Platform.choices,
            "state": state, "platform": platform, "q": q,
        })


class AccountDetailView(View):
    template_name = "approvals/account_detail.html"

    def get(self, request, account_id: int):
        account = accounts_for(request.user).filter(pk=account_id).first()
        if account is None:
            raise Http404
        processes = [
            (p, process_url(p))
            for p in AccountProcess.objects.filter(account=account).order_by("-created")
        ]
        applicant_units = {u.pk for u in user_units(request.user, roles=(Role.APPLICANT,))}
        return render(request, self.template_name, {
            "account": account,
            "history": account_history(account=account),
            "processes": processes,
            "notices": notices_for(request.user).filter(account=account).order_by("-issued_on", "-pk"),
            "chain": successor_chain(account),
            "may_apply": account.unit_id in applicant_units and account.state == AccountState.ACTIVE,
        })


class MyApplicationsView(View):
    """Processes started by the user's units (as applicant), newest first; withdrawable ones
    (no decision yet, still running) get a button."""

    template_name = "approvals/my_applications.html"

    def get(self, request):
        units = user_units(request.user, roles=(Role.APPLICANT,))
        qs = (
            selectors.processes_for(request.user)
            .filter(unit__in=units)
            .annotate(decided=Exists(Decision.objects.filter(process=OuterRef("pk"))))
            .order_by("-created")
        )
        page = Paginator(qs, 50).get_page(request.GET.get("page"))
        rows = [(p, process_url(p)) for p in page]
        return render(request, self.template_name, {"page": page, "rows": rows})
