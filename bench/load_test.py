"""Load test on PostgreSQL: a province-like tree of organizations, members and two years of
activity records, then year-report latency, reminder-sweep throughput, memory per process and
database size. Figures for the "Scale notes" of ``docs/deploy.md``.

Usage (from the repository root; PostgreSQL with trust auth on 127.0.0.1)::

    .venv/bin/python bench/load_test.py                    # 50,000 members, 1,000,000 records
    .venv/bin/python bench/load_test.py --members 5000 --records 100000 --branches 250  # quick
    .venv/bin/python bench/load_test.py --skip-generate    # measure the existing database
    .venv/bin/python bench/load_test.py --skip-generate --only sweep   # one part again
    .venv/bin/python bench/load_test.py --drop             # drop the database at the end

What it builds (``--database-url``, default database ``djbot_load``, dropped and re-created
unless ``--skip-generate``): the schema by the project's migrations (``storage.migrate.upgrade``),
then with ``COPY`` (asyncpg ``copy_records_to_table``):

* 1 province committee -> ``--cities`` city committees -> ``--branches`` branches (spread
  evenly over the cities); every committee has one admin who belongs to it only;
* ``--members`` members over the branches (sizes vary, lognormal), one Telegram identity each,
  one ``member`` role; each branch's first member is its secretary, the second an officer;
* ``--records`` activity records dated 2025-01-01..2026-12-31 (weekdays preferred), inserted in
  the order they would have been created (so a branch's records are scattered over the table as
  in production), with a type mix weighted like a branch's real year (党小组会, 集中学习,
  谈心谈话, 主题党日, 支委会... every type of ``bot.domain.taxonomy.load_taxonomy``), head counts,
  titles,
  message text, 2% planned, 1% soft-deleted, 8% imported; branches differ in how much they
  record; committees hold 1% of the records. Each chat-made record also has its
  ``record.create`` audit entry (``--no-audit`` leaves them out);
* then ``VACUUM ANALYZE``.

What it measures (``--only`` picks some):

* ``report``: the 2026 year report (``assemble_report`` + text render, and the Word file via
  ``ReportTemplates.render_docx``) for one branch (of median size), one city committee and the
  province. Each sample is a new process (``--cold-runs`` of them): its first report is "cold"
  (new connection, templates compiled, python-docx imported on first use; the database's buffer
  cache is *not* cleared), the following ones "warm" (up to ``--reps`` per process within
  ``--budget`` seconds). One warm run is split into its queries. Also the peak RSS of each
  process.
* ``cli``: ``python -m bot.cli report --org ID --period 2026 --format text|docx`` end to end under
  ``/usr/bin/time -v`` (wall time, peak RSS), as a user runs it.
* ``sweep``: the reminder sweep (``bot.reminders.sweep.Sweep``) in a separate process, three
  year-end reminder days of 2026 (7, 3 and 1 days before 31 December): (1) 2026-12-24 with a
  sender that does nothing and no pacing: the database side alone (plan, queue, claim, build,
  finish); (2) 2026-12-28 against the fake Bot API (``tests/fakes/telegram_api.py``, served by this
  process on 127.0.0.1) through the real python-telegram-bot sender, pacing off; (3) 2026-12-30
  with the real Telegram pacing (28.5/s, 1/s per chat) for ``--paced-seconds`` seconds, then
  stopped (the rest stays pending). The send log is emptied first.
* ``run``: ``djbot run`` against the fake Bot API (reminders off): RSS once started, then a city
  admin sends ``/report 2026`` and, 0.3 s later, a member sends ``/help``: time to each answer and
  the RSS after.
* ``backup``: ``djbot backup`` (the portable dump), then ``djbot restore`` of it into a new
  empty database ``<name>_restore`` (dropped afterwards; ``--skip-restore``), each under
  ``/usr/bin/time -v``.
* ``size``: ``pg_total_relation_size`` per table (heap, indexes, TOAST) and row counts.

Prints Markdown tables; ``--json FILE`` also writes every figure. Bounded: every loop has a
count or a time limit, child processes have timeouts. Results go to ``bench/RESULTS.md`` and
``docs/deploy.md`` by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from common import ROOT, machine_facts  # first: puts the repository on sys.path

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/djbot_load"
TOKEN = "424242:LOAD-test"
FIRST_UID = 300_000_000  # Telegram user id of member 1 (member id i -> FIRST_UID + i - 1)
YEAR = 2026
REPORT_TODAY = date(2026, 12, 31)
FIRST_DAY = date(2025, 1, 1)
LAST_DAY = date(2026, 12, 31)
SWEEP_DAYS = {
    "db": "2026-12-24T09:00:00+08:00",
    "telegram": "2026-12-28T09:00:00+08:00",
    "paced": "2026-12-30T09:00:00+08:00",
}
PARTS = ("report", "cli", "sweep", "run", "backup", "size")

#: Relative frequency of each type in a branch's year (about 200 records at the default
#: scale); types of the taxonomy missing here get weight 1.
TYPE_WEIGHTS = {
    "党小组会": 36,
    "集中学习": 24,
    "谈心谈话": 24,
    "志愿服务": 16,
    "主题党日": 12,
    "支委会": 12,
    "第一议题学习": 12,
    "为民办实事": 10,
    "读书活动": 6,
    "党课": 5,
    "支部党员大会": 5,
    "宣讲活动": 4,
    "调查研究": 4,
    "廉政提醒": 4,
    "党务培训": 3,
    "结对共建": 3,
    "警示教育": 3,
    "廉政谈话": 3,
    "廉政党课": 2,
    "意识形态研判": 2,
    "主题教育": 2,
    "发展党员": 1.5,
    "组织生活会": 1,
    "民主评议党员": 1,
    "廉政承诺": 1,
    "家风助廉": 1,
    "中心组学习": 1,
    "党组会议": 0.5,
    "民主生活会": 0.5,
}
#: What committees themselves record.
COMMITTEE_TYPES = ("中心组学习", "党组会议", "第一议题学习", "调查研究", "党务培训", "警示教育")
CITY_NAMES = ("东湖", "西山", "南江", "北原", "清河", "云台", "金川", "临海", "安平", "长宁")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌辉鹏宇浩凯婷雪"
    "琳晨阳欣然佳怡子涵思雨梓轩博文海波春梅红霞晓东新民立新卫东"
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def asyncpg_dsn(url: str) -> str:
    return re.sub(r"^postgresql\+asyncpg://", "postgresql://", url)


def sqlalchemy_url(url: str) -> str:
    from bot.settings import async_database_url

    return async_database_url(url)


# --- machine ---------------------------------------------------------------------------------


def source_state() -> str:
    """The commit measured and any uncommitted changes to tracked code (read-only git)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.split("\n")
    except OSError:
        return "?"
    files = [line[3:] for line in changed if line.strip()]
    return f"{head}" + (f" + uncommitted changes in {', '.join(files)}" if files else "")


