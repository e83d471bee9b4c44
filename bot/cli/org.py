"""``djbot org create NAME``: organizations (党委, 党总支, 党支部) for the operator."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from typing import Any

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


def register(sub: Any) -> None:
    """Add ``org``."""
    p = sub.add_parser("org", help="党组织管理")
    org_sub = p.add_subparsers(dest="org_command", required=True)
    c = org_sub.add_parser("create", help="创建党组织，输出其编号")
    c.add_argument("name")
    c.add_argument("--kind", default="branch", choices=["branch", "general_branch", "committee"])
    c.add_argument("--parent", type=int, help="上级组织编号")
    c.set_defaults(func=cmd_org)
