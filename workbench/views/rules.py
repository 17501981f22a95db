"""Rule sets as sourced, versioned data (issue 14 item 4): the versions with their effective
dates and each indicator's source, the differences between two versions, and a new version
copied from an old one (for users who may change rule sets; edited further in the admin)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _
from django.views import View

from review import services
from review.models import Campaign, RuleSet
from review.rules import rule_set_diff


def _rule_set(pk) -> RuleSet:
    try:
        return RuleSet.objects.get(pk=int(pk))
    except (RuleSet.DoesNotExist, TypeError, ValueError):
        raise Http404(_("没有找到该指标体系。")) from None


class RuleSetListView(View):
    template_name = "workbench/review/rules.html"

    def get(self, request, pk: int | None = None, errors=None, status=200):
        sets = list(RuleSet.objects.order_by("name", "-effective_from", "-pk"))
        chosen = _rule_set(pk) if pk is not None else next((r for r in sets if r.active), None)
        return render(request, self.template_name, {
            "rule_sets": sets,
            "chosen": chosen,
            "indicators": chosen.indicators.order_by("part", "position", "code") if chosen else [],
            "campaign_count": Campaign.objects.filter(rule_set=chosen).count() if chosen else 0,
            "may_copy": request.user.has_perm("review.change_ruleset"),
            "errors": errors or {},
        }, status=status)

    def post(self, request, pk: int):
        chosen = _rule_set(pk)
        try:
            copy = services.rule_set_copy(
                rule_set=chosen, version=request.POST.get("version", ""), actor=request.user,
                effective_from=parse_date(request.POST.get("effective_from") or ""),
            )
        except PermissionDenied:
            raise
        except ValidationError as exc:
            return self.get(request, pk, errors=exc.message_dict, status=400)
        messages.success(request, _("已复制为新版本（未启用），请在管理后台修改指标后启用。"))
        return redirect("work:rule_set", copy.pk)


class RuleSetDiffView(View):
    template_name = "workbench/review/rules_diff.html"

    def get(self, request):
        old, new = _rule_set(request.GET.get("a")), _rule_set(request.GET.get("b"))
        return render(request, self.template_name, {"diff": rule_set_diff(old, new)})
