"""Posts and content checks: import_posts (CSV/XLSX) and POST /api/posts/ — strict, scoped to
review writers — the dictionaries (versioned, a source note per entry, edited by the
supervising unit), the Aho–Corasick matcher and the link check, candidate evidence on the
inspection sheet (never a veto), and update metrics derived from the posts."""

from __future__ import annotations

import datetime

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from approvals import services as approvals
from approvals.models import AccountProcess
from approvals.selectors import open_tasks
from lifecycle.models import Account, Platform
from review import services
from review.content import Entry, Matcher, link_hits
from review.models import ContentFinding, Dictionary, DictionaryEntry, Inspection, Post
from review.posts import matcher
from tests.approvals.review_helpers import make_account, review_world_fixture  # noqa: F401
from tests.lifecycle.import_files import run, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

HEADER = ["platform", "platform_id", "published_at", "title", "text", "url"]


def _yesterday() -> str:
    return (datetime.date.today() - datetime.timedelta(days=1)).isoformat()


@pytest.fixture
def dictionary(review_world):
    w = review_world
    d = services.dictionary_create(unit=w.u.nj, name="南京错敏词库", actor=w.p.nj_inspector)
    services.dictionary_entry_add(dictionary=d, kind="wrong_term", term="南京市质监局",
                                  replacement="南京市市场监督管理局",
                                  source_note="南京市机构改革方案（2019）", actor=w.p.nj_inspector)
    services.dictionary_entry_add(dictionary=d, kind="forbidden", term="最高级",
                                  source_note="广告法第九条", actor=w.p.nj_inspector)
    return d


def test_the_matcher_finds_terms_with_their_right_form_and_scope():
    entries = [
        Entry(1, "wrong_term", "质监局", "市场质监局", "note", "/1/", "1@v2"),
        Entry(2, "forbidden", "最高级", "", "广告法", "/1/2/", "2@v1"),
    ]
    matcher = Matcher(entries)
    hits = list(matcher.hits("区质监局与市场质监局发布最高级通知", unit_path="/1/2/3/"))
    assert [(h.matched, h.suggestion, h.version) for h in hits] == [
        ("质监局", "市场质监局", "1@v2"), ("最高级", "", "2@v1")]
    # The right form alone is not an error; another subtree's dictionary does not apply.
    assert list(matcher.hits("市场质监局发布", unit_path="/1/2/")) == []
    assert [h.matched for h in matcher.hits("最高级", unit_path="/1/5/")] == []


def test_links_that_are_not_https_or_not_government_are_flagged():
    kinds = [(h.kind, h.matched) for h in link_hits(
        "详见 http://www.nanjing.gov.cn/a.html，及 https://example.com/x 和 https://www.gov.cn/b")]
    assert kinds == [("insecure_link", "http://www.nanjing.gov.cn/a.html"),
                     ("external_link", "https://example.com/x")]


def test_the_link_host_is_judged_without_port_user_or_lookalike_suffix():
    text = ("https://WWW.Nanjing.GOV.CN:8443/a https://www.gov.cn.example.com/b "
            "https://user@evilgov.cn/c https://x.gov.cn@example.com/d https://gov.cn/e")
    assert [h.matched for h in link_hits(text) if h.kind == "external_link"] == [
        "https://www.gov.cn.example.com/b", "https://user@evilgov.cn/c",
        "https://x.gov.cn@example.com/d"]


def test_the_matcher_reports_character_offsets_in_its_context():
    matcher = Matcher([Entry(1, "forbidden", "最高级", "", "广告法", "/1/", "1@v1")])
    (hit,) = matcher.hits("甲" * 40 + "最高级" + "乙" * 40, unit_path="/1/")
    assert hit.excerpt == "…" + "甲" * 30 + "最高级" + "乙" * 30 + "…"
    # The same term twice in a post: one finding, the first occurrence.
    assert len(list(matcher.hits("最高级和最高级", unit_path="/1/"))) == 1


def test_the_matcher_is_built_once_per_set_of_dictionary_versions(review_world, dictionary):
    first = matcher()
    assert matcher() is first  # nothing changed: reused
    services.dictionary_entry_add(dictionary=dictionary, kind="sensitive", term="内部资料",
                                  source_note="保密规定", actor=review_world.p.nj_inspector)
    second = matcher()
    assert second is not first and "内部资料" in second.terms
    assert matcher() is second
    entry = dictionary.entries.get(term="内部资料")
    services.dictionary_entry_remove(entry=entry, actor=review_world.p.nj_inspector)
    assert "内部资料" not in matcher().terms


