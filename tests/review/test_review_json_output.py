"""`review --format json` on a byte stream (a file, a pipe) writes the same document as on a
text stream, byte for byte; the garbage collector is paused only while the items live."""

from __future__ import annotations

import gc
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from review.evaluation import gc_paused
from review.models import RuleSet
from tests.review.helpers import AS_OF, account, days_before, inspect, run

pytestmark = pytest.mark.django_db

ARGS = ("review", "--as-of", AS_OF.isoformat(), "--format", "json")


@pytest.fixture
def accounts(nanjing):
    # Names a JSON encoder has to escape, CJK and beyond the Basic Multilingual Plane.
    account(nanjing.u.xl, '兴隆"发布"\\', platform="weibo", platform_id="xl\tfb", last_post_on=days_before(3))
    account(nanjing.u.sq, "社区之声𠀀\n", last_post_on=None, interaction_enabled=False)
    late = account(
        nanjing.u.jy, "建邺新号", last_post_on=days_before(30), opened_on=days_before(5)
    )
    inspect(late, deductions={"UNVERIFIED": 10})
    inspect(account(nanjing.u.jy, "买粉号"), vetoes=("BOUGHT_FOLLOWERS",))


def _on_bytes(encoding: str) -> bytes:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding=encoding, newline="")
    call_command(*ARGS, stdout=stream)
    stream.flush()
    return raw.getvalue()


def test_a_utf8_byte_stream_gets_the_text_streams_document_byte_for_byte(accounts):
    text = run(*ARGS)
    assert text.code == 0
    assert _on_bytes("utf-8") == text.out.encode("utf-8")
    assert text.out.endswith("]\n") and text.out.count("\n") == 1  # one compact line
    items = json.loads(text.out)
    assert [i["account"]["name"] for i in items] == [
        "买粉号", "建邺新号", '兴隆"发布"\\', "社区之声𠀀\n",  # by unit code: JY, JY, JYXL, JYXLSQ
    ]
    assert items[0]["vetoes"] == ["BOUGHT_FOLLOWERS"] and items[0]["score"] is None
    # Fair window: live for 5 days, so the 30 days without a post are not held against it.
    assert items[1]["vetoes"] == [] and items[1]["score"] == 90
    assert items[1]["days_since_last_post"] == 30
    assert items[1]["deductions"] == [{"code": "UNVERIFIED", "points": 10}]
    assert items[2]["account"]["platform_id"] == "xl\tfb"
    assert items[3]["vetoes"] == ["NO_UPDATE_14D", "NO_INTERACTION"]


def test_another_encoding_gets_the_same_document_in_that_encoding(accounts):
    text = run(*ARGS).out
    assert _on_bytes("gb18030") == text.encode("gb18030")


def test_the_garbage_collector_is_running_again_afterwards(accounts):
    assert gc.isenabled()
    assert run(*ARGS).code == 0
    assert gc.isenabled()
    RuleSet.objects.update(active=False)
    with pytest.raises(CommandError):
        call_command(*ARGS, stdout=io.StringIO())
    assert gc.isenabled()


def test_gc_paused_restores_the_state_it_found_also_after_an_error():
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner pause leaves the outer one in place
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()

