"""group robot reminders

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 23:01:38.886528
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "group_reminder_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "deadline",
                "monthly",
                name="reminder_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("offset_days", sa.Integer(), nullable=False),
        sa.Column("remind_on", sa.Date(), nullable=False),
        sa.Column("periods", sa.String(length=60), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "claimed",
                "sent",
                "failed",
                "skipped",
                "expired",
                name="reminder_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_group_reminder_sends_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_reminder_sends")),
        sa.UniqueConstraint(
            "organization_id", "kind", "deadline", "offset_days", name="uq_group_reminder_sends_key"
        ),
    )
    with op.batch_alter_table("group_reminder_sends", schema=None) as batch_op:
        batch_op.create_index(
            "ix_group_reminder_sends_day_status", ["remind_on", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("group_reminder_sends", schema=None) as batch_op:
        batch_op.drop_index("ix_group_reminder_sends_day_status")

    op.drop_table("group_reminder_sends")