def test_the_recheck_reads_posts_in_chunks_and_replaces_earlier_findings(review_world, dictionary):
    w = review_world
    moment = timezone.now() - datetime.timedelta(days=1)
    for i in range(8):
        Post.objects.create(account=w.xl, published_at=moment, url=f"https://p/{i}",
                            title="", text=f"第{i}条 南京市质监局发布" if i % 2 else f"第{i}条")
    assert services.posts_content_check(posts=Post.objects.all(), chunk=2) == 4
    assert services.posts_content_check(posts=Post.objects.all(), chunk=3) == 4  # replaced
    assert ContentFinding.objects.filter(kind="wrong_term").count() == 4
    assert services.posts_content_check(posts=Post.objects.filter(url="https://p/1")) == 1
    assert ContentFinding.objects.count() == 4


def test_import_posts_checks_content_and_updates_the_last_post(review_world, dictionary, tmp_path):
    w = review_world
    before = Account.objects.get(pk=w.stale.pk).last_post_on
    path = write_csv(tmp_path / "posts.csv", HEADER, [
        ["douyin", "id-兴隆旧号", f"{_yesterday()} 09:30", "通知", "南京市质监局提醒：详见 http://example.com/x",
         "https://v.douyin.com/1"],
        ["douyin", "id-兴隆旧号", f"{_yesterday()} 10:00", "", "最高级服务", "https://v.douyin.com/2"],
    ])
    result = run("import_posts", str(path))
    assert result.code == 0, result.err
    assert "新增发文 2 条" in result.out
    assert Post.objects.filter(account=w.stale).count() == 2
    kinds = sorted(ContentFinding.objects.filter(account=w.stale).values_list("kind", flat=True))
    assert kinds == ["external_link", "forbidden", "insecure_link", "wrong_term"]
    wrong = ContentFinding.objects.get(kind="wrong_term")
    assert wrong.suggestion == "南京市市场监督管理局" and wrong.source_note.startswith("南京市机构改革")
    assert wrong.dictionary_version == f"{dictionary.pk}@v3"
    account = Account.objects.get(pk=w.stale.pk)
    assert account.last_post_on == datetime.date.fromisoformat(_yesterday()) and account.last_post_on > before
    # Re-importing skips what is stored.
    result = run("import_posts", str(path))
    assert "已存在跳过 2 条" in result.out and Post.objects.count() == 2


def test_import_posts_lists_every_bad_row_and_writes_nothing(review_world, tmp_path):
    future = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    path = write_xlsx(tmp_path / "posts.xlsx", HEADER, [
        ["douyin", "id-兴隆旧号", f"{_yesterday()} 09:30", "好", "正文", "https://v.douyin.com/1"],
        ["douyin", "nobody", f"{_yesterday()} 09:30", "好", "正文", "https://v.douyin.com/2"],
        ["douyin", "id-兴隆旧号", f"{future} 09:30", "好", "正文", "ftp://x"],
        ["douyin", "id-兴隆旧号", "yesterday", "", "", "https://v.douyin.com/1"],
    ])
    result = run("import_posts", str(path))
    assert result.code == 1
    assert "row 3: platform_id: 未找到账号" in result.err
    assert "row 4: published_at:" in result.err and "row 4: url:" in result.err
    assert "row 5: published_at:" in result.err and "row 5: text: 标题和正文不能都为空" in result.err
    assert not Post.objects.exists()


