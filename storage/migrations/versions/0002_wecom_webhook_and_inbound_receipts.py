"""wecom webhook and inbound receipts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 22:22:38.281529
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_receipts")),
        sa.UniqueConstraint("channel", "key", name=op.f("uq_inbound_receipts_channel_key")),
    )
    with op.batch_alter_table("inbound_receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbound_receipts_received_at"), ["received_at"], unique=False
        )

    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wecom_webhook_url", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("wecom_webhook_url")

    with op.batch_alter_table("inbound_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_receipts_received_at"))

    op.drop_table("inbound_receipts")
