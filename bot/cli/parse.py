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
    if args.json:  # every field with its source span and confidence, so an operator sees why
        print(json.dumps(reading.to_dict(explain=True), ensure_ascii=False, indent=2))
        return 0
    if not reading.records:
        print(f"未识别出活动记录（{reading.intent}）。")
        if reading.unclear is not None:
            print(f"   像是一项活动，可能是：{'、'.join(reading.unclear.candidates)}")
        if reading.request is not None:
            print(f"   是一个请求：{reading.request.kind}")
    for i, r in enumerate(reading.records, 1):
        day = r.when.label if r.when is not None else "未注明"
        people = "未注明"
        if r.participants is not None:
            people = f"{'约' if r.participants_approximate else ''}{r.participants}人"
        elif r.participants_range is not None:
            people = f"{r.participants_range[0]}至{r.participants_range[1]}人（需确认）"
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
    p.add_argument("--json", action="store_true", help="输出 JSON（含每个字段的原文位置和可信度）")
    p.add_argument("--batch", action="store_true", help="从标准输入逐行读取 JSON")
    p.set_defaults(func=cmd_parse)