def _api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_the_api_takes_posts_from_review_writers_only(review_world, dictionary):
    w = review_world
    post = {"platform": "douyin", "platform_id": "id-兴隆旧号",
            "published_at": f"{_yesterday()}T08:00:00+08:00",
            "title": "最高级", "text": "", "url": "https://v.douyin.com/9"}
    response = _api(w.p.nj_inspector).post("/api/posts/", post, format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {"rows": 1, "created": 1, "skipped": 0, "findings": 1, "accounts_updated": 1}
    assert Post.objects.get().imported_by == w.p.nj_inspector
    # The account's own unit may not write review inputs: its account is unknown to it.
    response = _api(w.p.xl_clerk).post("/api/posts/", {**post, "url": "https://v.douyin.com/10"},
                                       format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "platform_id"
    response = _api(w.p.nj_inspector).post("/api/posts/", {"rows": [{**post, "url": "x"}]}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "url"
    assert Post.objects.count() == 1


def test_the_supervising_unit_edits_versioned_dictionaries_in_the_web(client, review_world):
    w = review_world
    client.force_login(w.p.nj_inspector)
    response = client.post(reverse("work:dictionaries"), {"unit": "NJ", "name": "机构改革旧称"})
    assert response.status_code == 302
    d = Dictionary.objects.get(name="机构改革旧称")
    url = reverse("work:dictionary", args=[d.pk])
    response = client.post(url, {"kind": "wrong_term", "term": "南京市食药监局", "replacement": ""})
    body = response.content.decode()
    assert response.status_code == 400
    assert 'field-error-replacement' in body and 'field-error-source_note' in body
    assert not DictionaryEntry.objects.exists()
    client.post(url, {"kind": "wrong_term", "term": "南京市食药监局",
                      "replacement": "南京市市场监督管理局", "source_note": "宁委发〔2019〕1号"})
    entry = DictionaryEntry.objects.get()
    assert entry.added_in == 2 and Dictionary.objects.get(pk=d.pk).version == 2
    client.post(url, {"remove": entry.pk})
    entry.refresh_from_db()
    assert entry.removed_in == 3
    page = client.get(url).content.decode()
    assert "v3 移除" in page and "v2 加入" in page and "宁委发〔2019〕1号" in page
    # The account's own unit reads the dictionaries above it but may not edit them.
    client.force_login(w.p.xl_clerk)
    assert client.get(url).status_code == 200
    response = client.post(url, {"kind": "forbidden", "term": "x", "source_note": "y"})
    assert response.status_code == 403
    # A dictionary of another subtree (江北) is out of scope for 兴隆: 404.
    other = services.dictionary_create(unit=w.u.jb, name="江北词库", actor=w.p.nj_inspector)
    assert client.get(reverse("work:dictionary", args=[other.pk])).status_code == 404


def test_findings_are_candidate_evidence_on_the_inspection_sheet_never_a_veto(
    client, review_world, dictionary
):
    w = review_world
    services.posts_import(rows=[(2, {
        "platform": "wechat_official", "platform_id": "id-兴隆发布",
        "published_at": f"{_yesterday()} 09:00", "title": "南京市质监局通知", "text": "正文",
        "url": "https://mp.weixin.qq.com/s/abc"})])
    client.force_login(w.p.nj_inspector)
    with TestCase.captureOnCommitCallbacks(execute=True):
        campaign = approvals.campaign_create(actor=w.p.nj_inspector, period="2026Q4",
                                             kind="quarterly", ratio="1", seed=1, scope_unit=w.u.nj)
    inspection = Inspection.objects.get(campaign=campaign, account=w.xl)
    assert "SERIOUS_ERROR" not in inspection.vetoes
    process = AccountProcess.objects.get(account=w.xl, data__campaign=campaign.pk)
    task = open_tasks(process)[0]
    sheet = client.get(reverse("work:inspection_sheet", args=[task.pk])).content.decode()
    assert "南京市质监局" in sheet and "南京市市场监督管理局" in sheet and "错误表述" in sheet
    assert 'data-testid="post-stats"' in sheet


def test_post_stats_report_gaps_and_days_over_the_limit(review_world):
    from review.posts import post_stats

    w = review_world
    acc = make_account("统计号", w.u.xl, w.u.jy, platform=Platform.BILIBILI)
    start = datetime.date(2026, 1, 1)
    for i, day in enumerate([datetime.date(2026, 1, 1), datetime.date(2026, 1, 21),
                             datetime.date(2026, 1, 25)]):
        Post.objects.create(account=acc, published_at=datetime.datetime(
            day.year, day.month, day.day, 12, tzinfo=datetime.UTC), url=f"https://x/{i}", text="t")
    stats = post_stats(acc, start=start, end=datetime.date(2026, 1, 31))
    assert stats.posts == 3 and stats.last_post_on == datetime.date(2026, 1, 25)
    assert stats.longest_gap == 20
    assert stats.days_over_limit == 5  # 16 … 20 January: more than 14 days after 1 January


def test_post_stats_count_the_gap_before_the_first_known_post(review_world):
    """No post before the window: the gap from the window's start (or the go-live date,
    if later) to the first post counts in the longest gap and the days over the limit alike
    (the demo's inspection sheet: one post on 6 December in a window from 1 October)."""
    from review.posts import post_stats

    w = review_world
    acc = make_account("首发号", w.u.xl, w.u.jy, platform=Platform.BILIBILI,
                       opened_on=datetime.date(2020, 1, 1))
    Post.objects.create(account=acc, published_at=datetime.datetime(2026, 1, 25, 4, tzinfo=datetime.UTC),
                        url="https://x/1", text="t")
    stats = post_stats(acc, start=datetime.date(2026, 1, 1), end=datetime.date(2026, 1, 31))
    assert stats.posts == 1 and stats.longest_gap == 24
    assert stats.days_over_limit == 9  # 16 … 24 January
    Account.objects.filter(pk=acc.pk).update(opened_on=datetime.date(2026, 1, 10))
    acc.refresh_from_db()
    stats = post_stats(acc, start=datetime.date(2026, 1, 1), end=datetime.date(2026, 1, 31))
    assert stats.longest_gap == 15 and stats.days_over_limit == 0  # live from 10 January
