"""end the dispatches that withdrawn and merged tickets left open

Revision ID: 0008
Revises: 0007

Until this revision a 撤件 or 合并 left the ticket's dispatch open, so once its deadlines passed
the department was counted late for a ticket no longer in its inbox. From now on the workflow
ends it; this ends the ones already left open, at the moment the ticket was closed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    tickets = sa.table(
        "tickets", sa.column("id"), sa.column("status"), sa.column("closed_at", sa.DateTime)
    )
    dispatches = sa.table(
        "dispatches",
        sa.column("ticket_id"),
        sa.column("ended_at", sa.DateTime),
        sa.column("outcome", sa.String),
    )

    def of_the_ticket(column: sa.ColumnClause) -> sa.ScalarSelect:
        return sa.select(column).where(tickets.c.id == dispatches.c.ticket_id).scalar_subquery()

    op.execute(
        dispatches.update()
        .where(
            dispatches.c.ended_at.is_(None),
            dispatches.c.ticket_id.in_(
                sa.select(tickets.c.id).where(tickets.c.status.in_(["withdrawn", "merged"]))
            ),
        )
        .values(
            ended_at=of_the_ticket(tickets.c.closed_at), outcome=of_the_ticket(tickets.c.status)
        )
    )


def downgrade() -> None:
    """Nothing to undo: the dispatches stay ended, as the workflow now ends them."""
