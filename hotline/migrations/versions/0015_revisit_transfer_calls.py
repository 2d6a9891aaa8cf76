"""calls.revisit_ticket_number: a revisit call the citizen sent to the operators with 0

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite has it): batch mode would copy and drop `calls`, which the
    # foreign keys of a database holding calls refuse.
    op.add_column("calls", sa.Column("revisit_ticket_number", sa.String(length=20), nullable=True))


def downgrade() -> None:
    op.drop_column("calls", "revisit_ticket_number")
