"""lifecycle.widgets.LongSelect writes the <select> forms.Select writes: same attributes,
options, labels, selection and escaping (only the whitespace between tags differs). (The
notice archive's unit filter used it; it now searches instead of listing —
tests/workbench/test_archive_unit_picker.py.)"""

from __future__ import annotations

import lxml.html
import pytest
from django import forms

from lifecycle.widgets import LongSelect

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

