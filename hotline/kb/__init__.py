"""Knowledge base for first-call answers; duplicate, repeat-caller and hot-topic detection."""

from __future__ import annotations

from hotline.kb.intake import on_ticket_action, on_ticket_created
from hotline.kb.search import index_of
from hotline.services import Services


def install(services: Services) -> None:
    """Register the ticket hooks and the search index on the services; safe to call twice."""
    if on_ticket_created not in services.ticket_created_hooks:
        services.ticket_created_hooks.append(on_ticket_created)
    if on_ticket_action not in services.ticket_action_hooks:
        services.ticket_action_hooks.append(on_ticket_action)
    index_of(services)
