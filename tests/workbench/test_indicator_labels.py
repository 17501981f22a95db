"""Indicator codes are shown as their labels, in the reader's language."""

from __future__ import annotations

from django.template import Context, Template
from django.utils import translation


def _render(codes) -> str:
    return Template("{% load workbench_tags %}{{ codes|indicator_labels }}").render(Context({"codes": codes}))


def test_it_shows_a_code_as_its_label():
    with translation.override("zh-hans"):
        assert _render(["NO_UPDATE_14D", "NO_INTERACTION"]) == "监测时间点前2周内无更新、未提供有效互动功能"


def test_it_shows_the_label_in_english():
    with translation.override("en"):
        text = _render(["NO_UPDATE_14D"])
    assert "NO_UPDATE_14D" not in text and "2 weeks" in text


def test_an_unknown_code_stays_readable():
    assert _render(["LOCAL_RULE_1"]) == "LOCAL_RULE_1"
    assert _render([]) == ""


def test_the_campaign_page_uses_the_labels():
    from pathlib import Path

    source = Path("workbench/templates/workbench/review/campaign.html").read_text()
    assert "vetoes|indicator_labels" in source and 'vetoes|join' not in source
