"""Issue 14: read-only admin screens of early warnings, posts, content findings,
dictionaries (with their entries and versions) and filings — lists with filters and search
for supervising staff and auditors, scoped to the user's units, with a note and a link to
the web page where edits are made. Nobody adds, changes or deletes here, not even a
superuser: edits would bypass the versioning, the audit rows and the messages."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils import timezone

from approvals.models import Filing
from lifecycle import services as lifecycle
from review import services
from review.models import ContentFinding, Dictionary, DictionaryEntry, EarlyWarning, Post
from tests.approvals.review_helpers import make_account, review_world_fixture  # noqa: F401

pytestmark = pytest.mark.django_db

MODELS = [("review", "earlywarning"), ("review", "post"), ("review", "contentfinding"),
          ("review", "dictionary"), ("review", "dictionaryentry"), ("approvals", "filing")]


@pytest.fixture
def records(review_world):
    """One of each for a 兴隆 (建邺) account and, for scope, for a 江北 account."""
    w = review_world
    today = timezone.localdate()
    dictionary = services.dictionary_create(unit=w.u.nj, name="南京错敏词库", actor=w.p.nj_inspector)
    services.dictionary_entry_add(dictionary=dictionary, kind="wrong_term", term="南京市质监局",
                                  replacement="南京市市场监督管理局", source_note="机构改革方案",
                                  actor=w.p.nj_inspector)
    for account, tag in ((w.xl, "兴隆"), (w.jb, "江北")):
        EarlyWarning.objects.create(account=account, code="NO_UPDATE_14D", crossed_on=today,
                                    line_on=today + datetime.timedelta(days=3), days_left=3,
                                    judged_days=11)
        post = Post.objects.create(account=account, published_at=timezone.now(), title=f"{tag}通知",
                                   text="南京市质监局发布", url=f"https://{tag}.example/1")
        services.posts_content_check(posts=Post.objects.filter(pk=post.pk))
        Filing.objects.create(account=account, kind="opening", system="provincial",
                              event_on=today, due_on=today + datetime.timedelta(days=7))
    return w


@pytest.fixture
def root_client(client, records):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.org", "pw"))
    return client


def _url(app, model, suffix=""):
    return f"/admin/{app}/{model}/{suffix}"


@pytest.mark.parametrize(("app", "model"), MODELS)
def test_a_superuser_reads_but_cannot_add_change_or_delete(root_client, app, model):
    Model = apps.get_model(app, model)
    obj = Model.objects.order_by("pk").first()
    before = list(Model.objects.order_by("pk").values())
    page = root_client.get(_url(app, model))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="read-only-note"' in text and "只读" in text and "/work/" in text
    assert _url(app, model, "add/") not in text  # no add button
    assert root_client.get(_url(app, model, "add/")).status_code == 403
    assert root_client.post(_url(app, model, "add/"), {}).status_code == 403
    view = root_client.get(_url(app, model, f"{obj.pk}/change/"))
    assert view.status_code == 200 and 'data-testid="read-only-note"' in view.content.decode()
    assert 'name="_save"' not in view.content.decode()
    fields = {k: "x" for k in before[0] if k != "id"}
    assert root_client.post(_url(app, model, f"{obj.pk}/change/"), fields).status_code == 403
    assert root_client.post(_url(app, model, f"{obj.pk}/delete/"), {"post": "yes"}).status_code == 403
    bulk = root_client.post(_url(app, model), {"action": "delete_selected", "_selected_action": [obj.pk],
                                               "post": "yes"})
    assert bulk.status_code in (200, 302)
    assert list(Model.objects.order_by("pk").values()) == before  # nothing changed


def test_the_lists_filter_and_search(root_client):
    page = root_client.get(_url("review", "earlywarning") + "?q=兴隆").content.decode()
    assert "兴隆发布" in page and "江北新区发布" not in page
    page = root_client.get(_url("review", "contentfinding") + "?kind__exact=wrong_term").content.decode()
    assert page.count("南京市市场监督管理局") == 2
    page = root_client.get(_url("approvals", "filing") + "?filed_on__isempty=1&q=江北").content.decode()
    assert "江北新区发布" in page and "兴隆发布" not in page
    page = root_client.get(_url("review", "dictionary") + "?q=质监局").content.decode()
    assert "南京错敏词库" in page
    dictionary = Dictionary.objects.get()
    page = root_client.get(_url("review", "dictionary", f"{dictionary.pk}/change/")).content.decode()
    assert "南京市质监局" in page and "机构改革方案" in page  # entries with their versions
    page = root_client.get(_url("review", "post") + "?q=兴隆通知").content.decode()
    assert "兴隆发布" in page and "江北新区发布" not in page


def test_staff_see_only_their_units(client, records):
    """The 建邺 administrator (staff through the admin role) reads 建邺's records, never
    江北's; out of scope is not found."""
    w = records
    admin = lifecycle.user_upsert(username="jy_admin", full_name="建邺管理员", password="pw",
                                  memberships=[(w.u.jy, "admin")])
    client.force_login(admin)
    for app, model in (("review", "earlywarning"), ("review", "post"), ("review", "contentfinding"),
                       ("approvals", "filing")):
        page = client.get(_url(app, model))
        assert page.status_code == 200, model
        text = page.content.decode()
        assert "兴隆发布" in text and "江北新区发布" not in text, model
        other = apps.get_model(app, model).objects.get(account=w.jb)
        response = client.get(_url(app, model, f"{other.pk}/change/"))
        assert response.status_code == 302 and "江北" not in response.content.decode()
    # The province's and city's dictionaries apply to 建邺: readable.
    assert "南京错敏词库" in client.get(_url("review", "dictionary")).content.decode()
    assert client.get(_url("review", "dictionaryentry")).status_code == 200
    assert DictionaryEntry.objects.count() == 1 and ContentFinding.objects.count() == 2
