"""lifecycle.widgets.LongSelect writes the <select> forms.Select writes: same attributes,
options, labels, selection and escaping (only the whitespace between tags differs); the
notice archive's unit filter uses it for every unit of the reader's subtree."""

from __future__ import annotations

import lxml.html
import pytest
from django import forms
from django.test import Client

from lifecycle.selectors import units_for
from lifecycle.widgets import LongSelect
from notices.forms import NoticeSearchForm

CHOICES = [
    ("", "全部"),
    ('a<&"', "单位 <b>1</b> & 'x'"),
    ("JY", "建邺区"),
    ("分组", [("G1", "甲"), ("G2", "乙<")]),
]


def _parsed(html: str) -> tuple[dict[str, str], list[tuple[str | None, str, str, bool]]]:
    select = lxml.html.fragment_fromstring(html)
    options = [
        (o.getparent().get("label") if o.getparent().tag == "optgroup" else None,
         o.get("value"), o.text_content(), o.get("selected") is not None)
        for o in select.iter("option")
    ]
    return dict(select.attrib), options


@pytest.mark.parametrize("value", ["", 'a<&"', "G2", None])
def test_it_writes_what_forms_select_writes(value):
    rendered = []
    for widget in (forms.Select(attrs={"data-testid": "unit", "required": True}),
                   LongSelect(attrs={"data-testid": "unit", "required": True})):
        widget.choices = CHOICES
        rendered.append(_parsed(widget.render("unit", value, attrs={"id": "id_unit"})))
    assert rendered[0] == rendered[1]
    attrs, options = rendered[1]
    assert attrs == {"name": "unit", "data-testid": "unit", "required": "", "id": "id_unit"}
    assert options[1] == (None, 'a<&"', "单位 <b>1</b> & 'x'", value == 'a<&"')
    assert options[4] == ("分组", "G2", "乙<", value == "G2")


@pytest.mark.django_db
def test_the_archive_unit_filter_lists_the_readers_units_with_the_chosen_one_selected(nanjing):
    reader = nanjing.p.nj_approver
    client = Client()
    client.force_login(reader)
    response = client.get("/notices/", {"unit": nanjing.u.jy.code})
    assert response.status_code == 200
    page = lxml.html.fromstring(response.content.decode())
    [select] = page.xpath('//select[@name="unit"]')
    options = [(o.get("value"), o.text_content(), o.get("selected") is not None)
               for o in select.iter("option")]
    expected = [(u.code, str(u), u.pk == nanjing.u.jy.pk) for u in units_for(reader)]
    assert options == [("", "---------", False), *expected]
    assert len(expected) > 3
    # The same form with Django's own widget lists the same options.
    form = NoticeSearchForm({"unit": nanjing.u.jy.code}, units=units_for(reader))
    form.fields["unit"].widget = forms.Select(choices=form.fields["unit"].choices)
    assert _parsed(str(form["unit"]))[1] == [(None, *o) for o in options]