def machine() -> dict[str, str]:
    return machine_facts() | {"os": platform.platform()}


# --- generation ------------------------------------------------------------------------------


@dataclass(slots=True)
class Tree:
    """What was generated, enough to pick the organizations and members the tests use."""

    province: int
    cities: list[int]
    branches: list[int]  # organization ids
    branch_city: dict[int, int]
    first_member: dict[int, int]  # branch id -> its first member id (the secretary)
    size: dict[int, int]  # branch id -> members
    admins: dict[int, int]  # committee id -> its admin's member id
    members: int  # all members, admins included
    records: int = 0
    audit: int = 0
    timings: dict[str, float] = field(default_factory=dict)


def _name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def _split(total: int, weights: Sequence[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainders), summing exactly."""
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(r) for r in raw]
    rest = total - sum(out)
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)[:rest]:
        out[i] += 1
    return out


async def create_database(url: str) -> None:
    import asyncpg

    dsn = asyncpg_dsn(url)
    base, _, name = dsn.rpartition("/")
    name = name.split("?")[0]
    conn = await asyncpg.connect(f"{base}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def drop_database(url: str) -> None:
    import asyncpg

    dsn = asyncpg_dsn(url)
    base, _, name = dsn.rpartition("/")
    conn = await asyncpg.connect(f"{base}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name.split("?")[0]}" WITH (FORCE)')
    finally:
        await conn.close()


def record_rows(tree: Tree, n_records: int, seed: int) -> Iterator[list[tuple[Any, ...]]]:
    """Chunks of 50,000 activity-record rows in creation order, as COPY tuples in
    :data:`RECORD_COLUMNS` order (ids from 1)."""
    from bot.domain.taxonomy import load_taxonomy

    rng = random.Random(seed)
    taxonomy = load_taxonomy()
    types = list(taxonomy.types)
    weights = [TYPE_WEIGHTS.get(t.name, 1.0) for t in types]
    cum = []
    acc = 0.0
    for w in weights:
        acc += w
        cum.append(acc)
    committee_types = [i for i, t in enumerate(types) if t.name in COMMITTEE_TYPES]
    committees = [tree.province, *tree.cities]
    # who records how much: branch size x how diligent the branch is
    activity = [tree.size[b] * rng.lognormvariate(0, 0.6) for b in tree.branches]
    committee_share = max(len(committees), n_records // 100)
    per_branch = _split(n_records - committee_share, activity)
    per_committee = _split(committee_share, [1.0] * len(committees))
    days = (LAST_DAY - FIRST_DAY).days + 1
    # compact (created_key, org, type index, day offset) first, sorted by creation time
    compact: list[tuple[float, int, int, int]] = []
    for orgs, counts, pool in (
        (tree.branches, per_branch, None),
        (committees, per_committee, committee_types),
    ):
        for org, n in zip(orgs, counts, strict=True):
            if pool is None:
                picked = rng.choices(range(len(types)), cum_weights=cum, k=n)
            else:
                picked = [rng.choice(pool) for _ in range(n)]
            for t in picked:
                day = rng.randrange(days)
                if (FIRST_DAY + timedelta(days=day)).weekday() >= 5 and rng.random() < 0.7:
                    day = rng.randrange(days)  # most activities fall on working days
                delay = rng.choice((0, 0, 0, 0, 1, 1, 2, 3, 5)) + rng.random()
                compact.append((day + delay, org, t, day))
    compact.sort()

    def chunks() -> Iterator[list[tuple[Any, ...]]]:
        chunk: list[tuple[Any, ...]] = []
        for i, (created_key, org, t_index, day) in enumerate(compact, 1):
            t = types[t_index]
            occurred = FIRST_DAY + timedelta(days=day)
            created = datetime(2025, 1, 1, 1, 0) + timedelta(days=created_key)
            if org in tree.first_member:
                first, size = tree.first_member[org], tree.size[org]
                roll = rng.random()
                if roll < 0.6 or size < 3:
                    reporter = first
                elif roll < 0.85:
                    reporter = first + 1
                else:
                    reporter = first + rng.randrange(size)
                people = size
            else:
                reporter = tree.admins[org]
                people = 40
            imported = rng.random() < 0.08
            planned = rng.random() < 0.02
            count = 1
            if t.name in ("发展党员", "为民办实事"):
                count = rng.choice((1, 1, 2, 3))
            participants: int | None
            if t.name in ("谈心谈话", "廉政谈话"):
                participants = None if rng.random() < 0.6 else 2
            elif rng.random() < 0.25:
                participants = None
            else:
                participants = max(2, int(people * rng.uniform(0.55, 1.0)))
            title = f"{occurred.month}月{t.name}" if rng.random() < 0.85 else ""
            said = f"，到场{participants}人" if participants else ""
            text = f"{occurred.month}月{occurred.day}日组织支部党员开展{t.name}活动{said}"
            deleted = created + timedelta(days=10) if rng.random() < 0.01 else None
            chunk.append(
                (
                    i,
                    org,
                    reporter,
                    t.name,
                    t.category,
                    occurred,
                    count,
                    rng.random() < 0.01,
                    t.unit,
                    participants,
                    title,
                    text,
                    "planned" if planned else "done",
                    "import" if imported else "telegram",
                    None if imported else f"{FIRST_UID + reporter - 1}:{i}",
                    created,
                    deleted or created,
                    deleted,
                )
            )
            if len(chunk) >= 50_000:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    return chunks()


RECORD_COLUMNS = [
    "id",
    "organization_id",
    "reporter_id",
    "activity_type",
    "category",
    "occurred_on",
    "count",
    "approximate",
    "unit",
    "participants",
    "title",
    "raw_text",
    "status",
    "source_channel",
    "source_message_id",
    "created_at",
    "updated_at",
    "deleted_at",
]


async def generate(args: argparse.Namespace) -> Tree:
    import asyncpg

    from storage import migrate
    from storage.database import Database

    rng = random.Random(args.seed)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    await create_database(args.database_url)
    db = Database(sqlalchemy_url(args.database_url))
    await migrate.upgrade(db)
    await db.dispose()
    timings["create + migrate"] = time.perf_counter() - t0

    # organizations
    created = datetime(2024, 12, 1, 1, 0)
    province = 1
    cities = list(range(2, 2 + args.cities))
    branches = list(range(2 + args.cities, 2 + args.cities + args.branches))
    branch_city = {b: cities[i * args.cities // args.branches] for i, b in enumerate(branches)}
    city_name = {
        c: f"{CITY_NAMES[i % len(CITY_NAMES)]}{'' if i < 10 else i}" for i, c in enumerate(cities)
    }
    numbering: dict[int, int] = {}
    orgs: list[tuple[Any, ...]] = [(province, "示范省委", "committee", None, None, created)]
    orgs += [(c, f"{city_name[c]}市委", "committee", province, None, created) for c in cities]
    for b in branches:
        c = branch_city[b]
        numbering[c] = numbering.get(c, 0) + 1
        orgs.append((b, f"{city_name[c]}市第{numbering[c]}党支部", "branch", c, None, created))

    # members: branch sizes vary; committee admins belong to their committee only
    sizes = _split(args.members, [rng.lognormvariate(0, 0.5) for _ in branches])
    for i, s in enumerate(sizes):  # at least 3 per branch (secretary, officer, member)
        if s < 3:
            j = max(range(len(sizes)), key=sizes.__getitem__)
            sizes[j] -= 3 - s
            sizes[i] = 3
    size = dict(zip(branches, sizes, strict=True))
    first_member: dict[int, int] = {}
    members: list[tuple[Any, ...]] = []
    roles: list[tuple[Any, ...]] = []
    next_id = 1
    for b in branches:
        first_member[b] = next_id
        for k in range(size[b]):
            role = "secretary" if k == 0 else "officer" if k == 1 else "member"
            members.append((next_id, _name(rng), created, True))
            roles.append((next_id, next_id, b, role, created))
            next_id += 1
    admins: dict[int, int] = {}
    for committee in [province, *cities]:
        admins[committee] = next_id
        members.append((next_id, _name(rng), created, True))
        roles.append((next_id, next_id, committee, "admin", created))
        next_id += 1
    identities = [
        (m[0], "telegram", str(FIRST_UID + m[0] - 1), str(FIRST_UID + m[0] - 1), m[0], created)
        for m in members
    ]
    tree = Tree(province, cities, branches, branch_city, first_member, size, admins, len(members))

    conn = await asyncpg.connect(asyncpg_dsn(args.database_url))
    try:
        t0 = time.perf_counter()
        await conn.copy_records_to_table(
            "organizations",
            records=orgs,
            columns=["id", "name", "kind", "parent_id", "wecom_webhook_url", "created_at"],
        )
        await conn.copy_records_to_table(
            "members", records=members, columns=["id", "name", "created_at", "reminders_enabled"]
        )
        await conn.copy_records_to_table(
            "chat_identities",
            records=identities,
            columns=["id", "channel", "external_id", "chat_id", "member_id", "created_at"],
        )
        await conn.copy_records_to_table(
            "memberships",
            records=roles,
            columns=["id", "member_id", "organization_id", "role", "created_at"],
        )
        timings["organizations, members, identities, roles"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        chunks = record_rows(tree, args.records, args.seed + 1)
        timings["records: plan and sort (Python)"] = time.perf_counter() - t0
        copy_time = 0.0
        audit_time = 0.0
        build_time = 0.0
        n_audit = 0
        t_build = time.perf_counter()
        for chunk in chunks:
            build_time += time.perf_counter() - t_build
            t1 = time.perf_counter()
            await conn.copy_records_to_table(
                "activity_records", records=chunk, columns=RECORD_COLUMNS
            )
            copy_time += time.perf_counter() - t1
            tree.records += len(chunk)
            if not args.no_audit:
                t1 = time.perf_counter()
                entries = [
                    (
                        r[0],
                        r[1],
                        r[2],
                        "record.create",
                        f"activity_record:{r[0]}",
                        json.dumps(
                            {
                                "activity_type": r[3],
                                "occurred_on": r[5].isoformat(),
                                "count": r[6],
                                "participants": r[9],
                            },
                            ensure_ascii=False,
                        ),
                        "telegram",
                        r[15],
                    )
                    for r in chunk
                    if r[13] == "telegram"
                ]
                build_time += time.perf_counter() - t1
                t1 = time.perf_counter()
                await conn.copy_records_to_table(
                    "audit_entries",
                    records=entries,
                    columns=[
                        "id",
                        "organization_id",
                        "actor_id",
                        "action",
                        "target",
                        "details",
                        "channel",
                        "created_at",
                    ],
                )
                audit_time += time.perf_counter() - t1
                n_audit += len(entries)
            log(f"  {tree.records:,} records")
            t_build = time.perf_counter()
        tree.audit = n_audit
        timings["records: build rows (Python)"] = build_time
        timings["records: COPY"] = copy_time
        if not args.no_audit:
            timings["audit entries: COPY"] = audit_time
        for table in (
            "organizations",
            "members",
            "chat_identities",
            "memberships",
            "activity_records",
            "audit_entries",
        ):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
        t0 = time.perf_counter()
        await conn.execute("VACUUM ANALYZE")
        timings["VACUUM ANALYZE"] = time.perf_counter() - t0
    finally:
        await conn.close()
    tree.timings = timings
    return tree


async def load_tree(url: str) -> Tree:
    """Read the tree of an existing load-test database."""
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        orgs = await conn.fetch("SELECT id, kind, parent_id FROM organizations ORDER BY id")
        roles = await conn.fetch(
            "SELECT member_id, organization_id, role FROM memberships ORDER BY member_id"
        )
        records = await conn.fetchval("SELECT count(*) FROM activity_records")
        audit = await conn.fetchval("SELECT count(*) FROM audit_entries")
        members = await conn.fetchval("SELECT count(*) FROM members")
    finally:
        await conn.close()
    province = next(o["id"] for o in orgs if o["parent_id"] is None)
    cities = [o["id"] for o in orgs if o["parent_id"] == province]
    branches = [o["id"] for o in orgs if o["kind"] == "branch"]
    branch_city = {o["id"]: o["parent_id"] for o in orgs if o["kind"] == "branch"}
    first_member: dict[int, int] = {}
    size: dict[int, int] = {}
    admins: dict[int, int] = {}
    for r in roles:
        if r["role"] == "admin":
            admins[r["organization_id"]] = r["member_id"]
        else:
            org = r["organization_id"]
            first_member[org] = min(first_member.get(org, r["member_id"]), r["member_id"])
            size[org] = size.get(org, 0) + 1
    return Tree(
        province, cities, branches, branch_city, first_member, size, admins, members, records, audit
    )


# --- child: one report process ----------------------------------------------------------------


async def child_report(args: argparse.Namespace) -> None:
    """Reports for one organization in this (new) process; prints one JSON line."""
    t_import = time.perf_counter()
    from bot.domain.periods import year
    from bot.domain.taxonomy import load_taxonomy
    from bot.reports.assembly import (
        NOTABLE_PER_TYPE,
        assemble_report,
        build_draft,
        notable_floors,
        plan_window,
    )
    from bot.reports.draft import PLANNED_SHOWN
    from bot.reports.rendering import ReportTemplates
    from storage.database import Database
    from storage.models import Organization
    from storage.queries.organizations import organization_tree_ids, organizations_by_id
    from storage.queries.reporting import monthly_totals, notable_records, planned_records

    imported = time.perf_counter() - t_import
    db = Database(sqlalchemy_url(args.database_url))
    taxonomy = load_taxonomy()
    templates = ReportTemplates()
    period = year(YEAR)
    runs: list[dict[str, float]] = []
    facts: dict[str, Any] = {}
    started = time.perf_counter()
    for i in range(args.reps):
        t0 = time.perf_counter()
        async with db.session() as session:
            org = await session.get(Organization, args.org)
            assert org is not None
            draft = await assemble_report(session, org, period, REPORT_TODAY, taxonomy)
        t1 = time.perf_counter()
        text = templates.render(draft, "text")
        t2 = time.perf_counter()
        docx = templates.render_docx(draft)
        t3 = time.perf_counter()
        runs.append({"assemble": t1 - t0, "text": t2 - t1, "docx": t3 - t2})
        if i == 0:
            facts = {
                "name": draft.organization_name,
                "organizations": len(draft.organization_ids),
                "records": draft.total_records,
                "text_chars": len(text),
                "docx_bytes": len(docx),
                "branch_rows": len(draft.branches),
            }
        if i >= 1 and time.perf_counter() - started > args.budget:
            break
    # one more warm run, split into its steps (the same calls as assemble_report)
    split: dict[str, float] = {}
    if args.split:
        async with db.session() as session:
            t = time.perf_counter()
            org = await session.get(Organization, args.org)
            assert org is not None
            ids = await organization_tree_ids(session, org.id)
            organizations = await organizations_by_id(session, ids)
            split["tree + organizations"] = time.perf_counter() - t
            t = time.perf_counter()
            months = await monthly_totals(session, ids, period.start, period.end)
            split["monthly_totals (SQL + rows)"] = time.perf_counter() - t
            t = time.perf_counter()
            notable = await notable_records(
                session, ids, period.start, period.end, NOTABLE_PER_TYPE, notable_floors(months)
            )
            split["notable_records"] = time.perf_counter() - t
            t = time.perf_counter()
            plan_from, plan_until = plan_window(period, REPORT_TODAY)
            planned, planned_total = await planned_records(
                session, ids, plan_from, plan_until, PLANNED_SHOWN
            )
            split["planned_records"] = time.perf_counter() - t
        t = time.perf_counter()
        draft = build_draft(
            org,
            ids,
            organizations,
            period,
            REPORT_TODAY,
            months,
            notable,
            planned,
            planned_total,
            taxonomy,
        )
        split["build_draft (Python)"] = time.perf_counter() - t
        t = time.perf_counter()
        templates.render(draft, "text")
        split["render text"] = time.perf_counter() - t
        t = time.perf_counter()
        templates.render_docx(draft)
        split["render_docx"] = time.perf_counter() - t
        facts["month_rows"] = len(months)
    await db.dispose()
    print(
        json.dumps(
            {
                "import": imported,
                "runs": runs,
                "split": split,
                "facts": facts,
                "maxrss_kb": peak_rss_kb(),
                "cpu": time.process_time(),
            },
            ensure_ascii=False,
        ),
        flush=True,
    )


# --- child: one sweep process ------------------------------------------------------------------


class NullSender:
    """A sender that delivers nothing, instantly: the sweep's database side alone."""

    async def send(self, address: Any, reply: Any) -> None:
        return None


async def child_sweep(args: argparse.Namespace) -> None:
    """One sweep at ``args.now`` in this process; prints one JSON line."""
    from sqlalchemy import event

    from bot.app import open_app, open_senders
    from bot.cli.reminders import parse_instant
    from bot.domain.workdays import WorkdayCalendar
    from bot.messages import CHANNEL_TELEGRAM
    from bot.reminders.config import ReminderConfig
    from bot.reminders.pacing import Pacer
    from bot.reminders.sweep import Sweep
    from bot.settings import Settings

    settings = Settings(
        database_url=args.database_url,
        telegram_token=TOKEN if args.base_url else "",
        telegram_base_url=args.base_url or "https://api.telegram.org/bot",
        auto_migrate=False,
        reminder_concurrency=args.concurrency,
    )
    config = ReminderConfig.from_settings(settings)
    app = await open_app(settings, migrate_now=False)
    statements = 0

    def count(*_: Any) -> None:
        nonlocal statements
        statements += 1

    event.listen(app.db.engine.sync_engine, "before_cursor_execute", count)
    opened = None
    if args.mode == "null":
        senders: dict[str, Any] = {CHANNEL_TELEGRAM: NullSender()}
    else:
        opened = await open_senders(settings, app.dispatcher)
        senders = dict(opened.senders)
    pacers = None
    if args.mode in ("null", "telegram"):  # pacing off: a rate no sweep reaches
        pacers = {CHANNEL_TELEGRAM: Pacer(1_000_000.0, 1.0, 0.0)}
    stop = asyncio.Event()
    now = parse_instant(args.now, config.tz)
    sweep = Sweep(
        app.db,
        senders,
        now,
        config,
        taxonomy=app.taxonomy,
        calendar=WorkdayCalendar(),
        pacers=pacers,
        stop=stop,
    )
    phases: dict[str, float] = {}
    counts: dict[str, int] = {}
    cpu0 = time.process_time()
    # the steps of Sweep.run (a send time of 09:00 is outside quiet hours), timed one by one
    t = time.perf_counter()
    await sweep._expire_old()
    phases["expire"] = time.perf_counter() - t
    t = time.perf_counter()
    statements = 0
    await sweep._queue_today()
    phases["queue"] = time.perf_counter() - t
    counts["queue_statements"] = statements
    if args.stop_after:
        asyncio.get_running_loop().call_later(args.stop_after, stop.set)
    statements = 0
    t = time.perf_counter()
    await sweep._deliver()
    phases["deliver"] = time.perf_counter() - t
    counts["deliver_statements"] = statements
    cpu = time.process_time() - cpu0
    if opened is not None:
        await opened.close()
    await app.close()
    s = sweep.summary
    print(
        json.dumps(
            {
                "phases": phases,
                "counts": counts,
                "queued": s.queued,
                "sent": s.sent,
                "failed": s.failed,
                "skipped": s.skipped,
                "retry_later": s.retry_later,
                "expired": s.expired,
                "stopped": s.stopped,
                "failures": dict(s.failures),
                "cpu": cpu,
                "maxrss_kb": peak_rss_kb(),
            },
            ensure_ascii=False,
        ),
        flush=True,
    )


# --- parent: helpers ---------------------------------------------------------------------------


def peak_rss_kb() -> float:
    """This process's peak RSS (``VmHWM``). Not ``getrusage``: Linux keeps ``ru_maxrss`` across
    ``execve``, so a child would report its parent's peak when that is higher."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM"):
            return float(line.split()[1])
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def child_env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJBOT_")}
    env |= {"DJBOT_DATABASE_URL": url, "PYTHONPATH": str(ROOT), "DJBOT_LOG_LEVEL": "WARNING"}
    return env | extra


async def run_child(argv: list[str], env: dict[str, str], timeout: float) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).resolve()),
        *argv,
        env=env,
        cwd=str(ROOT),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise SystemExit(f"child {argv[:4]} timed out after {timeout:.0f} s") from None
    if process.returncode != 0:
        raise SystemExit(f"child {argv[:4]} failed: {err.decode()[-3000:]}")
    return dict(json.loads(out.decode().strip().splitlines()[-1]))


def time_v(stderr: str) -> dict[str, float]:
    """Wall time (s) and peak RSS (KB) from ``/usr/bin/time -v`` output."""
    out: dict[str, float] = {}
    for line in stderr.splitlines():
        line = line.strip()
        if line.startswith("Maximum resident set size"):
            out["maxrss_kb"] = float(line.rsplit(":", 1)[1])
        elif line.startswith("Elapsed (wall clock) time"):
            value = line.split("):", 1)[1].strip()
            parts = [float(p) for p in value.split(":")]
            seconds = 0.0
            for p in parts:
                seconds = seconds * 60 + p
            out["wall"] = seconds
        elif line.startswith("User time"):
            out["user"] = float(line.rsplit(":", 1)[1])
        elif line.startswith("System time"):
            out["sys"] = float(line.rsplit(":", 1)[1])
    return out


def timed_command(
    argv: list[str], env: dict[str, str], cwd: str, timeout: float
) -> dict[str, float]:
    result = subprocess.run(
        ["/usr/bin/time", "-v", *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{argv} failed ({result.returncode}): {result.stderr[-3000:]}")
    return time_v(result.stderr)


def pct(values: Sequence[float], p: float) -> float:
    """Percentile by linear interpolation (p in 0..100)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "–"
    if seconds >= 10:
        return f"{seconds:,.1f} s"
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:,.1f} ms"


