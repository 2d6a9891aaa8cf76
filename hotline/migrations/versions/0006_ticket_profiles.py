"""ticket profiles: each ticket's words and places, stored once, with their inverted indexes

Revision ID: 0006
Revises: 0003

Tickets filed before this revision get their profile the first time duplicate or repeat-call
detection needs it (hotline.kb.profiles), so the upgrade itself copies nothing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_profiles",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("places", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_profiles_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_profiles")),
    )
    op.create_table(
        "ticket_terms",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_terms_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", "term", name=op.f("pk_ticket_terms")),
    )
    op.create_index("ix_ticket_terms_term", "ticket_terms", ["term", "ticket_id"], unique=False)
    op.create_table(
        "ticket_places",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_places_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", "place", name=op.f("pk_ticket_places")),
    )
    op.create_index("ix_ticket_places_place", "ticket_places", ["place", "ticket_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_ticket_places_place", table_name="ticket_places")
    op.drop_table("ticket_places")
    op.drop_index("ix_ticket_terms_term", table_name="ticket_terms")
    op.drop_table("ticket_terms")
    op.drop_table("ticket_profiles")
