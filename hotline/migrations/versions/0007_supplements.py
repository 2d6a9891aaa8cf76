"""补正 and 容缺受理 (Art. 18, 20): the one-time notice of what a department still needs, and the wait

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("supplement_due", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("supplement_since", sa.DateTime(), nullable=True))
        batch.add_column(
            sa.Column("supplement_asked", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column(
                "supplement_tolerated", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.create_table(
        "ticket_supplements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(length=16), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("tolerated", sa.Boolean(), nullable=False),
        sa.Column("commitment", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("due", sa.DateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("ended_by", sa.String(length=64), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_ticket_supplements_department_code_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_supplements_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_supplements")),
    )
    op.create_index(
        op.f("ix_ticket_supplements_ticket_id"), "ticket_supplements", ["ticket_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ticket_supplements_ticket_id"), table_name="ticket_supplements")
    op.drop_table("ticket_supplements")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("supplement_tolerated")
        batch.drop_column("supplement_asked")
        batch.drop_column("supplement_since")
        batch.drop_column("supplement_due")