def mib(kb: float) -> str:
    return f"{kb / 1024:,.0f} MiB"


# --- parent: the parts -------------------------------------------------------------------------


def pick_branch(tree: Tree) -> int:
    """A branch of median size."""
    ordered = sorted(tree.branches, key=lambda b: (tree.size.get(b, 0), b))
    return ordered[len(ordered) // 2]


async def part_report(args: argparse.Namespace, tree: Tree, results: dict[str, Any]) -> None:
    scopes = [
        ("branch", pick_branch(tree), args.cold_runs, args.reps),
        ("city", tree.cities[0], args.cold_runs, args.reps),
        ("province", tree.province, args.province_cold_runs, args.province_reps),
    ]
    out: dict[str, Any] = {}
    for label, org, cold_runs, reps in scopes:
        samples = []
        for k in range(cold_runs):
            argv = [
                "--child",
                "report",
                "--database-url",
                args.database_url,
                "--org",
                str(org),
                "--reps",
                str(reps),
                "--budget",
                str(args.budget),
            ]
            if k == 0:
                argv.append("--split")
            samples.append(await run_child(argv, child_env(args.database_url), args.child_timeout))
            log(f"  report {label} sample {k + 1}/{cold_runs}")
        cold = [s["runs"][0] for s in samples]
        warm = [r for s in samples for r in s["runs"][1:]]
        out[label] = {
            "org": org,
            "facts": samples[0]["facts"],
            "split": samples[0]["split"],
            "cold": cold,
            "warm": warm,
            "maxrss_kb": max(s["maxrss_kb"] for s in samples),
            "import": statistics.median(s["import"] for s in samples),
        }
    results["report"] = out


async def part_cli(args: argparse.Namespace, tree: Tree, results: dict[str, Any]) -> None:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, org in (
            ("branch", pick_branch(tree)),
            ("city", tree.cities[0]),
            ("province", tree.province),
        ):
            for fmt in ("text", "docx"):
                argv = [
                    sys.executable,
                    "-m",
                    "bot.cli",
                    "report",
                    "--org",
                    str(org),
                    "--period",
                    str(YEAR),
                    "--today",
                    REPORT_TODAY.isoformat(),
                    "--format",
                    fmt,
                    "--out",
                    f"{tmp}/{label}.{fmt}",
                ]
                env = child_env(args.database_url)
                out[f"{label} {fmt}"] = await asyncio.to_thread(
                    timed_command, argv, env, tmp, args.child_timeout
                )
                log(f"  djbot report {label} {fmt}: {out[f'{label} {fmt}']}")
    results["cli"] = out


async def _reset_sends(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("TRUNCATE reminder_sends RESTART IDENTITY")
    finally:
        await conn.close()


def _request_stats(tg: Any, since: int) -> dict[str, Any]:
    times = [
        t
        for (m, _), t in zip(tg.calls[since:], tg.call_times[since:], strict=True)
        if m == "sendMessage"
    ]
    busiest = 0
    first = 0
    for last, moment in enumerate(times):
        while moment - times[first] >= 1.0:
            first += 1
        busiest = max(busiest, last - first + 1)
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    return {
        "requests": len(times),
        "span": span,
        "rate": (len(times) - 1) / span if span else math.nan,
        "busiest_second": busiest,
    }


async def part_sweep(args: argparse.Namespace, tree: Tree, results: dict[str, Any]) -> None:
    from fakes.telegram_api import FakeTelegram

    await _reset_sends(args.database_url)
    out: dict[str, Any] = {}
    base = [
        "--child",
        "sweep",
        "--database-url",
        args.database_url,
        "--concurrency",
        str(args.concurrency),
    ]
    # (1) database side only
    log("  sweep 1: null sender, no pacing")
    out["db"] = await run_child(
        [*base, "--now", SWEEP_DAYS["db"], "--mode", "null"],
        child_env(args.database_url),
        args.child_timeout,
    )
    async with FakeTelegram(token=TOKEN) as tg:
        for member in range(1, tree.members + 1):
            tg.add_user(FIRST_UID + member - 1)
        for mode, stop_after in (("telegram", 0.0), ("paced", args.paced_seconds)):
            log(f"  sweep {mode}")
            since = len(tg.calls)
            gc.collect()
            gc.freeze()
            gc.disable()  # keep the server's timestamps free of long collector pauses
            try:
                summary = await run_child(
                    [
                        *base,
                        "--now",
                        SWEEP_DAYS[mode],
                        "--mode",
                        mode,
                        "--base-url",
                        tg.base_url,
                        "--stop-after",
                        str(stop_after),
                    ],
                    child_env(args.database_url),
                    args.child_timeout,
                )
            finally:
                gc.enable()
            summary["server"] = _request_stats(tg, since)
            out[mode] = summary
        tg.calls.clear()
        tg.call_times.clear()
        tg.sent.clear()
    results["sweep"] = out


async def _vm(pid: int) -> dict[str, float]:
    out: dict[str, float] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS", "VmHWM")):
                key, value = line.split(":", 1)
                out[key] = float(value.split()[0])
    return out


async def part_run(args: argparse.Namespace, tree: Tree, results: dict[str, Any]) -> None:
    """``djbot run`` with Telegram (the fake, long polling) and reminders off: RSS once
    started; then for a city committee and the province, its admin sends ``/report 2026`` and
    0.3 s later a member sends ``/help``: time to each answer, messages sent, RSS after."""
    from fakes.telegram_api import FakeTelegram

    out: dict[str, Any] = {}
    member_uid = FIRST_UID + tree.first_member[pick_branch(tree)] + 2 - 1
    admins = {
        "city": FIRST_UID + tree.admins[tree.cities[0]] - 1,
        "province": FIRST_UID + tree.admins[tree.province] - 1,
    }
    async with FakeTelegram(token=TOKEN) as tg:
        for uid in (member_uid, *admins.values()):
            tg.add_user(uid)
        with tempfile.TemporaryDirectory() as tmp:
            env = child_env(
                args.database_url,
                DJBOT_TELEGRAM_TOKEN=TOKEN,
                DJBOT_TELEGRAM_BASE_URL=tg.base_url,
                DJBOT_REMINDERS_ENABLED="false",
                DJBOT_LOG_LEVEL="WARNING",
            )
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "run",
                env=env,
                cwd=tmp,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            try:
                t0 = time.monotonic()
                await tg.wait_for("getUpdates", 1, timeout=60)
                out["startup_s"] = time.monotonic() - t0
                await asyncio.sleep(3)
                out["idle"] = await _vm(process.pid)
                for scope, admin_uid in admins.items():
                    tg.sent.pop(member_uid, None)
                    t0 = time.monotonic()
                    tg.push_text(admin_uid, f"/report {YEAR}")
                    await asyncio.sleep(0.3)
                    t_help = time.monotonic()
                    tg.push_text(member_uid, "/help")
                    await tg.wait_until(
                        lambda: bool(tg.sent.get(member_uid)), timeout=args.child_timeout
                    )
                    help_s = time.monotonic() - t_help
                    await tg.wait_until(
                        lambda uid=admin_uid: any(m.document for m in tg.sent.get(uid, [])),
                        timeout=args.child_timeout,
                    )
                    out[scope] = {
                        "report_s": time.monotonic() - t0,
                        "help_s": help_s,
                        "messages": len(tg.sent.get(admin_uid, [])),
                        "vm": await _vm(process.pid),
                    }
                    log(f"  djbot run /report {scope}: {out[scope]}")
            finally:
                process.terminate()
                try:
                    _, err = await asyncio.wait_for(process.communicate(), 60)
                except TimeoutError:
                    process.kill()
                    _, err = await process.communicate()
                if process.returncode not in (0, -15):
                    log(f"djbot run exited {process.returncode}: {err.decode()[-2000:]}")
    results["run"] = out


async def part_backup(args: argparse.Namespace, results: dict[str, Any]) -> None:
    """``djbot backup`` of the load-test database, then ``djbot restore`` of that file into a
    new empty database (``<name>_restore``, dropped afterwards)."""
    restore_url = re.sub(r"/([^/?]+)(\?.*)?$", r"/\1_restore\2", args.database_url)
    with tempfile.TemporaryDirectory() as tmp:
        dump = f"{tmp}/load.djbot.gz"
        argv = [sys.executable, "-m", "bot.cli", "backup", "--out", dump]
        figures = await asyncio.to_thread(
            timed_command, argv, child_env(args.database_url), tmp, args.child_timeout
        )
        figures["bytes"] = Path(dump).stat().st_size
        results["backup"] = figures
        log(f"  djbot backup: {figures}")
        if args.skip_restore:
            return
        await create_database(restore_url)
        try:
            argv = [sys.executable, "-m", "bot.cli", "restore", dump]
            results["restore"] = await asyncio.to_thread(
                timed_command, argv, child_env(restore_url), tmp, args.child_timeout
            )
            log(f"  djbot restore: {results['restore']}")
        finally:
            await drop_database(restore_url)


async def pg_info(args: argparse.Namespace, results: dict[str, Any]) -> None:
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(args.database_url))
    try:
        version = await conn.fetchval("SHOW server_version")
        settings = {
            r["name"]: r["value"]
            for r in await conn.fetch(
                "SELECT name, current_setting(name) AS value FROM pg_settings WHERE name IN "
                "('shared_buffers', 'work_mem', 'effective_cache_size', "
                "'max_parallel_workers_per_gather', 'jit') ORDER BY name"
            )
        }
    finally:
        await conn.close()
    results["postgres"] = {"version": version, "settings": settings}


async def part_size(args: argparse.Namespace, results: dict[str, Any]) -> None:
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(args.database_url))
    try:
        rows = await conn.fetch(
            """
            SELECT c.relname AS name,
                   pg_total_relation_size(c.oid) AS total,
                   pg_relation_size(c.oid) AS heap,
                   pg_indexes_size(c.oid) AS indexes,
                   pg_total_relation_size(c.oid) - pg_relation_size(c.oid)
                       - pg_indexes_size(c.oid) AS toast
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind = 'r'
            ORDER BY pg_total_relation_size(c.oid) DESC
            """
        )
        tables = []
        for r in rows:
            n = await conn.fetchval(f'SELECT count(*) FROM "{r["name"]}"')
            tables.append({**dict(r), "rows": n})
        database = await conn.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await conn.close()
    results["size"] = {"tables": tables, "database": database}
    await pg_info(args, results)


