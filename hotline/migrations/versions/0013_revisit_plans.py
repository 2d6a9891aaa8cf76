"""revisit plans and attempts (智能回访); tickets.no_automated_revisit

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite has it): batch mode would copy and drop `tickets`, which
    # the foreign keys of a database holding tickets refuse.
    op.add_column(
        "tickets",
        sa.Column("no_automated_revisit", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "revisit_plans",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("handled_by", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("earliest", sa.DateTime(), nullable=False),
        sa.Column("latest", sa.DateTime(), nullable=False),
        sa.Column("next_at", sa.DateTime(), nullable=True),
        sa.Column("attempts_left", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_revisit_plans_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revisit_plans")),
    )
    op.create_index(
        "ix_revisit_plans_status_next_at", "revisit_plans", ["status", "next_at"], unique=False
    )
    op.create_index(
        op.f("ix_revisit_plans_ticket_id"), "revisit_plans", ["ticket_id"], unique=False
    )
    op.create_table(
        "revisit_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("solved", sa.Boolean(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["revisit_plans.id"],
            name=op.f("fk_revisit_attempts_plan_id_revisit_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_revisit_attempts_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revisit_attempts")),
    )
    op.create_index(
        op.f("ix_revisit_attempts_plan_id"), "revisit_attempts", ["plan_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_revisit_attempts_plan_id"), table_name="revisit_attempts")
    op.drop_table("revisit_attempts")
    op.drop_index(op.f("ix_revisit_plans_ticket_id"), table_name="revisit_plans")
    op.drop_index("ix_revisit_plans_status_next_at", table_name="revisit_plans")
    op.drop_table("revisit_plans")
    op.drop_column("tickets", "no_automated_revisit")
