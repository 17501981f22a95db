"""Public feedback as the owning units see it (login; scoped to the user's units): the list
at /work/feedback/ inside the inbox site (workbench.site routes it, so the page has the
site's menu and title), and marking an error report handled with a note."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View

from review.models import FeedbackKind
from review.selectors import FEEDBACK_HANDLED_STATE, FEEDBACK_OPEN, feedback_for, feedback_notes
from review.services import FEEDBACK_NOTE_MAX, feedback_handle, feedback_may_handle
from workbench.views.paging import page_number, whole_number

PAGE_SIZE = 50
STATES = ((FEEDBACK_OPEN, _("未处理的纠错")), (FEEDBACK_HANDLED_STATE, _("已处理")))


def _filters(request) -> dict:
    return {
        "kind": request.GET.get("kind", "") if request.GET.get("kind") in FeedbackKind.values else "",
        "state": request.GET.get("state", "") if request.GET.get("state") in dict(STATES) else "",
        "account_id": whole_number(request, "account"),
    }


class FeedbackListView(View):
    template_name = "workbench/feedback_list.html"

    def get(self, request):
        return render(request, self.template_name, self.context(request))

    def context(self, request, *, failed: int | None = None, note: str = "", error: str = ""):
        filters = _filters(request)
        page = Paginator(feedback_for(request.user, **filters), PAGE_SIZE).get_page(
            page_number(request)
        )
        items = list(page.object_list)
        notes = feedback_notes(items)
        rows = [
            {
                "f": f,
                "note": notes.get(f.pk, ""),
                "may_handle": f.kind == FeedbackKind.ERROR_REPORT and f.handled_at is None
                and feedback_may_handle(feedback=f, actor=request.user),
                "error": error if f.pk == failed else "",
                "draft": note if f.pk == failed else "",
            }
            for f in items
        ]
        query = request.GET.copy()
        query.pop("page", None)
        return {
            "page": page,
            "rows": rows,
            "kinds": FeedbackKind.choices,
            "states": STATES,
            "kind": filters["kind"],
            "state": filters["state"],
            "account_id": filters["account_id"],
            "query": query.urlencode(),
            "here": request.get_full_path(),
            "note_max": FEEDBACK_NOTE_MAX,
        }


class FeedbackHandleView(FeedbackListView):
    """POST: mark one error report handled (review.services.feedback_handle)."""

    def get(self, request, pk: int):
        return redirect("work:feedback")

    def post(self, request, pk: int):
        feedback = feedback_for(request.user).filter(pk=pk).first()
        if feedback is None:  # outside the user's units: as if it did not exist
            raise Http404
        note = request.POST.get("note", "")
        try:
            feedback_handle(feedback=feedback, actor=request.user, note=note)
        except PermissionDenied:
            raise
        except ValidationError as exc:
            error = " ".join(m for msgs in exc.message_dict.values() for m in msgs)
            return render(
                request, self.template_name,
                self.context(request, failed=feedback.pk, note=note, error=error), status=400,
            )
        messages.success(request, _("已标记为已处理。"))
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = reverse("work:feedback")
        return HttpResponseRedirect(back)


@login_required
def feedback_list(request):
    """The page's first address (/accounts/feedback/, workbench/feedback_urls.py): the same list,
    outside the site frame. The menu links /work/feedback/."""
    return FeedbackListView.as_view()(request)
