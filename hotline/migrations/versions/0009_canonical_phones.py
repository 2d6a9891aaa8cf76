"""one stored form for each phone number

Revision ID: 0009
Revises: 0008

Until this revision a number was stored much as it was typed: ``0373-5551234`` beside
``03735551234``, ``013800138000`` beside ``13800138000``, and calls kept the caller ID as the trunk
presented it (``+8613800138000``, ``013800138000``). One citizen was several numbers in the
history, the repeat-caller check and the look-ups. This rewrites tickets, repeat calls and calls
to the one form ``hotline.phones`` now stores; what is not a Chinese number stays as it was.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from hotline.phones import caller_id

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = "0002"  # calls.caller

PHONE_COLUMNS = (
    ("tickets", "citizen_phone"),
    ("repeat_calls", "citizen_phone"),
    ("calls", "caller"),
)


def upgrade() -> None:
    connection = op.get_bind()
    for table_name, column_name in PHONE_COLUMNS:
        table = sa.table(table_name, sa.column(column_name, sa.String))
        column = table.c[column_name]
        # One UPDATE per distinct number written another way, not one per row.
        for (stored,) in connection.execute(sa.select(column).distinct()).all():
            canonical = caller_id(stored)
            if canonical != stored:
                connection.execute(
                    table.update().where(column == stored).values({column_name: canonical})
                )


def downgrade() -> None:
    """Nothing to undo: every stored form was accepted by the versions before."""
