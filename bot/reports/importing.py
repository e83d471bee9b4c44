"""``djbot import``: activity records from a JSONL, CSV or XLSX file, all or nothing.

Columns (machine keys, or the Chinese headers of the ledger, :data:`bot.reports.ledger.FIELDS`):

=================  ==========================================================================
``occurred_on``    日期: ``2026-03-15``, ``2026/3/15``, ``2026.3.15``, ``2026年3月15日``,
                   ``20260315`` or a date cell
``activity_type``  活动类型: a canonical name of the taxonomy (an alias that names one type only
                   is accepted too: 支部委员会 -> 支委会)
``count``          数量: a whole number >= 1 (default 1); ``30余`` / ``30多`` mark it approximate
``participants``   参加人数: a whole number >= 0, or empty
``title``          标题
``reporter``       报告人: a member's name; a name not yet known in the organization becomes a
                   new member (without a chat account)
``text``           原文: with no ``activity_type``, read by the message reader (which may find
                   several records in it); else kept as the record's text
``status``         状态: ``done``/已开展 (default) or ``planned``/计划
``approximate``    约数: true/false, 是/否, 1/0
``organization``   所属组织: the organization or one below it, by name (default: ``--org``); a
                   file whose rows all name one organization that is not there (a branch's
                   ledger moved to another installation) goes into ``--org`` as a whole
=================  ==========================================================================

Other columns (``record_id``, ``category``, ``unit``: the ledger's own) are ignored: category and
unit always come from the taxonomy. Line numbers in messages are the file's: for CSV and XLSX
the header is line 1. Every bad row is reported with its line and reason (in Chinese) and then
nothing is imported; otherwise every record is inserted in one transaction with executemany.
Records keep where they came from: ``source_channel = "import"``, ``source_message_id =
"<file digest>:<line>"``; importing the same file again into the same organization is refused.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.numerals import to_halfwidth
from bot.domain.reader import read_message
from bot.domain.taxonomy import Taxonomy
from bot.reports.ledger import FIELDS
from storage import audit
from storage.models import Member, Membership, Organization, RecordStatus, Role
from storage.queries.members import member_ids_by_name
from storage.queries.organizations import organization_tree_ids, organizations_by_id
from storage.queries.records import imported_from, insert_records

SOURCE_CHANNEL = "import"
#: At most this many row errors are listed; the rest are counted.
MAX_ERRORS_SHOWN = 50
TITLE_MAX = 200
_RAW_MAX = 10_000

_ALIASES: dict[str, str] = {label: key for key, label in FIELDS} | {key: key for key, _ in FIELDS}
_ALIASES |= {
    "活动日期": "occurred_on",
    "date": "occurred_on",
    "类型": "activity_type",
    "type": "activity_type",
    "次数": "count",
    "人数": "participants",
    "参加人员数": "participants",
    "名称": "title",
    "活动名称": "title",
    "报送人": "reporter",
    "登记人": "reporter",
    "内容": "text",
    "消息": "text",
    "组织": "organization",
    "党组织": "organization",
}
#: Columns that are accepted and ignored (the ledger's own; category and unit follow from type).
IGNORED = frozenset({"record_id", "category", "unit"})

_DONE = {"", "done", "已开展", "已完成", "完成", "开展"}
_PLANNED = {"planned", "计划", "拟", "拟开展", "计划开展"}
_TRUE = {"true", "1", "是", "yes", "y", "约", "余"}
_FALSE = {"", "false", "0", "否", "no", "n"}
_DATE = re.compile(r"(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{2})(\d{2}))")
_COUNT = re.compile(r"(-?\d+)\s*(余|多)?\s*[^\d-]{0,2}")


@dataclass(frozen=True, slots=True)
class RowError:
    """A bad row: its line in the file (0: the file as a whole) and the reason (Chinese)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"第{self.line}行：{self.message}" if self.line else self.message


class ImportRejected(Exception):
    """The file was not imported; ``errors`` say why, by line. Nothing was written."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        super().__init__(self.summary())

    def summary(self) -> str:
        """The errors as lines of Chinese text, at most :data:`MAX_ERRORS_SHOWN` of them."""
        shown = [str(e) for e in self.errors[:MAX_ERRORS_SHOWN]]
        more = len(self.errors) - len(shown)
        if more > 0:
            shown.append(f"……另有{more}处错误")
        head = f"未导入任何记录：发现{len(self.errors)}处错误。"
        return "\n".join([head, *shown])


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row: its line in the file and its values by machine key (strings, numbers,
    dates or ``None`` as the format gives them)."""

    line: int
    values: dict[str, Any]


