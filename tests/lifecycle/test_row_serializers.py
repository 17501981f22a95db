"""The row serializers take JSON too (the REST API will reuse them), with Chinese messages."""

from __future__ import annotations

import datetime

from lifecycle.serializers import AccountRowSerializer, UnitRowSerializer, UserRowSerializer


def test_it_takes_json_values(nanjing):
    s = AccountRowSerializer(
        data={
            "name": "南京发布",
            "platform": "微信公众号",
            "platform_id": "njfabu",
            "unit_code": "NJ",
            "opened_on": "2012-11-20",
            "followers": 1200,
            "posts_total": None,
            "last_post_on": datetime.date(2019, 6, 1),
            "interaction_enabled": False,
        }
    )

    assert s.is_valid(), s.errors
    data = s.validated_data
    assert (data["platform"], data["unit_code"], data["followers"]) == (
        "wechat_official",
        nanjing.u.nj,
        1200,
    )
    assert (data["posts_total"], data["interaction_enabled"]) == (None, False)


def test_it_names_the_field_of_each_error(nanjing):
    s = AccountRowSerializer(data={"name": "", "platform": "x", "unit_code": "NJ", "followers": True})

    assert not s.is_valid()
    assert s.errors["name"] == ["此项为必填项。"]
    assert s.errors["platform"][0].startswith("「x」不是有效的平台")
    assert "followers" in s.errors


def test_unit_rows_keep_the_parent_as_a_code(db):
    s = UnitRowSerializer(
        data={"code": "NJ", "name": "南京", "level": "CITY", "kind": "government_office", "parent_code": "JS"}
    )

    assert s.is_valid(), s.errors
    assert (s.validated_data["level"], s.validated_data["parent_code"]) == ("city", "JS")


def test_user_rows_split_roles(nanjing):
    s = UserRowSerializer(
        data={"username": "wang", "unit_code": "JY", "roles": "approver; 检查员 ;approver", "password": ""}
    )

    assert s.is_valid(), s.errors
    assert s.validated_data["roles"] == ["approver", "inspector"]
