"""The notice archive's unit filter searches instead of listing (issue 15 item 4): a JSON
endpoint suggests the units the reader may see as they type (notices:units), the field takes
a picked suggestion, a code or a name, and without JavaScript an unknown or ambiguous unit is
a 400 whose message names the field — never a 500, never a list of every unit."""

from __future__ import annotations

import lxml.html
import pytest
from django.urls import reverse

from lifecycle.models import Unit, UnitKind, UnitLevel

UNITS = reverse("notices:units")



def suggest(client, user, q):
    client.force_login(user)
    response = client.get(UNITS, {"q": q})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return response.json()["results"]


def numbers(response) -> set[str]:
    return {n.number for n in response.context["page"]}


def field(response):
    page = lxml.html.fromstring(response.content.decode())
    [unit] = page.xpath('//input[@name="unit"]')
    errors = page.xpath('//input[@name="unit"]/ancestor::div[1]//ul[@class="errorlist"]/li')
    return unit, [e.text_content() for e in errors]


@pytest.mark.django_db
def test_suggestions_match_name_or_code_within_the_readers_units_only(client, nanjing):
    u, p = nanjing.u, nanjing.p
    # By part of the name; the exact code first, then names starting with the text.
    found = suggest(client, p.nj_archivist, "兴隆")
    assert [r["code"] for r in found][0] == "JYXL"  # the street above its own offices
    assert {r["code"] for r in found} == {"JYXL", "JYXLNB", "JYXLSQ"}
    assert found[0] == {"code": "JYXL", "name": "兴隆街道办事处", "parent": u.jy.name,
                        "label": "兴隆街道办事处（JYXL）"}
    assert [r["code"] for r in suggest(client, p.nj_archivist, "jy")][0] == "JY"
    assert [r["code"] for r in suggest(client, p.nj_archivist, "质量")] == ["NJZJ"]
    # Out of scope: the province office above the city, and 南京's units for 建邺's approver.
    assert suggest(client, p.nj_archivist, "江苏省") == []
    assert suggest(client, p.nj_archivist, "JS") == []
    assert suggest(client, p.jy_approver, "南京") == []
    assert {r["code"] for r in suggest(client, p.jy_approver, "J")} == {"JY", "JYXL", "JYXLSQ", "JYXLNB"}
    assert suggest(client, p.jb_approver, "兴隆") == []
    assert suggest(client, p.nj_archivist, "  ") == []


@pytest.mark.django_db
def test_suggestions_are_capped_and_need_a_login(client, nanjing):
    parent = nanjing.u.jy
    for i in range(20):
        Unit.objects.create(code=f"JYT{i:02}", name=f"建邺测试单位{i:02}", level=UnitLevel.TOWNSHIP,
                            kind=UnitKind.DEPARTMENT, parent=parent)
    assert len(suggest(client, nanjing.p.jy_approver, "测试单位")) == 15
    assert client.post(UNITS, {"q": "建邺"}).status_code == 405
    client.logout()
    assert client.get(UNITS, {"q": "建邺"}).status_code == 302


@pytest.mark.django_db
def test_a_unit_name_with_markup_stays_text(client, nanjing):
    Unit.objects.create(code="JYX", name='<img src=x onerror="alert(1)">局', level=UnitLevel.TOWNSHIP,
                        kind=UnitKind.DEPARTMENT, parent=nanjing.u.jy)
    client.force_login(nanjing.p.jy_approver)
    body = client.get(UNITS, {"q": "<img"}).content.decode()
    assert "<img" not in body and "\\u003cimg" in body  # JSON-escaped, never markup
    [found] = client.get(UNITS, {"q": "<img"}).json()["results"]
    assert found["name"] == '<img src=x onerror="alert(1)">局'
    # The archive with that unit picked: the field holds the text, escaped.
    page = client.get("/notices/", {"unit": "JYX"})
    html = page.content.decode()
    assert page.status_code == 200 and "<img src=x" not in html
    unit, errors = field(page)
    assert unit.get("value") == '<img src=x onerror="alert(1)">局（JYX）' and errors == []
    # Typed markup that matches nothing comes back as text in the message.
    page = client.get("/notices/", {"unit": "<script>alert(1)</script>"})
    assert page.status_code == 400 and "<script>alert(1)" not in page.content.decode()


