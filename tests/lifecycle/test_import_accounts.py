"""import_accounts: pre-existing accounts enter the register as active (DESIGN §8)."""

from __future__ import annotations

import datetime

import pytest

from lifecycle.models import Account, AccountState, AccountTransition
from tests.lifecycle.import_files import run, write_csv, write_xlsx

HEADER = (
    "name,platform,platform_id,unit_code,opened_on,followers,posts_total,last_post_on,interaction_enabled"
)
GOOD = [
    ["南京发布", "wechat_official", "njfabu", "NJ", "2013-05-02", "1,200,000", "15000", "2019-06-01", "true"],
    ["南京质监", "weibo", "2730431950", "NJZJ", "2012-03-15", "3500", "800", "2019-05-30", "是"],
    ["兴隆街道", "douyin", "xl_douyin", "JYXL", "", "", "", "", ""],
]


def test_it_imports_csv_as_active_with_metrics(nanjing, tmp_path):
    result = run("import_accounts", str(write_csv(tmp_path / "accounts.csv", HEADER, GOOD)))

    assert result.code == 0, result.err
    assert "新增账号 3 个，更新 0 个" in result.out
    assert result.err_lines == []
    fabu = Account.objects.get(platform_id="njfabu")
    assert fabu.state == AccountState.ACTIVE
    assert (fabu.unit.code, fabu.supervisor_unit.code) == ("NJ", "JS")
    assert (fabu.followers, fabu.posts_total) == (1_200_000, 15000)
    assert (fabu.opened_on, fabu.last_post_on) == (
        datetime.date(2013, 5, 2),
        datetime.date(2019, 6, 1),
    )
    assert Account.objects.get(name="南京质监").interaction_enabled is True
    blank = Account.objects.get(name="兴隆街道")
    assert (blank.followers, blank.last_post_on, blank.interaction_enabled) == (None, None, True)
    # Every account enters with an audit row.
    assert AccountTransition.objects.filter(name="import", to_state="active").count() == 3


def test_it_imports_xlsx_with_typed_cells(nanjing, tmp_path):
    rows = [
        [
            "香山路社区",
            "wechat_official",
            "xsl_sq",
            "JYXLSQ",
            datetime.date(2015, 1, 1),
            120,
            40.0,
            datetime.datetime(2017, 6, 29),
            False,
        ]
    ]
    result = run("import_accounts", str(write_xlsx(tmp_path / "a.xlsx", HEADER, rows)))

    assert result.code == 0, result.err
    account = Account.objects.get(platform_id="xsl_sq")
    assert (account.posts_total, account.last_post_on, account.interaction_enabled) == (
        40,
        datetime.date(2017, 6, 29),
        False,
    )


@pytest.mark.parametrize(
    "word,value", [("false", False), ("0", False), ("no", False), ("否", False), ("YES", True), ("1", True)]
)
def test_it_accepts_every_boolean_spelling(nanjing, tmp_path, word, value):
    rows = [["测试号", "weibo", "t1", "NJ", "", "", "", "", word]]
    result = run("import_accounts", str(write_csv(tmp_path / "b.csv", HEADER, rows)))

    assert result.code == 0, result.err
    assert Account.objects.get(platform_id="t1").interaction_enabled is value


def test_it_warns_about_a_second_account_of_a_unit_on_one_platform(nanjing, tmp_path):
    rows = [
        ["兴隆发布", "wechat_official", "xl_fabu", "JYXL", "", "", "", "", "1"],
        ["兴隆服务", "wechat_official", "xl_fuwu", "JYXL", "", "", "", "", "1"],
    ]
    result = run("import_accounts", str(write_csv(tmp_path / "two.csv", HEADER, rows)))

    assert result.code == 0, result.err
    assert result.err_lines == [
        "row 3: warning: 单位「JYXL」在微信公众号已有账号「兴隆发布」，仍按既有账号导入"
        "（新开设须遵守一个单位同一平台一个账号的规定）。",
    ]
    assert "新增账号 2 个，更新 0 个，警告 1 条" in result.out
    assert Account.objects.filter(unit=nanjing.u.xl, state=AccountState.ACTIVE).count() == 2

    # Against the register too, not only within the file.
    third = [["兴隆政务", "wechat_official", "xl_zw", "JYXL", "", "", "", "", "1"]]
    result = run("import_accounts", str(write_csv(tmp_path / "three.csv", HEADER, third)))
    assert result.code == 0
    assert result.err_lines[0].startswith("row 2: warning: 单位「JYXL」在微信公众号已有账号「兴隆")


