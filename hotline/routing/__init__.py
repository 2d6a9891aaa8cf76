"""Routing suggestions in the app: the shared model, /api/classify, learning from corrections."""

from __future__ import annotations

from hotline.routing.router import preload
from hotline.routing.service import on_ticket_action, on_ticket_created
from hotline.services import Services


def install(services: Services) -> None:
    """Register the correction hooks and start loading the model; safe to call twice."""
    if on_ticket_created not in services.ticket_created_hooks:
        services.ticket_created_hooks.append(on_ticket_created)
    if on_ticket_action not in services.ticket_action_hooks:
        services.ticket_action_hooks.append(on_ticket_action)
    preload(services.settings.classifier_model)
