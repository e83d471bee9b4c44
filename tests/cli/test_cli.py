"""The ``djbot`` command line as an operator and a newcomer use it: real processes, a SQLite
file in a temporary directory, no network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import djbot


def test_newcomer_founds_records_and_reports_on_the_console(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "/start",
            "第一党支部",
            "今天上午组织全体党员开展主题党日活动，到场23人",
            "1",
            "昨天召开支委会，研究发展党员工作，出席7人",
            "保存",
            "/report",
        ]
    )
    result = djbot(tmp_path, "run", stdin=script + "\n")
    assert result.returncode == 0, result.stderr
    assert "djbot chat" in result.stderr  # says no channel is configured and what to use
    out = result.stdout
    assert "[1] 保存  [2] 修改  [3] 取消" in out
    assert out.count("已保存1条记录") == 2
    assert "第一党支部" in out and "党建工作总结" in out
    assert "召开支委会1次，参与党员累计7人次" in out
    assert (tmp_path / "data" / "djbot.sqlite3").exists()


def test_chat_with_a_fixed_date_and_report_command(tmp_path: Path) -> None:
    script = "/start\n第二党支部\n昨天开展主题党日，参加21人\n保存\n"
    result = djbot(
        tmp_path, "chat", "--user", "zhang", "--name", "张三", "--today", "2026-04-06", stdin=script
    )
    assert result.returncode == 0, result.stderr
    assert "日期：2026年4月5日" in result.stdout
    report = djbot(
        tmp_path,
        "report",
        "--org",
        "1",
        "--period",
        "2026Q2",
        "--format",
        "md",
        "--today",
        "2026-04-06",
    )
    assert report.returncode == 0, report.stderr
    assert report.stdout.startswith("# 第二党支部2026年第二季度党建工作总结")
    assert "本季度共开展主题党日1次，参与党员累计21人次" in report.stdout
    out = tmp_path / "r.txt"
    written = djbot(tmp_path, "report", "--org", "1", "--period", "2026", "--out", str(out))
    assert written.returncode == 0 and "2026年度党建工作总结" in out.read_text(encoding="utf-8")
    assert djbot(tmp_path, "report", "--org", "99", "--period", "2026").returncode == 1
    bad = djbot(tmp_path, "report", "--org", "1", "--period", "2026Q9")
    assert bad.returncode == 2 and "报告期" in bad.stderr


def test_import_report_files_trace_and_export(tmp_path: Path) -> None:
    assert djbot(tmp_path, "org", "create", "第一党支部").stdout.strip() == "1"
    good = tmp_path / "in.csv"
    good.write_text(
        "occurred_on,activity_type,count,participants,title,reporter\n"
        "2026-10-09,主题党日,1,21,赴纪念馆开展主题党日,张三\n"
        "2026-11-05,支委会,1,7,研究发展党员,李四\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("occurred_on,activity_type\n2026-10-09,主题党日\n2026-13-01,支委会\n")
    rejected = djbot(tmp_path, "import", "--org", "1", str(bad))
    assert rejected.returncode == 1
    assert "第3行：日期“2026-13-01”无法识别" in rejected.stderr
    imported = djbot(tmp_path, "import", "--org", "1", str(good))
    assert imported.returncode == 0, imported.stderr
    assert "已导入2条记录（第一党支部）" in imported.stdout and "张三、李四" in imported.stdout
    assert djbot(tmp_path, "import", "--org", "1", str(good)).returncode == 1  # not twice

    args = ["report", "--org", "1", "--period", "2026Q4", "--today", "2026-12-01"]
    traced = djbot(tmp_path, *args, "--trace")
    assert traced.returncode == 0, traced.stderr
    assert "本季度共开展主题党日1次，参与党员累计21人次" in traced.stdout
    assert "主题党日（次）\t1\t1\t一致\t1" in traced.stdout
    assert "文中数字均有活动记录支持" in traced.stdout
    word = djbot(tmp_path, *args, "--format", "docx")
    path = tmp_path / "第一党支部2026年第四季度党建工作总结.docx"
    assert word.returncode == 0 and str(path) in word.stdout
    assert path.read_bytes()[:2] == b"PK"
    sheet = djbot(tmp_path, *args, "--format", "xlsx", "--out", "ledger.xlsx")
    assert sheet.returncode == 0 and (tmp_path / "ledger.xlsx").stat().st_size > 0

    out = tmp_path / "out.jsonl"
    exported = djbot(tmp_path, "export", "--org", "1", "--period", "2026", str(out))
    assert exported.returncode == 0 and "已导出2条记录" in exported.stdout
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["activity_type"], r["participants"], r["reporter"]) for r in rows] == [
        ("主题党日", 21, "张三"),
        ("支委会", 7, "李四"),
    ]
    assert djbot(tmp_path, "export", "--org", "1", str(tmp_path / "x.pdf")).returncode == 2


def test_database_commands_and_org_create(tmp_path: Path) -> None:
    assert "未初始化" in djbot(tmp_path, "db", "current").stdout
    assert djbot(tmp_path, "db", "upgrade").returncode == 0
    assert "最新" in djbot(tmp_path, "db", "current").stdout
    created = djbot(tmp_path, "org", "create", "市直机关工委", "--kind", "committee")
    assert created.returncode == 0 and created.stdout.strip() == "1"
    child = djbot(tmp_path, "org", "create", "第一党支部", "--parent", "1")
    assert child.stdout.strip() == "2"
    assert djbot(tmp_path, "org", "create", "孤儿支部", "--parent", "42").returncode == 1
    assert djbot(tmp_path, "db", "downgrade", "base").returncode == 0
    assert "未初始化" in djbot(tmp_path, "db", "current").stdout
    assert djbot(tmp_path, "db", "downgrade").returncode == 2


def test_parse_one_message_and_a_batch(tmp_path: Path) -> None:
    one = djbot(
        tmp_path,
        "parse",
        "--today",
        "2023-04-06",
        "--json",
        "上周四召开支部委员会，研究确定2名发展对象",
    )
    assert one.returncode == 0, one.stderr
    [record] = json.loads(one.stdout)["records"]
    assert (record["activity_type"], record["occurred_on"]) == ("支委会", "2023-03-30")
    lines = [
        {"text": "昨天下午组织支部党员到烈士陵园开展主题党日活动，参加21人", "today": "2023-04-06"},
        {"text": "好的", "today": "2023-05-10"},
        {"text": "明天上午召开支委会", "today": "2023-05-10"},
    ]
    stdin = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\nnot json\n"
    batch = djbot(tmp_path, "parse", "--batch", stdin=stdin)
    assert batch.returncode == 0, batch.stderr
    out = [json.loads(line) for line in batch.stdout.splitlines()]
    assert len(out) == 4
    first = out[0]["records"][0]
    assert set(first) >= {
        "activity_type",
        "category",
        "occurred_on",
        "count",
        "unit",
        "participants",
        "title",
        "status",
    }
    assert (first["participants"], first["occurred_on"]) == (21, "2023-04-05")
    assert out[1]["records"] == []
    assert out[2]["records"][0]["status"] == "planned"
    assert out[3]["records"] == [] and "第4行" in out[3]["error"]


def test_a_bad_setting_is_reported_in_chinese(tmp_path: Path) -> None:
    result = djbot(tmp_path, "db", "current", env={"DJBOT_DATABASE_URL": "mysql://x/y"})
    assert result.returncode != 0
    assert "不支持的数据库" in result.stderr


@pytest.mark.parametrize("setting", ["DJBOT_TIMEZONE"])
def test_an_unknown_time_zone_is_refused(tmp_path: Path, setting: str) -> None:
    result = djbot(tmp_path, "db", "current", env={setting: "Mars/Olympus"})
    assert result.returncode != 0


def test_deadlines_on_the_console_show_the_configured_reminder_days(tmp_path: Path) -> None:
    script = "/start\n第一党支部\n/deadlines\n"
    result = djbot(
        tmp_path,
        "chat",
        "--user",
        "zhang",
        "--today",
        "2026-11-20",
        stdin=script,
        env={"DJBOT_REMINDER_OFFSETS": "10,2"},
    )
    assert result.returncode == 0, result.stderr
    assert "截止前10天、2天" in result.stdout
