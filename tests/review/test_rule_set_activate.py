"""Activating a rule set (review.services.rule_set_activate): exactly one stays active,
whether through the service, the admin's 启用 action or the admin's change form, and the
change is logged with the actor (rule sets have no audit table)."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError

from review.models import RuleSet
from review.services import (
    ERR_RULE_SET_ACTIVE,
    ERR_RULE_SET_FORBIDDEN,
    rule_set_activate,
    rule_set_deactivate,
)

pytestmark = pytest.mark.django_db

URL = "/admin/review/ruleset/"


@pytest.fixture
def old():
    return RuleSet.objects.get(active=True)  # the national 2019 set from the migration


@pytest.fixture
def new():
    return RuleSet.objects.create(name="江苏省政务新媒体检查指标", version="2020")


@pytest.fixture
def root(client):
    # root: superuser; may activate rule sets (review.change_ruleset).
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw")
    client.force_login(user)
    return user


def _form(rule_set_name, version, *, active):
    data = {
        "name": rule_set_name,
        "version": version,
        "note": "",
        "params": "{}",
        "indicators-TOTAL_FORMS": "0",
        "indicators-INITIAL_FORMS": "0",
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": "1000",
    }
    if active:
        data["active"] = "on"
    return data


def test_it_activates_one_and_deactivates_the_other(
    root, old, new, caplog, django_capture_on_commit_callbacks
):
    with caplog.at_level(logging.INFO, logger="govmedia.audit"):
        with django_capture_on_commit_callbacks(execute=True):
            rule_set_activate(rule_set=new, actor=root)
    assert new.active
    assert list(RuleSet.objects.filter(active=True)) == [new]
    old.refresh_from_db()
    assert not old.active
    assert [r.getMessage() for r in caplog.records if r.name == "govmedia.audit"] == [
        f"event=rule_set_activated rule_set={new.pk} previous=[{old.pk}] actor={root.pk}"
    ]


def test_it_refuses_a_user_without_the_permission(nanjing, old, new):
    with pytest.raises(PermissionDenied, match=str(ERR_RULE_SET_FORBIDDEN)):
        rule_set_activate(rule_set=new, actor=nanjing.p.jy_approver)
    assert list(RuleSet.objects.filter(active=True)) == [old]


def test_it_refuses_the_rule_set_that_is_already_active(root, old):
    with pytest.raises(ValidationError) as exc:
        rule_set_activate(rule_set=old, actor=root)
    assert exc.value.message_dict == {"active": [str(ERR_RULE_SET_ACTIVE).format(name=old)]}
    assert list(RuleSet.objects.filter(active=True)) == [old]


def test_it_activates_through_the_admin_action(client, root, old, new):
    response = client.post(URL, {"action": "activate", "_selected_action": [new.pk]}, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [f"已启用：{new}"]
    assert list(RuleSet.objects.filter(active=True)) == [new]


def test_it_reports_the_admin_action_on_the_active_set_as_a_message(client, root, old):
    response = client.post(URL, {"action": "activate", "_selected_action": [old.pk]}, follow=True)
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [str(ERR_RULE_SET_ACTIVE).format(name=old)]
    assert list(RuleSet.objects.filter(active=True)) == [old]


def test_it_activates_a_new_rule_set_saved_with_the_box_ticked(client, root, old):
    response = client.post(f"{URL}add/", _form("江苏省指标", "2021", active=True))
    assert response.status_code == 302, response.content.decode()[:2000]
    new = RuleSet.objects.get(name="江苏省指标")
    assert list(RuleSet.objects.filter(active=True)) == [new]
    old.refresh_from_db()
    assert not old.active


def test_it_activates_an_existing_rule_set_through_its_change_form(client, root, old, new):
    response = client.post(f"{URL}{new.pk}/change/", _form(new.name, new.version, active=True))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(RuleSet.objects.filter(active=True)) == [new]


def test_it_deactivates_through_the_change_form(client, root, old):
    response = client.post(f"{URL}{old.pk}/change/", _form(old.name, old.version, active=False))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not RuleSet.objects.filter(active=True).exists()
    with pytest.raises(ValidationError):
        rule_set_deactivate(rule_set=old, actor=root)


def test_it_saves_other_fields_without_touching_the_active_flag(client, root, old, new):
    response = client.post(f"{URL}{new.pk}/change/", _form("改名后的指标", new.version, active=False))
    assert response.status_code == 302, response.content.decode()[:2000]
    new.refresh_from_db()
    assert new.name == "改名后的指标" and not new.active
    assert list(RuleSet.objects.filter(active=True)) == [old]
