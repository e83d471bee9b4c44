"""evidence files, attendee lists and sign-ins (issue 16)

Tables evidence (佐证材料 of activity records; the files are in the media store),
record_attendees (参加人员 / 请假人员 of a record), signins and signin_marks (签到).

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-01 23:53:45.976284
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("activity_type", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("token", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("chat_id", sa.String(length=100), nullable=False),
        sa.Column("in_group", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "closed",
                name="signin_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["members.id"],
            name=op.f("fk_signins_created_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_signins_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signins")),
    )
    with op.batch_alter_table("signins", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signins_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "photo",
                "file",
                name="evidence_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("source_channel", sa.String(length=20), nullable=False),
        sa.Column("source_message_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_evidence_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["activity_records.id"],
            name=op.f("fk_evidence_record_id_activity_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["members.id"],
            name=op.f("fk_evidence_uploaded_by_id_members"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
        sa.UniqueConstraint("record_id", "sha256", name=op.f("uq_evidence_record_id_sha256")),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index(
            "ix_evidence_org_created", ["organization_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_evidence_record_id"), ["record_id"], unique=False)

    op.create_table(
        "record_attendees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "attended",
                "leave",
                name="attendance_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_record_attendees_member_id_members"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["activity_records.id"],
            name=op.f("fk_record_attendees_record_id_activity_records"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_attendees")),
        sa.UniqueConstraint(
            "record_id", "member_id", name=op.f("uq_record_attendees_record_id_member_id")
        ),
    )
    with op.batch_alter_table("record_attendees", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_record_attendees_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_record_attendees_record_id"), ["record_id"], unique=False
        )

    op.create_table(
        "signin_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signin_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "attended",
                "leave",
                name="attendance_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("marked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_signin_marks_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signin_id"],
            ["signins.id"],
            name=op.f("fk_signin_marks_signin_id_signins"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_marks")),
        sa.UniqueConstraint(
            "signin_id", "member_id", name=op.f("uq_signin_marks_signin_id_member_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("signin_marks")
    with op.batch_alter_table("record_attendees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_attendees_record_id"))
        batch_op.drop_index(batch_op.f("ix_record_attendees_member_id"))

    op.drop_table("record_attendees")
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_record_id"))
        batch_op.drop_index("ix_evidence_org_created")

    op.drop_table("evidence")
    with op.batch_alter_table("signins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signins_organization_id"))

    op.drop_table("signins")