@pytest.mark.django_db
def test_the_archive_filters_by_a_picked_typed_or_named_unit(client, archive):
    world, xl, zj, jb = archive
    client.force_login(world.p.nj_archivist)
    for typed in ("建邺区人民政府办公室（JY）", "JY", "jy", "建邺区人民政府办公室", "建邺区",
                  "建邺区人民政府办公室 (JY)"):
        page = client.get("/notices/", {"unit": typed})
        assert page.status_code == 200, typed
        assert numbers(page) == {xl.number}, typed
        unit, errors = field(page)
        # The field shows the unit filtered by, as a suggestion reads.
        assert unit.get("value") == "建邺区人民政府办公室（JY）" and errors == [], typed
    assert numbers(client.get("/notices/", {"unit": "NJZJ"})) == {zj.number}
    assert numbers(client.get("/notices/", {"unit": "南京市人民政府办公室（NJ）"})) == {
        xl.number, zj.number, jb.number}
    # The page carries no list of units, only the field and its (empty) suggestion list.
    html = client.get("/notices/").content.decode()
    assert 'name="unit"' in html and "<select name=\"unit\"" not in html
    assert "江北新区顶山街道" not in html


@pytest.mark.django_db
def test_an_unknown_out_of_scope_or_ambiguous_unit_is_a_400_naming_the_field(client, archive):
    world, xl, zj, jb = archive
    client.force_login(world.p.nj_archivist)
    for typed, says in (("不存在的单位", "没有与“不存在的单位”相符的单位"),
                        ("江苏省人民政府办公厅", "没有与“江苏省人民政府办公厅”相符的单位"),  # out of scope
                        ("JS", "没有与“JS”相符的单位"),
                        ("兴隆街道", "“兴隆街道”与多个单位相符")):
        page = client.get("/notices/", {"unit": typed, "kind": "filing_receipt"})
        assert page.status_code == 400, typed
        unit, errors = field(page)
        assert len(errors) == 1 and errors[0].startswith("单位（含下级）：") and says in errors[0], errors
        assert unit.get("value") == typed  # kept as typed, to correct it
    # The English page names the field in English.
    page = client.get("/notices/", {"unit": "兴隆街道"}, HTTP_ACCEPT_LANGUAGE="en")
    _unit, errors = field(page)
    assert page.status_code == 400 and errors[0].startswith("Unit (including subordinate units): "), errors


@pytest.mark.django_db
def test_the_archive_lists_in_the_same_statements_with_or_without_a_unit_filter(
        client, archive, django_assert_num_queries):
    world, *_ = archive
    client.force_login(world.p.nj_archivist)
    client.get("/notices/")
    with django_assert_num_queries(5) as plain:
        client.get("/notices/")
    # session, user, memberships, count, page — no unit list; a code is one lookup more.
    with django_assert_num_queries(len(plain) + 1):
        client.get("/notices/", {"unit": "JY"})


@pytest.mark.django_db
def test_a_one_or_two_character_search_finds_within_the_readers_notices(client, archive):
    world, xl, zj, jb = archive
    client.force_login(world.p.nj_archivist)
    assert numbers(client.get("/notices/", {"q": "批复"})) == {xl.number}
    assert numbers(client.get("/notices/", {"q": "批复", "unit": "JB"})) == set()
    assert numbers(client.get("/notices/", {"q": "回执"})) == {jb.number}
    client.force_login(world.p.jb_approver)
    assert numbers(client.get("/notices/", {"q": "批复"})) == set()


@pytest.mark.django_db
def test_a_page_chosen_by_key_is_the_slice_of_the_sorted_list(archive):
    from notices.selectors import by_page, notices_for

    world, *_ = archive
    rows = notices_for(world.p.nj_archivist).order_by("-issued_on", "-pk")
    assert len(rows) == 3
    for a, b in ((0, 2), (1, 3), (2, 3), (0, 10), (3, 5)):
        assert list(by_page(rows)[a:b]) == list(rows[a:b])
    assert by_page(rows).count() == 3 and by_page(rows)[0] == rows[0]
