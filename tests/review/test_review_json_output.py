"""`review --format json` on a byte stream (a file, a pipe) writes the same document as on a
text stream, byte for byte; the garbage collector is paused only while the items live."""

from __future__ import annotations

import datetime
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



# -- the selector judged row by row, and the document written chunk by chunk -----------------


def _expected(acc, *, found=None):
    """One account's item computed directly by the scoring engine (no shared verdicts)."""
    from review.evaluation import _item, active_rule_set, rules_from_rule_set
    from review.scoring import evaluate

    vetoes, deductions = found or ((), ())
    item = _item(evaluate(
        as_of=AS_OF, last_post_on=acc.last_post_on, opened_on=acc.opened_on,
        interaction_enabled=acc.interaction_enabled, manual_vetoes=vetoes,
        deductions=deductions, rules=rules_from_rule_set(active_rule_set()),
    ))
    item["account"] = {"name": acc.name, "platform": acc.platform,
                       "platform_id": acc.platform_id, "unit_code": acc.unit.code}
    return item


@pytest.fixture
def fair_windows(nanjing):
    """Accounts whose verdicts differ only by the dates the fair window compares, judged
    alike or not: opened after, on and before the last post, no post, no go-live date."""
    cases = {
        "晚开通": dict(last_post_on=days_before(30), opened_on=days_before(5)),
        "晚开通2": dict(last_post_on=days_before(30), opened_on=days_before(20)),
        "同日": dict(last_post_on=days_before(30), opened_on=days_before(30)),
        "早开通": dict(last_post_on=days_before(30), opened_on=days_before(400)),
        "早开通2": dict(last_post_on=days_before(30), opened_on=days_before(500)),
        "无发文新号": dict(last_post_on=None, opened_on=days_before(3)),
        "无发文旧号": dict(last_post_on=None, opened_on=days_before(300)),
        "无发文无日期": dict(last_post_on=None, opened_on=None),
        "无开通日期": dict(last_post_on=days_before(2), opened_on=None),
        "未来开通": dict(last_post_on=None, opened_on=AS_OF + datetime.timedelta(days=4)),
        "无互动": dict(last_post_on=days_before(30), opened_on=days_before(5),
                       interaction_enabled=False),
    }
    made = [account(nanjing.u.jy, name, **kw) for name, kw in cases.items()]
    inspect(made[0], deductions={"UNVERIFIED": 10})
    inspect(made[3], vetoes=("BOUGHT_FOLLOWERS",))
    return made


def test_the_selector_judges_every_account_as_the_scoring_engine_does(fair_windows):
    from review.evaluation import review

    items = review(as_of=AS_OF)
    by_name = {i["account"]["name"]: i for i in items}
    assert len(items) == len(fair_windows)
    manual = {fair_windows[0].name: ((), (("UNVERIFIED", 10),)),
              fair_windows[3].name: (("BOUGHT_FOLLOWERS",), ())}
    for acc in fair_windows:
        assert by_name[acc.name] == _expected(acc, found=manual.get(acc.name)), acc.name
    # Fair window: the later go-live date counts, a future one counts as today.
    assert by_name["晚开通"]["vetoes"] == () and by_name["晚开通"]["score"] == 90
    assert by_name["晚开通2"]["vetoes"] == ("NO_UPDATE_14D",)
    assert by_name["无发文新号"]["vetoes"] == () and by_name["无发文新号"]["days_since_last_post"] is None
    assert by_name["未来开通"]["vetoes"] == () and by_name["未来开通"]["zombie"] is False
    assert by_name["无发文无日期"]["vetoes"] == ("NO_UPDATE_14D",)
    assert by_name["无互动"]["vetoes"] == ("NO_INTERACTION",)


def test_the_document_written_in_chunks_is_the_whole_list_encoded_at_once(fair_windows, monkeypatch):
    import orjson

    from review import evaluation

    whole = orjson.dumps(evaluation.review(as_of=AS_OF)) + b"\n"
    for size in (1, 2, 4, len(fair_windows), 1000):
        monkeypatch.setattr(evaluation, "REVIEW_CHUNK", size)
        assert _on_bytes("utf-8") == whole, size
        assert run(*ARGS).out.encode() == whole, size  # a text stream too
    monkeypatch.setattr(evaluation, "REVIEW_CHUNK", 3)
    sampled = orjson.dumps(evaluation.review(as_of=AS_OF, ratio=0.5, seed=2)) + b"\n"
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", newline="")
    call_command(*ARGS, "--sample", "0.5", "--seed", "2", stdout=stream)
    stream.flush()
    assert raw.getvalue() == sampled and len(json.loads(sampled)) == 6


def test_no_account_in_scope_writes_an_empty_array(nanjing):
    assert _on_bytes("utf-8") == b"[]\n"
    assert run(*ARGS).out == "[]\n"