# --- parent: output ----------------------------------------------------------------------------


def render(results: dict[str, Any]) -> str:
    lines: list[str] = []
    m = results["machine"]
    pg = results.get("postgres", {})
    pg_settings = ", ".join(f"{k}={v}" for k, v in pg.get("settings", {}).items())
    lines.append(
        f"Machine: nproc {m['nproc']}, CPU {m['cpu']!r}, {m['ram']} RAM, Python {m['python']}, "
        f"PostgreSQL {pg.get('version', '?')} ({pg_settings}), {m['os']}"
    )
    lines.append(f"Source: {results.get('source', '?')}")
    t = results["tree"]
    lines.append(
        f"Data: {t['cities']} city committees, {t['branches']:,} branches, "
        f"{t['members']:,} members, {t['records']:,} activity records "
        f"(2025-2026), {t['audit']:,} audit entries"
    )
    if "generate" in results:
        g = results["generate"]
        total = sum(g.values())
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in g.items())
        lines.append(f"Generation: {total:.0f} s ({parts})")
    lines.append("")
    if "report" in results:
        lines.append("### Year report 2026 (in process, new process per cold sample)")
        lines.append("")
        lines.append(
            "| scope | organizations | records in 2026 | cold: assemble + text | "
            "warm p50 | warm p95 | cold .docx | warm .docx p50 | n warm | peak RSS |"
        )
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for label, r in results["report"].items():
            cold = [x["assemble"] + x["text"] for x in r["cold"]]
            warm = [x["assemble"] + x["text"] for x in r["warm"]]
            cold_docx = [x["docx"] for x in r["cold"]]
            warm_docx = [x["docx"] for x in r["warm"]]
            lines.append(
                f"| {label} | {r['facts']['organizations']:,} | {r['facts']['records']:,} | "
                f"{ms(statistics.median(cold))} (n={len(cold)}) | {ms(pct(warm, 50))} | "
                f"{ms(pct(warm, 95))} | {ms(statistics.median(cold_docx))} | "
                f"{ms(pct(warm_docx, 50))} | {len(warm)} | {mib(r['maxrss_kb'])} |"
            )
        lines.append("")
        lines.append("One warm run split into steps:")
        lines.append("")
        labels = list(results["report"])
        steps = list(next(iter(results["report"].values()))["split"])
        lines.append("| step | " + " | ".join(labels) + " |")
        lines.append("| --- |" + " ---: |" * len(labels))
        for step in steps:
            cells = [ms(results["report"][lab]["split"].get(step, math.nan)) for lab in labels]
            lines.append(f"| {step} | " + " | ".join(cells) + " |")
        cells = [f"{results['report'][lab]['facts'].get('month_rows', 0):,}" for lab in labels]
        lines.append("| (rows from monthly_totals) | " + " | ".join(cells) + " |")
        cells = [f"{results['report'][lab]['facts']['text_chars']:,}" for lab in labels]
        lines.append("| (text characters) | " + " | ".join(cells) + " |")
        cells = [
            f"{results['report'][lab]['facts']['docx_bytes'] / 1024:,.0f} KB" for lab in labels
        ]
        lines.append("| (.docx size) | " + " | ".join(cells) + " |")
        lines.append("")
    if "cli" in results:
        lines.append("### `djbot report --period 2026` as a new process (`/usr/bin/time -v`)")
        lines.append("")
        lines.append("| scope, format | wall | user + sys CPU | peak RSS |")
        lines.append("| --- | ---: | ---: | ---: |")
        for label, r in results["cli"].items():
            cpu = r["user"] + r["sys"]
            lines.append(f"| {label} | {ms(r['wall'])} | {ms(cpu)} | {mib(r['maxrss_kb'])} |")
        lines.append("")
    if "sweep" in results:
        s = results["sweep"]
        lines.append(
            f"### Reminder sweep (separate process, concurrency {results['args']['concurrency']})"
        )
        lines.append("")
        lines.append(
            "| run | queued | sent | plan + queue | deliver | sent/s | statements per reminder "
            "| process CPU | peak RSS |"
        )
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        names = {
            "db": "2026-12-24, null sender, no pacing (database side)",
            "telegram": "2026-12-28, fake Bot API via PTB, no pacing",
            "paced": "2026-12-30, fake Bot API, Telegram pacing, stopped after "
            f"{results['args']['paced_seconds']:.0f} s",
        }
        for key, r in s.items():
            plan = r["phases"]["expire"] + r["phases"]["queue"]
            deliver = r["phases"]["deliver"]
            done = r["sent"] + r["failed"] + r["skipped"]
            per = r["counts"]["deliver_statements"] / done if done else math.nan
            lines.append(
                f"| {names[key]} | {r['queued']:,} | {r['sent']:,} | {ms(plan)} | {ms(deliver)} | "
                f"{done / deliver:,.1f} | {per:.1f} | {ms(r['cpu'])} | {mib(r['maxrss_kb'])} |"
            )
        lines.append("")
        for key in ("telegram", "paced"):
            if key in s:
                srv = s[key]["server"]
                lines.append(
                    f"- {key}: the server saw {srv['requests']:,} sendMessage in "
                    f"{srv['span']:.1f} s "
                    f"= {srv['rate']:.2f}/s; busiest second {srv['busiest_second']}; "
                    f"failed {s[key]['failed']}, retry later {s[key]['retry_later']}"
                )
        lines.append(
            f"- queue phase: {s['db']['counts']['queue_statements']:,} statements "
            f"for {s['db']['queued']:,} queued reminders"
        )
        lines.append("")
    if "run" in results:
        r = results["run"]
        lines.append("### `djbot run` (Telegram long polling via the fake Bot API, reminders off)")
        lines.append("")
        lines.append(
            f"- start to first getUpdates {r['startup_s']:.1f} s; "
            f"RSS idle {mib(r['idle'].get('VmRSS', 0))}"
        )
        for scope in ("city", "province"):
            if scope in r:
                x = r[scope]
                lines.append(
                    f"- {scope} admin `/report {YEAR}`: text ({x['messages'] - 1} messages) and "
                    f".docx after {x['report_s']:.1f} s; a member's `/help` sent 0.3 s later "
                    f"answered after {x['help_s']:.1f} s; RSS then "
                    f"{mib(x['vm'].get('VmRSS', 0))} (peak {mib(x['vm'].get('VmHWM', 0))})"
                )
        lines.append("")
    if "backup" in results:
        b = results["backup"]
        lines.append("### Backup and restore (`/usr/bin/time -v`)")
        lines.append("")
        lines.append(
            f"- `djbot backup` (portable dump): {ms(b['wall'])}, "
            f"{b['bytes'] / 1024 / 1024:,.0f} MiB file, peak RSS {mib(b['maxrss_kb'])}"
        )
        if "restore" in results:
            r = results["restore"]
            lines.append(
                f"- `djbot restore` into an empty database: {ms(r['wall'])}, "
                f"peak RSS {mib(r['maxrss_kb'])}"
            )
        lines.append("")
    if "size" in results:
        lines.append("### Database size (`pg_total_relation_size`)")
        lines.append("")
        lines.append("| table | rows | total | heap | indexes | TOAST | bytes/row (total) |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for r in results["size"]["tables"]:
            per = r["total"] / r["rows"] if r["rows"] else math.nan
            lines.append(
                f"| {r['name']} | {r['rows']:,} | {r['total'] / 2**20:,.1f} MiB | "
                f"{r['heap'] / 2**20:,.1f} MiB | {r['indexes'] / 2**20:,.1f} MiB | "
                f"{r['toast'] / 2**20:,.1f} MiB | {per:,.0f} |"
            )
        lines.append(f"| **database** | | {results['size']['database'] / 2**20:,.0f} MiB | | | | |")
        lines.append("")
    return "\n".join(lines)


# --- main --------------------------------------------------------------------------------------


async def parent(args: argparse.Namespace) -> int:
    results: dict[str, Any] = {"machine": machine(), "args": vars(args).copy()}
    results["source"] = source_state()
    only = set(args.only or PARTS)
    t_start = time.perf_counter()
    if args.skip_generate:
        tree = await load_tree(args.database_url)
    else:
        log(f"generating {args.members:,} members, {args.records:,} records in {args.database_url}")
        tree = await generate(args)
        results["generate"] = tree.timings
        log(f"generated in {sum(tree.timings.values()):.0f} s")
    results["tree"] = {
        "cities": len(tree.cities),
        "branches": len(tree.branches),
        "members": tree.members,
        "records": tree.records,
        "audit": tree.audit,
    }
    try:
        if "report" in only:
            log("report latency")
            await part_report(args, tree, results)
        if "cli" in only:
            log("djbot report as a command")
            await part_cli(args, tree, results)
        if "sweep" in only:
            log("reminder sweeps")
            await part_sweep(args, tree, results)
        if "run" in only:
            log("djbot run")
            await part_run(args, tree, results)
        if "backup" in only:
            log("djbot backup")
            await part_backup(args, results)
        if "size" in only:
            await part_size(args, results)
        else:
            await pg_info(args, results)
    finally:
        if args.drop:
            await drop_database(args.database_url)
            log(f"dropped {args.database_url}")
    results["elapsed_s"] = time.perf_counter() - t_start
    text = render(results)
    print(text)
    print(f"\n(total {results['elapsed_s']:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--cities", type=int, default=10)
    parser.add_argument("--branches", type=int, default=2_500)
    parser.add_argument("--seed", type=int, default=20261231)
    parser.add_argument("--no-audit", action="store_true", help="no record.create audit entries")
    parser.add_argument("--skip-generate", action="store_true", help="use the existing database")
    parser.add_argument("--only", nargs="+", choices=PARTS, help="measure only these parts")
    parser.add_argument("--cold-runs", type=int, default=5, help="report processes per scope")
    parser.add_argument("--reps", type=int, default=8, help="reports per process (first = cold)")
    parser.add_argument("--province-cold-runs", type=int, default=3)
    parser.add_argument("--province-reps", type=int, default=3)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds of reports per process")
    parser.add_argument("--concurrency", type=int, default=16, help="sweep workers")
    parser.add_argument("--paced-seconds", type=float, default=60.0)
    parser.add_argument("--skip-restore", action="store_true", help="backup without restore")
    parser.add_argument("--child-timeout", type=float, default=1800.0)
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--json", help="also write all figures to this JSON file")
    # internal: child processes
    parser.add_argument("--child", choices=["report", "sweep"], help=argparse.SUPPRESS)
    parser.add_argument("--org", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--split", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=["null", "telegram", "paced"], help=argparse.SUPPRESS)
    parser.add_argument("--base-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--stop-after", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "report":
        asyncio.run(child_report(args))
        return 0
    if args.child == "sweep":
        asyncio.run(child_sweep(args))
        return 0
    if args.branches < 1 or args.cities < 1 or args.members < 3 * args.branches:
        parser.error("need at least one city, one branch and 3 members per branch")
    return asyncio.run(parent(args))


if __name__ == "__main__":
    raise SystemExit(main())
