"""Content dictionaries (错敏词库, issue 14 item 3): the supervising unit's staff keep wrong →
right pairs, leader-name forms, forbidden and sensitive words, each with its source note.
Every change is a new version (review.services.dictionary_*); removed entries stay listed
in the history."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views import View

from lifecycle.selectors import units_for
from review import services
from review.models import DictionaryEntry, DictionaryKind
from review.selectors import dictionaries_for


def _dictionary(request, pk: int):
    dictionary = dictionaries_for(request.user).filter(pk=pk).first()
    if dictionary is None:
        raise Http404(_("没有找到该词库。"))
    return dictionary


class DictionaryListView(View):
    template_name = "workbench/review/dictionaries.html"

    def get(self, request, errors=None, status=200):
        editable = [u for u in units_for(request.user).order_by("path")[:500]
                    if services.dictionary_may_edit(unit=u, actor=request.user)]
        return render(request, self.template_name, {
            "dictionaries": dictionaries_for(request.user).order_by("unit__path", "name"),
            "units": editable, "errors": errors or {},
        }, status=status)

    def post(self, request):
        unit = units_for(request.user).filter(code=request.POST.get("unit", "")).first()
        if unit is None:
            return self.get(request, errors={"unit": [_("请选择单位。")]}, status=400)
        try:
            dictionary = services.dictionary_create(
                unit=unit, name=request.POST.get("name", ""), note=request.POST.get("note", ""),
                actor=request.user)
        except PermissionDenied:
            raise
        except ValidationError as exc:
            return self.get(request, errors=exc.message_dict, status=400)
        return redirect("work:dictionary", dictionary.pk)


class DictionaryDetailView(View):
    template_name = "workbench/review/dictionary.html"

    def get(self, request, pk: int, errors=None, status=200):
        dictionary = _dictionary(request, pk)
        entries = dictionary.entries.order_by("kind", "term")
        return render(request, self.template_name, {
            "dictionary": dictionary,
            "live": [e for e in entries if e.removed_in is None],
            # (version, removed?, entry), newest version first.
            "history": sorted(
                [(e.added_in, False, e) for e in entries]
                + [(e.removed_in, True, e) for e in entries if e.removed_in],
                key=lambda item: (-item[0], item[2].term),
            ),
            "kinds": DictionaryKind.choices,
            "may_edit": services.dictionary_may_edit(unit=dictionary.unit, actor=request.user),
            "errors": errors or {}, "posted": request.POST if errors else {},
        }, status=status)

    def post(self, request, pk: int):
        dictionary = _dictionary(request, pk)
        try:
            if request.POST.get("remove"):
                entry = DictionaryEntry.objects.filter(
                    dictionary=dictionary, pk=request.POST["remove"]).first()
                if entry is None:
                    raise Http404(_("没有找到该词条。"))
                services.dictionary_entry_remove(entry=entry, actor=request.user)
                messages.success(request, _("已移除词条「{term}」。").format(term=entry.term))
            else:
                entry = services.dictionary_entry_add(
                    dictionary=dictionary, kind=request.POST.get("kind", ""),
                    term=request.POST.get("term", ""), replacement=request.POST.get("replacement", ""),
                    source_note=request.POST.get("source_note", ""), actor=request.user)
                messages.success(request, _("已加入词条「{term}」。").format(term=entry.term))
        except PermissionDenied:
            raise
        except ValidationError as exc:
            return self.get(request, pk, errors=exc.message_dict, status=400)
        return redirect("work:dictionary", dictionary.pk)