@dataclass(slots=True)
class SourceFile:
    """The rows of a file, the columns ignored, and the file's digest (16 hex digits)."""

    rows: list[SourceRow]
    ignored_columns: list[str]
    digest: str


@dataclass(slots=True)
class ImportResult:
    """What an import did: records inserted, members created for unknown reporters, columns
    ignored."""

    imported: int
    new_members: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    moved_from: str | None = None


def _columns(header: Sequence[Any]) -> tuple[list[str | None], list[str]]:
    keys: list[str | None] = []
    ignored: list[str] = []
    for raw in header:
        name = "" if raw is None else str(raw).strip().lstrip("\ufeff")
        key = _ALIASES.get(name) or _ALIASES.get(name.lower())
        if key is None or key in IGNORED:
            if name and key not in IGNORED:
                ignored.append(name)
            keys.append(None)
        else:
            keys.append(key)
    return keys, ignored


def read_source(path: Path) -> SourceFile:
    """Read the rows of a .jsonl, .csv or .xlsx file (CSV in UTF-8, with or without a BOM, or in
    GB18030 as Excel saves it on Chinese Windows).

    Raises:
        ImportRejected: for a missing or unreadable file, an unknown suffix, a file without the
            needed columns, or a JSONL line that is not a JSON object.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportRejected([RowError(0, f"无法读取文件 {path}：{exc.strerror or exc}")]) from None
    digest = hashlib.sha256(data).hexdigest()[:16]
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        rows, ignored = _read_jsonl(data)
    elif suffix == ".csv":
        rows, ignored = _read_csv(data)
    elif suffix == ".xlsx":
        rows, ignored = _read_xlsx(data)
    else:
        raise ImportRejected(
            [RowError(0, f"不支持的文件类型“{path.suffix}”：请使用 .jsonl、.csv 或 .xlsx")]
        )
    return SourceFile(rows, ignored, digest)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise ImportRejected([RowError(0, "文件编码无法识别：请保存为 UTF-8")]) from None


def _read_jsonl(data: bytes) -> tuple[list[SourceRow], list[str]]:
    rows: list[SourceRow] = []
    errors: list[RowError] = []
    ignored: set[str] = set()
    for line_no, line in enumerate(_decode(data).splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(RowError(line_no, f"不是有效的 JSON（{exc.msg}，第{exc.colno}列）"))
            continue
        if not isinstance(item, dict):
            errors.append(RowError(line_no, "每行应为一个 JSON 对象"))
            continue
        values: dict[str, Any] = {}
        for name, value in item.items():
            key = _ALIASES.get(str(name))
            if key is None:
                ignored.add(str(name))
            elif key not in IGNORED:
                values[key] = value
        rows.append(SourceRow(line_no, values))
    if errors:
        raise ImportRejected(errors)
    return rows, sorted(ignored)


def _read_csv(data: bytes) -> tuple[list[SourceRow], list[str]]:
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    header = next(reader, None)
    if header is None:
        return [], []
    keys, ignored = _columns(header)
    rows: list[SourceRow] = []
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        rows.append(
            SourceRow(line, {k: v for k, v in zip(keys, cells, strict=False) if k is not None})
        )
    return rows, ignored


def _read_xlsx(data: bytes) -> tuple[list[SourceRow], list[str]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ImportRejected([RowError(0, f"不是有效的 .xlsx 文件：{exc}")]) from None
    try:
        sheet = workbook["台账"] if "台账" in workbook.sheetnames else workbook.worksheets[0]
        it = sheet.iter_rows(values_only=True)
        header = next(it, None)
        if header is None:
            return [], []
        keys, ignored = _columns(header)
        rows: list[SourceRow] = []
        for line, cells in enumerate(it, 2):
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                continue
            rows.append(
                SourceRow(line, {k: v for k, v in zip(keys, cells, strict=False) if k is not None})
            )
        return rows, ignored
    finally:
        workbook.close()


# --- values ----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_date(value: Any) -> date | None:
    """A date from a cell or a string in the forms of the module docstring, else ``None``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = to_halfwidth(_text(value))
    m = _DATE.fullmatch(text)
    if not m:
        return None
    y, mo, d = int(m.group(1)), m.group(2) or m.group(4), m.group(3) or m.group(5)
    try:
        return date(y, int(mo), int(d))
    except ValueError:
        return None


