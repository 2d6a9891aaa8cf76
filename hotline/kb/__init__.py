"""Knowledge base for first-call answers; duplicate, repeat-caller and hot-topic detection."""

from __future__ import annotations

import logging
import threading

from hotline.kb.intake import on_ticket_action, on_ticket_created
from hotline.kb.search import index_of
from hotline.services import Services

log = logging.getLogger(__name__)


def install(services: Services) -> None:
    """Register the ticket hooks and the search index on the services; safe to call twice."""
    if on_ticket_created not in services.ticket_created_hooks:
        services.ticket_created_hooks.append(on_ticket_created)
    if on_ticket_action not in services.ticket_action_hooks:
        services.ticket_action_hooks.append(on_ticket_action)
    index = index_of(services)

    def warm_up() -> None:
        """Build the search index now, so the operator's first search does not wait for it."""
        try:
            with services.sessions() as session:
                index.current(session)
        except Exception:  # an unmigrated database: the first search builds it instead
            log.warning("knowledge-base index not built at start", exc_info=True)

    threading.Thread(target=warm_up, name="kb-index-warm-up", daemon=True).start()
