"""Public feedback as the owning units see it (login; scoped to the user's units)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from .models import Feedback
from .selectors import sees_everything, subtree_q, user_units

PAGE_SIZE = 50


def feedback_for(user):
    qs = Feedback.objects.select_related("account__unit").order_by("-created", "-pk")
    if sees_everything(user):
        return qs
    return qs.filter(subtree_q(user_units(user), prefix="account__unit__"))


@login_required
def feedback_list(request):
    qs = feedback_for(request.user)
    kind = request.GET.get("kind") or ""
    if kind:
        qs = qs.filter(kind=kind)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "lifecycle/feedback_list.html", {"page": page, "kind": kind})
