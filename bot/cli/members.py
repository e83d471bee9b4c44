"""``djbot members import --org ID FILE``: a branch roster (.csv or .jsonl).

Columns (CSV header or JSON keys) ``name``, ``telegram_id``, ``wecom_userid``, ``role``
(``member``/党员, ``officer``/党务干部, ``secretary``/书记, ``admin``/管理员; default member). A
member is recognised by either account, so importing the same file twice changes nothing. Any
invalid line stops the import before anything is written, and every problem is listed with its
line number. Exit codes: 0 done; 1 an unknown organization or invalid lines.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli import common

if TYPE_CHECKING:
    from storage.queries.members import RosterEntry


#: Roster column names, with the Chinese headers an office may use.
_COLUMNS = {
    "name": "name",
    "姓名": "name",
    "telegram_id": "telegram_id",
    "telegram": "telegram_id",
    "wecom_userid": "wecom_userid",
    "wecom": "wecom_userid",
    "企业微信": "wecom_userid",
    "userid": "wecom_userid",
    "role": "role",
    "角色": "role",
}


_ROLES = {
    "": "member",
    "member": "member",
    "党员": "member",
    "officer": "officer",
    "党务干部": "officer",
    "组织委员": "officer",
    "宣传委员": "officer",
    "secretary": "secretary",
    "书记": "secretary",
    "支部书记": "secretary",
    "admin": "admin",
    "管理员": "admin",
}


_TELEGRAM_ID = re.compile(r"^\d{1,20}$")


_WECOM_USERID = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")


def parse_roster(text: str, filename: str) -> tuple[list[RosterEntry], list[str]]:
    """Read a roster file's text: ``.csv`` with a header row, else JSON lines.

    Returns the entries and the problems (``第N行：…``, Chinese); entries are only usable when
    there are no problems. Line numbers count the CSV header as line 1.
    """
    from storage.models import Role
    from storage.queries.members import RosterEntry

    rows: list[tuple[int, dict[str, Any]]] = []
    problems: list[str] = []
    if filename.lower().endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
        for number, raw in enumerate(reader, 2):
            rows.append((number, {k.strip().lower(): v for k, v in raw.items() if k}))
    else:
        for number, line in enumerate(text.lstrip("\ufeff").splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"第{number}行：不是有效的 JSON（{exc.msg}）")
                continue
            if not isinstance(item, dict):
                problems.append(f"第{number}行：应为 JSON 对象")
                continue
            rows.append((number, {str(k).strip().lower(): v for k, v in item.items()}))
    entries: list[RosterEntry] = []
    seen: dict[tuple[str, str], int] = {}
    for number, raw in rows:
        row = {
            _COLUMNS[k]: ("" if v is None else str(v).strip())
            for k, v in raw.items()
            if k in _COLUMNS
        }
        name = row.get("name", "")
        telegram_id = row.get("telegram_id", "")
        wecom_userid = row.get("wecom_userid", "")
        role = _ROLES.get(row.get("role", "").lower())
        line_problems = []
        if not 1 <= len(name) <= 100:
            line_problems.append("姓名不能为空（最多100字）")
        if not telegram_id and not wecom_userid:
            line_problems.append("至少需要 telegram_id 或 wecom_userid 之一")
        if telegram_id and not _TELEGRAM_ID.match(telegram_id):
            line_problems.append(f"telegram_id“{telegram_id}”应为数字")
        if wecom_userid and not _WECOM_USERID.match(wecom_userid):
            line_problems.append(f"wecom_userid“{wecom_userid}”无效")
        if role is None:
            line_problems.append(
                f"角色“{row.get('role')}”无效，应为 member、officer、secretary 或 admin"
            )
        for channel, external in (("telegram", telegram_id), ("wecom", wecom_userid)):
            if external and (channel, external) in seen:
                line_problems.append(
                    f"{channel} 账号 {external} 与第{seen[(channel, external)]}行重复"
                )
            elif external:
                seen[(channel, external)] = number
        if line_problems:
            problems.append(f"第{number}行：" + "；".join(line_problems))
            continue
        assert role is not None
        entries.append(RosterEntry(name, telegram_id or None, wecom_userid or None, Role(role)))
    if not rows and not problems:
        problems.append("文件中没有党员")
    return entries, problems


async def _members_import(args: argparse.Namespace) -> int:
    from bot.app import open_app
    from storage.models import Organization
    from storage.queries.members import import_member

    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"无法读取 {path}：{exc}", file=sys.stderr)
        return 1
    entries, problems = parse_roster(text, path.name)
    if problems:
        print(f"{path} 有{len(problems)}处问题，未导入任何党员：", file=sys.stderr)
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    app = await open_app(common.settings())
    outcomes = {"created": 0, "updated": 0, "unchanged": 0}
    try:
        async with app.db.session() as session:
            if await session.get(Organization, args.org) is None:
                print(f"组织 {args.org} 不存在。", file=sys.stderr)
                return 1
            now = datetime.now(UTC)
            for entry in entries:
                outcomes[await import_member(session, args.org, entry, now)] += 1
    except ValueError as exc:
        print(f"未导入任何党员：{exc}", file=sys.stderr)
        return 1
    finally:
        await app.close()
    print(
        f"已导入{len(entries)}名党员：新增{outcomes['created']}人，"
        f"更新{outcomes['updated']}人，无变化{outcomes['unchanged']}人。"
    )
    return 0


def register(sub: Any) -> None:
    """Add ``members``."""
    p = sub.add_parser("members", help="党员名册")
    commands = p.add_subparsers(dest="members_command", required=True)
    c = commands.add_parser("import", help="从 CSV 或 JSONL 导入党员名册")
    c.add_argument("--org", type=int, required=True, help="组织编号")
    c.add_argument("file", help="名册文件（.csv 或 .jsonl）")
    c.set_defaults(func=lambda args: asyncio.run(_members_import(args)))
