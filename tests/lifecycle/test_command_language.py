"""Commands speak settings.LANGUAGE_CODE (audit item 9): import_users' password messages
came out in English next to Chinese ones."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.utils import translation

from lifecycle.serializers import UserRowSerializer
from tests.lifecycle.import_files import run, write_csv

pytestmark = pytest.mark.django_db

USER_HEADER = "username,full_name,email,unit_code,roles,password"


def test_import_users_reports_password_rules_in_chinese(nanjing, tmp_path):
    rows = [["zhang", "张三", "", "NJ", "approver", "123"]]
    result = run("import_users", str(write_csv(tmp_path / "p.csv", USER_HEADER, rows)))

    assert result.code == 1
    # issue 12: at least 10 characters, not all digits, three character classes
    assert result.err_lines == [
        "row 2: password: 密码太短，至少需要 10 个字符。",
        "row 2: password: 密码过于常见。",
        "row 2: password: 密码不能全是数字。",
        "row 2: password: 密码须包含大写字母、小写字母、数字、符号中的至少三类。",
    ]


def test_it_speaks_chinese_when_the_caller_activated_english(nanjing, tmp_path):
    rows = [["", "", "", "NJ", "approver", ""]]
    path = write_csv(tmp_path / "p.csv", USER_HEADER, rows)
    with translation.override("en"):
        result = run("import_users", str(path))
        assert translation.get_language() == "en"  # restored afterwards

    assert result.err_lines == ["row 2: username: 此项为必填项。"]
    assert "处错误，未写入任何数据" in result.err


@override_settings(
    AUTH_PASSWORD_VALIDATORS=[
        {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
        {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    ]
)
def test_other_validators_answer_in_chinese_too():
    serializer = UserRowSerializer(
        data={"username": "li", "full_name": "", "email": "", "password": "12345678901"}
    )
    assert not serializer.is_valid()
    assert serializer.errors["password"] == ["密码不能全是数字。"]

    serializer = UserRowSerializer(
        data={"username": "zhangsan", "full_name": "", "email": "", "password": "zhangsan1"}
    )

    assert not serializer.is_valid()
    assert serializer.errors["password"] == ["密码与用户名太相似。"]