def _whole(value: Any, what: str, minimum: int) -> tuple[int | None, bool, str | None]:
    """(number, approximate, error) for a count or a head count; ``None`` when empty."""
    if isinstance(value, bool):
        return None, False, f"{what}“{value}”不是整数"
    if isinstance(value, int):
        n, more = value, False
    elif isinstance(value, float) and value.is_integer():
        n, more = int(value), False
    else:
        text = to_halfwidth(_text(value))
        if not text:
            return None, False, None
        m = _COUNT.fullmatch(text)
        if not m:
            return None, False, f"{what}“{text}”不是整数"
        n, more = int(m.group(1)), bool(m.group(2))
    if n < minimum:
        return None, False, f"{what}应不小于{minimum}，收到{n}"
    if n > 1_000_000:
        return None, False, f"{what}{n}过大"
    return n, more, None


@dataclass(slots=True)
class _Plan:
    """Validated records (insert rows without organization and reporter ids resolved)."""

    records: list[dict[str, Any]] = field(default_factory=list)
    reporters: list[str] = field(default_factory=list)
    organizations: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _type_lookup(taxonomy: Taxonomy) -> dict[str, str]:
    """Canonical names, and aliases that name exactly one type, to the canonical name."""
    owners: dict[str, set[str]] = {}
    for t in taxonomy.types:
        for alias in t.aliases:
            owners.setdefault(alias, set()).add(t.name)
    lookup = {alias: next(iter(names)) for alias, names in owners.items() if len(names) == 1}
    lookup |= {t.name: t.name for t in taxonomy.types}
    return lookup


def validate(
    rows: Sequence[SourceRow], taxonomy: Taxonomy, today: date, organizations: dict[str, int]
) -> _Plan:
    """Check every row and turn it into insert rows (pure: no database, no clock).

    ``today`` (local date) resolves relative dates in ``text``; ``organizations`` maps the
    names allowed in the ``organization`` column to ids.
    """
    plan = _Plan()
    types = _type_lookup(taxonomy)
    for row in rows:
        v = row.values
        problems: list[str] = []
        raw_type = _text(v.get("activity_type"))
        text = _text(v.get("text"))
        day_value = v.get("occurred_on")
        day = parse_date(day_value)
        if _text(day_value) and day is None:
            problems.append(f"日期“{_text(day_value)}”无法识别，应为 2026-03-15 这样的格式")
        participants, _, error = _whole(v.get("participants"), "参加人数", 0)
        if error:
            problems.append(error)
        status_text = _text(v.get("status")).lower()
        status = RecordStatus.DONE
        if status_text in _PLANNED:
            status = RecordStatus.PLANNED
        elif status_text not in _DONE:
            problems.append(f"状态“{status_text}”无效，应为 done/已开展 或 planned/计划")
        approx_text = _text(v.get("approximate")).lower()
        if approx_text not in _TRUE | _FALSE:
            problems.append(f"约数“{approx_text}”无效，应为 是/否")
        organization = _text(v.get("organization"))
        if organization and organization not in organizations:
            problems.append(f"所属组织“{organization}”不是本组织或其下级组织")
        reporter = _text(v.get("reporter"))
        if len(reporter) > 100:
            problems.append("报告人姓名超过100字")
        title = _text(v.get("title"))
        if len(text) > _RAW_MAX:
            problems.append(f"原文超过{_RAW_MAX}字")

        found: list[dict[str, Any]] = []
        if raw_type:
            name = types.get(raw_type)
            if name is None:
                problems.append(f"活动类型“{raw_type}”不在活动类型表中")
            count, more, error = _whole(v.get("count"), "数量", 1)
            if error:
                problems.append(error)
            if day is None and not _text(day_value):
                problems.append("缺少日期（occurred_on）")
            if name is not None and day is not None and not problems:
                t = taxonomy.get(name)
                found.append(
                    {
                        "activity_type": name,
                        "category": t.category,
                        "unit": t.unit,
                        "occurred_on": day,
                        "count": count or 1,
                        "approximate": more or approx_text in _TRUE,
                        "participants": participants,
                        "status": status,
                    }
                )
        elif text:
            reading = read_message(text, today, taxonomy)
            if not reading.records:
                problems.append("未能从原文中识别出活动记录，请补充活动类型（activity_type）")
            for r in reading.records:
                when = r.occurred_on or day
                if when is None:
                    problems.append(f"原文中的“{r.activity_type}”未注明日期，请补充日期列")
                    continue
                found.append(
                    {
                        "activity_type": r.activity_type,
                        "category": r.category,
                        "unit": r.unit,
                        "occurred_on": when,
                        "count": r.count,
                        "approximate": r.approximate,
                        "participants": r.participants
                        if r.participants is not None
                        else participants,
                        "status": RecordStatus(r.status) if status_text == "" else status,
                        "title": r.title,
                    }
                )
        else:
            problems.append("缺少活动类型（activity_type）或原文（text）")
        if problems:
            plan.errors.append(RowError(row.line, "；".join(problems)))
            continue
        for record in found:
            full_title = title or record.get("title", "")
            raw = text
            if len(full_title) > TITLE_MAX:
                raw = raw or full_title  # keep the whole title as the record's text
                full_title = full_title[: TITLE_MAX - 1] + "…"
            record["title"] = full_title
            record["raw_text"] = raw
            record["line"] = row.line
            record["reporter"] = reporter
            record["organization"] = organization
            plan.records.append(record)
        if reporter:
            plan.reporters.append(reporter)
    return plan


