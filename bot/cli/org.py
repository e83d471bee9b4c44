"""``djbot org create NAME`` and ``djbot org robot --org ID URL|--off``: organizations (党委,
党总支, 党支部) for the operator.

``org robot`` sets the branch group's WeCom group robot (群机器人: in the group chat, 添加群机器人,
copy its Webhook address): deadline reminders are then also posted into the group, once per
reminder, @-mentioning the members who have recorded nothing. ``--off`` removes it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.cli import common


async def _org_create(args: argparse.Namespace) -> int:
    from bot.app import open_app
    from storage.models import Organization, OrganizationKind
    from storage.queries.organizations import create_organization

    app = await open_app(common.settings())
    try:
        async with app.db.session() as session:
            if args.parent is not None and await session.get(Organization, args.parent) is None:
                print(f"上级组织 {args.parent} 不存在。", file=sys.stderr)
                return 1
            org = await create_organization(
                session,
                args.name,
                datetime.now(UTC),
                kind=OrganizationKind(args.kind),
                parent_id=args.parent,
            )
            print(org.id)
    finally:
        await app.close()
    return 0


def cmd_org(args: argparse.Namespace) -> int:
    return asyncio.run(_org_create(args))


def robot_url(text: str) -> str:
    """A group robot webhook address as given (``https://qyapi.weixin.qq.com/cgi-bin/webhook/
    send?key=...``; another host for a self-hosted gateway), trimmed.

    Raises:
        ValueError: not an http(s) URL with a ``key`` parameter (Chinese message).
    """
    url = text.strip()
    parts = urlsplit(url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or not parse_qs(parts.query).get("key")
    ):
        raise ValueError(
            f"群机器人地址无效：{url[:80]}，应为群机器人的 Webhook 地址，"
            "如 https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"
        )
    if len(url) > 500:
        raise ValueError("群机器人地址过长（最多500个字符）")
    return url


async def _org_robot(args: argparse.Namespace) -> int:
    from bot.app import open_app
    from storage import audit
    from storage.models import Organization

    if args.off == bool(args.url):
        print("请给出群机器人的 Webhook 地址，或用 --off 取消。", file=sys.stderr)
        return 2
    url = None if args.off else robot_url(args.url)
    app = await open_app(common.settings())
    try:
        async with app.db.session() as session:
            org = await session.get(Organization, args.org)
            if org is None:
                print(f"组织 {args.org} 不存在。", file=sys.stderr)
                return 1
            org.wecom_webhook_url = url
            await audit.write(
                session,
                "organization.robot",
                now=datetime.now(UTC),
                organization_id=org.id,
                actor_id=None,
                target=f"organization:{org.id}",
                details={"robot": "off" if url is None else "on"},
                channel="cli",
            )
            name = org.name
    finally:
        await app.close()
    if url is None:
        print(f"已取消“{name}”的群机器人，截止提醒只发给党员本人。")
    else:
        print(f"已设置“{name}”的群机器人：截止提醒也会发到该群，并@尚未登记的党员。")
    return 0


def register(sub: Any) -> None:
    """Add ``org``."""
    p = sub.add_parser("org", help="党组织管理")
    org_sub = p.add_subparsers(dest="org_command", required=True)
    c = org_sub.add_parser("create", help="创建党组织，输出其编号")
    c.add_argument("name")
    c.add_argument("--kind", default="branch", choices=["branch", "general_branch", "committee"])
    c.add_argument("--parent", type=int, help="上级组织编号")
    c.set_defaults(func=cmd_org)
    c = org_sub.add_parser("robot", help="设置党支部群的企业微信群机器人（截止提醒同时发到群里）")
    c.add_argument("--org", type=int, required=True, help="组织编号")
    c.add_argument("url", nargs="?", default="", help="群机器人的 Webhook 地址")
    c.add_argument("--off", action="store_true", help="取消群机器人")
    c.set_defaults(func=lambda args: asyncio.run(_org_robot(args)))
