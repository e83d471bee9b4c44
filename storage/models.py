"""SQLAlchemy 2 models: organizations, members, chat identities, roles, invites, activity
records and per-chat conversation state.

Times are stored as UTC (:class:`UTCDateTime` returns aware ``datetime`` in UTC on every
backend); calendar dates (``occurred_on``) are local dates in the configured time zone.
Names follow ``shared/docs/glossary.md``.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.sql import expression

#: Stable constraint names, so Alembic migrations name what they create the same on every
#: backend (SQLAlchemy docs, "Configuring Constraint Naming Conventions").
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and returned as an aware UTC ``datetime``.

    Raises:
        ValueError: when given a naive ``datetime`` (the caller must say which zone it is in).
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with the project's naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


class OrganizationKind(enum.StrEnum):
    """党委 / 党总支 / 党支部."""

    COMMITTEE = "committee"
    GENERAL_BRANCH = "general_branch"
    BRANCH = "branch"


class Role(enum.StrEnum):
    """What a member may do in an organization (glossary: 管理员, 书记, 党务干部, 党员)."""

    ADMIN = "admin"
    SECRETARY = "secretary"
    OFFICER = "officer"
    MEMBER = "member"


class RecordStatus(enum.StrEnum):
    """Whether an activity took place (``done``) or is announced for later (``planned``)."""

    DONE = "done"
    PLANNED = "planned"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
    )


class Organization(Base):
    """A party organization; ``parent_id`` forms the committee -> branch tree.

    ``wecom_webhook_url`` is the branch group's WeCom group-robot (群机器人) webhook, if any.
    """

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganizationKind] = mapped_column(
        _enum(OrganizationKind, "organization_kind"), default=OrganizationKind.BRANCH
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    wecom_webhook_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]

    parent: Mapped[Organization | None] = relationship(remote_side=[id])


class Member(Base):
    """A person (党员) who reports; reached through one or more chat identities.

    ``reminders_enabled`` is the member's own switch for deadline reminders (``/remind off``).
    """

    __tablename__ = "members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    reminders_enabled: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=expression.true()
    )


class ChatIdentity(Base):
    """A member's account on one channel: (channel, external_id) -> member.

    ``external_id`` is the Telegram user id, the WeCom userid or the console user name;
    ``chat_id`` is where a message to this person goes (for reminders).
    """

    __tablename__ = "chat_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))
    chat_id: Mapped[str] = mapped_column(String(100))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]

    member: Mapped[Member] = relationship()


class Membership(Base):
    """One role of a member in an organization; a member may hold several (admin + secretary)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("member_id", "organization_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    created_at: Mapped[datetime]


class Invite(Base):
    """An invitation code to join an organization with a role, limited in uses and time."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), default=Role.MEMBER)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    max_uses: Mapped[int] = mapped_column(Integer, default=50)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime]


class ActivityRecord(Base):
    """One activity a branch held (活动记录): what, when, how many, who reported it.

    ``occurred_on`` is a local calendar date; ``count`` is in ``unit`` (次, 场, 名, 件, 份);
    ``participants`` is a head count (not a list). ``deleted_at`` marks a soft delete.
    """

    __tablename__ = "activity_records"
    __table_args__ = (
        Index("ix_activity_records_org_date", "organization_id", "occurred_on"),
        Index("ix_activity_records_reporter_date", "reporter_id", "occurred_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    activity_type: Mapped[str] = mapped_column(String(50))
    category: Mapped[str] = mapped_column(String(50))
    occurred_on: Mapped[date] = mapped_column(Date)
    count: Mapped[int] = mapped_column(Integer, default=1)
    approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    unit: Mapped[str] = mapped_column(String(10))
    participants: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), default="")
    raw_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[RecordStatus] = mapped_column(
        _enum(RecordStatus, "record_status"), default=RecordStatus.DONE
    )
    source_channel: Mapped[str] = mapped_column(String(20), default="")
    source_message_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]


class ConversationState(Base):
    """Where a user is in a multi-step conversation, per (channel, chat, user).

    ``state`` names the step (e.g. ``confirm_record``); ``data`` holds the draft record and
    anything the step needs; ``token`` is a random nonce put into the buttons of the current
    card, so a stale or forged button press is refused.
    """

    __tablename__ = "conversation_states"
    __table_args__ = (UniqueConstraint("channel", "chat_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    token: Mapped[str] = mapped_column(String(16), default="")
    updated_at: Mapped[datetime]


class InboundReceipt(Base):
    """A delivery already taken in, so a retried or replayed one is recognised in any process.

    ``key`` is channel-specific: a WeCom ``MsgId`` (WeCom retries a callback three times when it
    gets no answer within 5 s), a callback nonce, a Telegram update id. Rows older than the
    channel's window may be deleted.
    """

    __tablename__ = "inbound_receipts"
    __table_args__ = (UniqueConstraint("channel", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(index=True)


class ReminderKind(enum.StrEnum):
    """What a reminder is about: a summary deadline (报送截止) or the monthly nudge (每月提示)."""

    DEADLINE = "deadline"
    MONTHLY = "monthly"


class ReminderStatus(enum.StrEnum):
    """Where one reminder to one member stands in the send log.

    ``pending``: queued by a sweep; ``claimed``: a sweep took it and is sending it (a claim
    older than the lease may be taken again: its sweep died); ``sent``: delivered; ``failed``:
    given up (blocked bot, no chat account, no sender for the channel, too many attempts);
    ``skipped``: no longer needed when its turn came (the member switched reminders off, the
    monthly gap was filled); ``expired``: its day passed before it could be sent (dropped, see
    ``bot.reminders.sweep``).
    """

    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    EXPIRED = "expired"


class ReminderSend(Base):
    """The send log: one row per reminder per member, claimed in the database before sending.

    The unique key (member, organization, kind, deadline, offset_days) makes a reminder go out
    at most once however many sweeps or processes run (``bot.reminders.sweep``). ``deadline`` is the
    local due date (for the monthly nudge: the month's last day); ``offset_days`` how many days
    before it the reminder was planned; ``remind_on`` the local working day it is sent on.
    ``periods`` lists the period keys the reminder covers (``2026Q2,2026H1`` share June 30).
    ``claim_token`` identifies the sweep holding the claim since ``claimed_at`` (UTC);
    ``button_token`` authenticates the reminder's "现在登记" button. ``attempts`` counts
    delivery tries; ``error`` is the last failure, for operators.
    """

    __tablename__ = "reminder_sends"
    __table_args__ = (
        UniqueConstraint(
            "member_id",
            "organization_id",
            "kind",
            "deadline",
            "offset_days",
            name="uq_reminder_sends_key",
        ),
        Index("ix_reminder_sends_day_status", "remind_on", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ReminderKind] = mapped_column(_enum(ReminderKind, "reminder_kind"))
    deadline: Mapped[date] = mapped_column(Date)
    offset_days: Mapped[int] = mapped_column(Integer)
    remind_on: Mapped[date] = mapped_column(Date)
    periods: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[ReminderStatus] = mapped_column(
        _enum(ReminderStatus, "reminder_status"), default=ReminderStatus.PENDING
    )
    channel: Mapped[str | None] = mapped_column(String(20))
    chat_id: Mapped[str | None] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[str] = mapped_column(String(32), default="")
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    button_token: Mapped[str] = mapped_column(String(16), default="")
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class GroupReminderSend(Base):
    """The send log of reminders posted to a branch's WeCom group robot (群机器人): one row per
    organization, deadline and offset, claimed before posting like :class:`ReminderSend`, so a
    group gets each reminder once however many sweeps or processes run.

    Columns as in :class:`ReminderSend`; there is no member (the group is the recipient).
    """

    __tablename__ = "group_reminder_sends"
    __table_args__ = (
        UniqueConstraint(
            "organization_id", "kind", "deadline", "offset_days", name="uq_group_reminder_sends_key"
        ),
        Index("ix_group_reminder_sends_day_status", "remind_on", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[ReminderKind] = mapped_column(_enum(ReminderKind, "reminder_kind"))
    deadline: Mapped[date] = mapped_column(Date)
    offset_days: Mapped[int] = mapped_column(Integer)
    remind_on: Mapped[date] = mapped_column(Date)
    periods: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[ReminderStatus] = mapped_column(
        _enum(ReminderStatus, "reminder_status"), default=ReminderStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim_token: Mapped[str] = mapped_column(String(32), default="")
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DeadlineSetting(Base):
    """An organization's own deadlines and reminder offsets (``/deadlines``); ``None`` in a
    column means "the default from the settings" (``DJBOT_DEADLINES``,
    ``DJBOT_REMINDER_OFFSETS``).

    ``*_days`` move a deadline relative to the period's last day (``+5``: five days after,
    ``-10``: ten days before); ``*_enabled`` false turns that deadline off; ``offsets`` is a
    comma list of days before the deadline (``"7,3,1"``).
    """

    __tablename__ = "deadline_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), unique=True
    )
    quarter_days: Mapped[int | None] = mapped_column(Integer)
    half_days: Mapped[int | None] = mapped_column(Integer)
    year_days: Mapped[int | None] = mapped_column(Integer)
    quarter_enabled: Mapped[bool | None] = mapped_column(Boolean)
    half_enabled: Mapped[bool | None] = mapped_column(Boolean)
    year_enabled: Mapped[bool | None] = mapped_column(Boolean)
    offsets: Mapped[str | None] = mapped_column(String(40))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime]


class AuditEntry(Base):
    """One change or request, kept for accountability (``djbot audit --org ID``).

    ``action`` is a dotted name (``record.create``, ``record.delete``, ``role.grant``,
    ``invite.create``, ``report.request``, ``deadline.change``, ``records.import``,
    ``organization.create``); ``target`` names what it touched (``activity_record:12``);
    ``details`` holds the values that matter (the record's type and date, the period asked for).
    Entries outlive the members and records they mention (their ids are set to NULL on delete).
    """

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_org_time", "organization_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL")
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(100), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    channel: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime]


class EvidenceKind(enum.StrEnum):
    """What an evidence file is: a photo (an image) or another file (a PDF, a Word document)."""

    PHOTO = "photo"
    FILE = "file"


class Evidence(Base):
    """One evidence file (佐证材料) of an activity record: a photo of the activity, a scanned
    sign-in sheet, the minutes.

    The file itself is in the media store (``storage.media``) under ``storage_key``, which is
    derived from ``sha256`` (of the stored bytes, after metadata removal): one stored file may
    back several rows (the same photo on two records). A record holds each file once (unique
    record and hash). ``size`` is in bytes; ``width``/``height`` in pixels for photos.
    ``filename`` is the name shown (the sender's, or one made from the date for photos).
    """

    __tablename__ = "evidence"
    __table_args__ = (
        UniqueConstraint("record_id", "sha256"),
        Index("ix_evidence_org_created", "organization_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("activity_records.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[EvidenceKind] = mapped_column(_enum(EvidenceKind, "evidence_kind"))
    filename: Mapped[str] = mapped_column(String(200))
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    source_channel: Mapped[str] = mapped_column(String(20), default="")
    source_message_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]


class AttendanceStatus(enum.StrEnum):
    """A person's place on a record's attendee list: present (出席) or on leave (请假).
    Absence (缺席) is not stored: it is a member of the branch missing from a list."""

    ATTENDED = "attended"
    LEAVE = "leave"


class RecordAttendee(Base):
    """One name on an activity record's attendee list (参加人员 / 请假人员).

    ``member_id`` is the branch member the name was matched to, or ``None`` for a name that
    matched nobody (a guest, a typo the author kept); ``name`` is as written. A record with at
    least one row "has an attendee list": only such records count absences
    (``bot.domain.attendance``).
    """

    __tablename__ = "record_attendees"
    __table_args__ = (UniqueConstraint("record_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("activity_records.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[AttendanceStatus] = mapped_column(
        _enum(AttendanceStatus, "attendance_status"), default=AttendanceStatus.ATTENDED
    )


class SigninStatus(enum.StrEnum):
    """A sign-in (签到) is open for presses, or closed by 结束."""

    OPEN = "open"
    CLOSED = "closed"


class Signin(Base):
    """A sign-in started by ``/签到`` in a group chat or privately (then each member got a card).

    ``token`` authenticates the sign-in's buttons (every member presses the same card in a
    group, so it cannot be a per-user conversation token). ``channel``/``chat_id`` are where it
    was started; ``occurred_on`` the local date it was started.
    """

    __tablename__ = "signins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    activity_type: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(200), default="")
    occurred_on: Mapped[date] = mapped_column(Date)
    token: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    in_group: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[SigninStatus] = mapped_column(
        _enum(SigninStatus, "signin_status"), default=SigninStatus.OPEN
    )
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class SigninMark(Base):
    """One member's press on a sign-in: 签到 (attended) or 请假 (leave). The first press counts;
    a second one changes nothing (unique sign-in and member)."""

    __tablename__ = "signin_marks"
    __table_args__ = (UniqueConstraint("signin_id", "member_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    signin_id: Mapped[int] = mapped_column(ForeignKey("signins.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    status: Mapped[AttendanceStatus] = mapped_column(_enum(AttendanceStatus, "attendance_status"))
    marked_at: Mapped[datetime]