async def import_file(
    session: AsyncSession,
    organization: Organization,
    path: Path,
    taxonomy: Taxonomy,
    today: date,
    now: datetime,
    *,
    allow_repeat: bool = False,
) -> ImportResult:
    """Import ``path`` into ``organization`` (or the organizations below it named in an
    ``organization`` column) inside the caller's transaction.

    ``today`` is the local date for relative dates in ``text``; ``now`` (aware UTC) stamps the
    records. Nothing is written unless every row is valid.

    Raises:
        ImportRejected: with every bad row by line, for a file already imported into this
            organization (unless ``allow_repeat``), or for an unreadable file.
    """
    source = read_source(path)
    ids = await organization_tree_ids(session, organization.id)
    orgs = await organizations_by_id(session, ids)
    by_name: dict[str, int] = {}
    for org_id in ids:  # the organization itself first, then by tree order
        by_name.setdefault(orgs[org_id].name, org_id)
    named = {_text(r.values.get("organization")) for r in source.rows}
    moved_from = None
    if len(named) == 1 and not named & (by_name.keys() | {""}):
        moved_from = named.pop()  # one organization's ledger: it all goes into ``organization``
        by_name[moved_from] = organization.id
    plan = validate(source.rows, taxonomy, today, by_name)
    if plan.errors:
        raise ImportRejected(plan.errors)
    if not plan.records:
        raise ImportRejected([RowError(0, "文件中没有记录")])
    prefix = f"{source.digest}:"
    if not allow_repeat:
        already = await imported_from(session, ids, prefix)
        if already:
            raise ImportRejected(
                [
                    RowError(
                        0,
                        f"该文件已导入过（{already}条记录），未重复导入；"
                        "确需再次导入请加 --allow-repeat",
                    )
                ]
            )

    names = sorted(set(plan.reporters))
    members = await member_ids_by_name(session, ids, names)
    created = [name for name in names if name not in members]
    new = [Member(name=name, created_at=now) for name in created]
    session.add_all(new)
    await session.flush()
    session.add_all(
        Membership(
            member_id=m.id, organization_id=organization.id, role=Role.MEMBER, created_at=now
        )
        for m in new
    )
    members |= {m.name: m.id for m in new}

    rows: list[dict[str, Any]] = []
    for record in plan.records:
        line = record.pop("line")
        reporter = record.pop("reporter")
        org_name = record.pop("organization")
        record.update(
            organization_id=by_name[org_name] if org_name else organization.id,
            reporter_id=members.get(reporter) if reporter else None,
            source_channel=SOURCE_CHANNEL,
            source_message_id=f"{prefix}{line}",
            created_at=now,
            updated_at=now,
            deleted_at=None,
        )
        rows.append(record)
    await insert_records(session, rows)
    await audit.write(
        session,
        "records.import",
        now=now,
        organization_id=organization.id,
        actor_id=None,
        target=f"organization:{organization.id}",
        details={"file": path.name, "records": len(rows), "new_members": created},
        channel="import",
    )
    return ImportResult(len(rows), created, source.ignored_columns, moved_from)
