"""revisit links: the one-time, expiring text-message links (智能回访, sms)

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "revisit_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["revisit_attempts.id"],
            name=op.f("fk_revisit_links_attempt_id_revisit_attempts"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["revisit_plans.id"], name=op.f("fk_revisit_links_plan_id_revisit_plans")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_revisit_links_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revisit_links")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_revisit_links_token_digest")),
    )
    op.create_index(
        op.f("ix_revisit_links_attempt_id"), "revisit_links", ["attempt_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_revisit_links_attempt_id"), table_name="revisit_links")
    op.drop_table("revisit_links")
