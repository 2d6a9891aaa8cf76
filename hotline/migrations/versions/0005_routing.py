"""routing labels: dispatchers' corrections of the classifier's suggestion

Revision ID: 0005
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routing_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("suggested", sa.String(length=16), nullable=True),
        sa.Column("final", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_routing_labels_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_labels")),
    )
    op.create_index("ix_routing_labels_at", "routing_labels", ["at"], unique=False)
    op.create_index(
        op.f("ix_routing_labels_ticket_id"), "routing_labels", ["ticket_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_routing_labels_ticket_id"), table_name="routing_labels")
    op.drop_index("ix_routing_labels_at", table_name="routing_labels")
    op.drop_table("routing_labels")
