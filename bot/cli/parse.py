"""``djbot parse``: read one message, or JSON lines from standard input (``--batch``), with the
message reader; prints the records (text or JSON). Starts fast: imports only the domain."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from bot.cli import common


def cmd_parse(args: argparse.Namespace) -> int:
    from bot.domain.reader import read_message
    from bot.domain.taxonomy import load_taxonomy

    settings = common.settings()
    taxonomy = load_taxonomy(settings.taxonomy_file)
    if args.batch:
        default_today = common.local_today(settings, args.today)
        out = sys.stdout
        for line_no, line in enumerate(sys.stdin, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                text = str(item["text"])
                today = date.fromisoformat(item["today"]) if item.get("today") else default_today
            except (ValueError, KeyError, TypeError) as exc:
                out.write(
                    json.dumps(
                        {"records": [], "error": f"第{line_no}行无效：{exc}"}, ensure_ascii=False
                    )
                    + "\n"
                )
                continue
            reading = read_message(text, today, taxonomy)
            out.write(
                json.dumps({"records": [r.to_dict() for r in reading.records]}, ensure_ascii=False)
                + "\n"
            )
        return 0
    if not args.text:
        print("请提供要识别的文字，或使用 --batch 从标准输入读取。", file=sys.stderr)
        return 2
    reading = read_message(" ".join(args.text), common.local_today(settings, args.today), taxonomy)
    if args.json:
        print(json.dumps(reading.to_dict(), ensure_ascii=False, indent=2))
        return 0
    if not reading.records:
        print(f"未识别出活动记录（{reading.intent}）。")
    for i, r in enumerate(reading.records, 1):
        day = r.occurred_on.isoformat() if r.occurred_on else "未注明"
        people = f"{r.participants}人" if r.participants is not None else "未注明"
        more = "余" if r.approximate else ""
        status = "计划" if r.status == "planned" else "已开展"
        print(
            f"{i}. {r.activity_type}（{r.category}） 日期：{day} "
            f"次数：{r.count}{more}{r.unit} 人数：{people} 状态：{status} 标题：{r.title}"
        )
        if r.alternatives:
            print(f"   也可能是：{'、'.join(r.alternatives)}")
    return 0


def register(sub: Any) -> None:
    """Add ``parse``."""
    p = sub.add_parser("parse", help="识别一条消息中的活动记录")
    p.add_argument("text", nargs="*")
    p.add_argument("--today", help="今天的日期（YYYY-MM-DD）")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument("--batch", action="store_true", help="从标准输入逐行读取 JSON")
    p.set_defaults(func=cmd_parse)
