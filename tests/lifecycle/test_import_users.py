"""import_users: csv|xlsx username,full_name,email,unit_code,roles,password (DESIGN §8)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from lifecycle.models import Membership
from tests.lifecycle.import_files import run, write_csv, write_xlsx

HEADER = "username,full_name,email,unit_code,roles,password"
User = get_user_model()


def memberships(username):
    return sorted(Membership.objects.filter(user__username=username).values_list("unit__code", "role"))


def test_it_imports_csv_with_several_units_per_user(nanjing, tmp_path):
    rows = [
        ["wang", "王填报", "wang@example.cn", "JYXL", "applicant;unit_head", "s3cret-pass"],
        ["wang", "", "", "JYXLSQ", "applicant", ""],
        ["li", "李审核", "", "JY", "approver", ""],
    ]
    result = run("import_users", str(write_csv(tmp_path / "users.csv", HEADER, rows)))

    assert result.code == 0, result.err
    assert "新增用户 2 个，更新 0 个" in result.out
    wang = User.objects.get(username="wang")
    assert (wang.first_name, wang.email) == ("王填报", "wang@example.cn")
    assert wang.check_password("s3cret-pass")
    assert memberships("wang") == [
        ("JYXL", "applicant"),
        ("JYXL", "unit_head"),
        ("JYXLSQ", "applicant"),
    ]
    # Blank password: the account exists but nobody can log in with a password.
    assert not User.objects.get(username="li").has_usable_password()
    assert memberships("li") == [("JY", "approver")]


def test_it_imports_xlsx(nanjing, tmp_path):
    rows = [["zhao", "赵档案", "", "NJ", "archivist；inspector", "s3cret-pass"]]
    result = run("import_users", str(write_xlsx(tmp_path / "users.xlsx", HEADER, rows)))

    assert result.code == 0, result.err
    assert memberships("zhao") == [("NJ", "archivist"), ("NJ", "inspector")]


def test_it_replaces_memberships_of_an_existing_user(nanjing, tmp_path):
    assert memberships("xl_clerk") == [("JYXL", "applicant")]
    rows = [["xl_clerk", "兴隆填报员", "", "JYXLSQ", "applicant", ""]]
    result = run("import_users", str(write_csv(tmp_path / "users.csv", HEADER, rows)))

    assert result.code == 0, result.err
    assert "新增用户 0 个，更新 1 个" in result.out
    assert memberships("xl_clerk") == [("JYXLSQ", "applicant")]
    assert not User.objects.get(username="xl_clerk").has_usable_password()


def test_it_reports_every_bad_row_and_writes_nothing(nanjing, tmp_path):
    users_before = User.objects.count()
    rows = [
        ["ok_user", "好用户", "", "JYXL", "applicant", ""],  # row 2 ok
        ["bad user", "", "", "JYXL", "applicant", ""],  # 3
        ["u3", "", "", "NOPE", "applicant", ""],  # 4
        ["u4", "", "", "JYXL", "applicant;boss", ""],  # 5
        ["u5", "", "not-an-email", "JYXL", "applicant", ""],  # 6
        ["u6", "", "", "", "approver", ""],  # 7
        ["u7", "", "", "JY", "", ""],  # 8
        ["ok_user", "另一个名字", "", "JY", "approver", ""],  # 9
        ["u8", "", "", "JY", "approver", "123"],  # 10
    ]
    result = run("import_users", str(write_csv(tmp_path / "bad.csv", HEADER, rows)))

    assert result.code == 1
    assert result.err_lines[:7] == [
        "row 3: username: 用户名只能包含字母、数字和 @/./+/-/_ 字符。",
        "row 4: unit_code: 单位代码「NOPE」不存在。",
        "row 5: roles: 「boss」不是有效的角色，可选：applicant|unit_head|approver|"
        "supervisor_reviewer|inspector|archivist|admin。",
        "row 6: email: 「not-an-email」不是有效的电子邮箱地址。",
        "row 7: unit_code: 填写了角色时必须填写单位代码。",
        "row 8: roles: 填写了单位代码时必须至少填写一个角色。",
        "row 9: full_name: 同一用户名的各行此项必须一致（第 2 行为另一值）。",
    ]
    # Django's password validators speak for themselves (too short, too common, numeric).
    assert result.err_lines[7].startswith("row 10: password: ")
    assert User.objects.count() == users_before
    assert not User.objects.filter(username="ok_user").exists()


def test_it_refuses_missing_columns(nanjing, tmp_path):
    path = write_csv(tmp_path / "cols.csv", "username,unit_code", [["x", "JY"]])
    result = run("import_users", str(path))

    assert result.code == 1
    assert "缺少列：full_name, email, roles, password" in result.err
    assert not User.objects.filter(username="x").exists()


def test_it_refuses_a_missing_file(tmp_path):
    result = run("import_users", str(tmp_path / "nope.xlsx"))

    assert result.code == 1
    assert "文件不存在" in result.err