def test_it_warns_about_an_internal_unit(nanjing, tmp_path):
    rows = [["兴隆党政办", "weibo", "xlnb", "JYXLNB", "", "", "", "", "1"]]
    result = run("import_accounts", str(write_csv(tmp_path / "nb.csv", HEADER, rows)))

    assert result.code == 0
    assert result.err_lines == [
        "row 2: warning: 单位「JYXLNB」是内设机构，内设机构不得开设账号，请安排关停或整合。"
    ]


def test_it_reports_every_bad_row_and_writes_nothing(nanjing, tmp_path):
    rows = [
        ["好账号", "weibo", "good1", "NJ", "", "", "", "", "1"],  # row 2 ok
        ["", "weibo", "x2", "NJ", "", "", "", "", "1"],  # 3
        ["平台错", "wechat", "x3", "NJ", "", "", "", "", "1"],  # 4
        ["单位错", "weibo", "x4", "NOPE", "", "", "", "", "1"],  # 5
        ["日期错", "weibo", "x5", "NJ", "2019/13/45", "", "", "06-05-2019", "1"],  # 6
        ["数字错", "weibo", "x6", "NJ", "", "-5", "many", "", "1"],  # 7
        ["布尔错", "weibo", "x7", "NJ", "", "", "", "", "maybe"],  # 8
        ["重复号", "weibo", "good1", "NJ", "", "", "", "", "1"],  # 9
        ["将来", "weibo", "x9", "NJ", "2999-01-01", "", "", "", "1"],  # 10
    ]
    result = run("import_accounts", str(write_csv(tmp_path / "bad.csv", HEADER, rows)))

    assert result.code == 1
    lines = result.err_lines
    assert lines[0] == "row 3: name: 此项为必填项。"
    assert lines[1] == (
        "row 4: platform: 「wechat」不是有效的平台，可选：wechat_official|wechat_channels|"
        "mini_program|weibo|douyin|kuaishou|toutiao|baijiahao|xiaohongshu|bilibili|app|quick_app|other。"
    )
    assert lines[2] == "row 5: unit_code: 单位代码「NOPE」不存在。"
    assert lines[3].startswith("row 6: opened_on: 「2019/13/45」不是有效日期")
    assert lines[4].startswith("row 6: last_post_on: 「06-05-2019」不是有效日期")
    assert lines[5] == "row 7: followers: 不能小于 0（当前 -5）"
    assert lines[6] == "row 7: posts_total: 「many」不是整数"
    assert lines[7].startswith("row 8: interaction_enabled: 「maybe」不是有效的是/否值")
    assert lines[8] == "row 9: platform_id: 与第 2 行重复。"
    assert lines[9].startswith("row 10: opened_on: 日期 2999-01-01 晚于")
    assert len(lines) == 10
    assert not Account.objects.exists()
    assert not AccountTransition.objects.exists()


def test_it_rejects_a_platform_id_already_registered(nanjing, tmp_path):
    run("import_accounts", str(write_csv(tmp_path / "a.csv", HEADER, GOOD)))
    result = run("import_accounts", str(write_csv(tmp_path / "b.csv", HEADER, GOOD[:1])))

    assert result.code == 1
    assert result.err_lines == [
        "row 2: platform_id: 微信公众号「njfabu」已登记为账号「南京发布」（运行中）。"
    ]
    assert Account.objects.count() == 3


def test_it_rejects_a_last_post_before_opening(nanjing, tmp_path):
    rows = [["倒序", "weibo", "r1", "NJ", "2019-06-01", "", "", "2019-01-01", "1"]]
    result = run("import_accounts", str(write_csv(tmp_path / "r.csv", HEADER, rows)))

    assert result.err_lines == ["row 2: last_post_on: 最近发文日期不能早于开设日期（2019-06-01）。"]
    assert not Account.objects.exists()


def test_it_refuses_missing_columns(nanjing, tmp_path):
    path = write_csv(tmp_path / "c.csv", "name,platform,unit_code", [["x", "weibo", "NJ"]])
    result = run("import_accounts", str(path))

    assert result.code == 1
    assert (
        "缺少列：platform_id, opened_on, followers, posts_total, last_post_on, "
        "interaction_enabled" in result.err
    )
    assert not Account.objects.exists()


def test_it_refuses_a_wrong_extension(nanjing, tmp_path):
    path = tmp_path / "accounts.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    result = run("import_accounts", str(path))

    assert result.code == 1
    assert "不支持的文件类型：.xls" in result.err
