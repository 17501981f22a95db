"""The notice archive's unit picker in a real browser at desktop and phone width: typing
part of a unit's name lists the matching units the reader may see, the keyboard picks one,
the archive is filtered by it and the field keeps it; a unit whose name holds markup is
listed as text. Screenshots go to var/test-artifacts/archive/ (gitignored); any console
error fails the test."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from lifecycle.models import Unit, UnitKind, UnitLevel
from tests.notices.conftest import issue, world  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(settings.BASE_DIR) / "var" / "test-artifacts" / "archive"


@pytest.mark.parametrize("width", [1366, 390])
def test_pick_a_unit_by_typing_part_of_its_name(live_server, login, world, issue,  # noqa: F811
                                                django_capture_on_commit_callbacks, width):
    with django_capture_on_commit_callbacks(execute=True):
        xl = issue("opening_approval", unit=world.u.nj, account=world.xl_account)
        jb = issue("filing_receipt", unit=world.u.nj, account=world.jb_account)
    Unit.objects.create(code="JYX", name="<b>建邺</b>测试局", level=UnitLevel.TOWNSHIP,
                        kind=UnitKind.DEPARTMENT, parent=world.u.jy)
    page = login("nj_archivist")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/notices/")
    listed = page.locator("[data-testid=notice-list] tbody td a").all_inner_texts()
    assert {xl.number, jb.number} <= set(listed)
    page.fill("#id_unit", "建邺")
    options = page.locator("#id_unit-suggestions [role=option]")
    options.first.wait_for()
    texts = options.all_inner_texts()
    assert len(texts) == 2 and texts[0].startswith("建邺区人民政府办公室") and "JY" in texts[0]
    # The unit named with markup is listed as its text, not as markup.
    assert "<b>建邺</b>测试局" in texts[1]
    assert page.locator("#id_unit-suggestions b").count() == 0
    assert page.get_attribute("#id_unit", "aria-expanded") == "true"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"unit-picker-{width}.png"), full_page=True)
    page.press("#id_unit", "ArrowDown")
    page.press("#id_unit", "Enter")  # picks the marked suggestion; does not submit
    assert page.input_value("#id_unit") == "建邺区人民政府办公室（JY）"
    assert page.locator("#id_unit-suggestions").is_hidden()
    with page.expect_navigation():
        page.click("form.search button[type=submit]")
    numbers = page.locator("[data-testid=notice-list] tbody td a").all_inner_texts()
    assert xl.number in numbers and jb.number not in numbers
    assert page.input_value("#id_unit") == "建邺区人民政府办公室（JY）"
    page.screenshot(path=str(ARTIFACTS / f"unit-filtered-{width}.png"), full_page=True)
    if width <= 600:
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert errors == []
