"""Domain errors: each has a machine-readable code, a Chinese message and an HTTP status."""

from __future__ import annotations

from typing import Any


class HotlineError(Exception):
    status = 400
    code = "bad_request"
    headers: dict[str, str] | None = None  # e.g. Retry-After

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.extra}


class InvalidInput(HotlineError):
    status = 422
    code = "invalid_input"


class Unauthorized(HotlineError):
    status = 401
    code = "unauthorized"


class Forbidden(HotlineError):
    status = 403
    code = "forbidden"


class NotFound(HotlineError):
    status = 404
    code = "not_found"


class Conflict(HotlineError):
    status = 409
    code = "conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class StaleVersion(Conflict):
    code = "stale_version"
