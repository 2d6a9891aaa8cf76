"""Domain errors: each has a machine-readable code, a Chinese message and an HTTP status."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# The database is down or out of connections: nothing was written, the request may be
# repeated (503 with Retry-After, whichever router the request is in).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
RETRY_AFTER_SECONDS = 5


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


class ErrorOut(BaseModel):
    """Every error's body: a machine code and a Chinese message, and perhaps more (field, …)."""

    model_config = ConfigDict(extra="allow")
    code: str = Field(description="机器可读的错误代码")
    message: str = Field(description="中文说明")


_ERROR_MEANINGS = {
    400: "请求体不是合法的 JSON 或表单",
    401: "未登录或登录已失效",
    403: "当前角色无权访问",
    404: "资源不存在（或不属于本部门）",
    409: "状态不允许该操作，或版本已过期",
    413: "上传的文件过大",
    422: "参数不正确",
    429: "请求过于频繁或核验失败次数过多：`Retry-After` 秒后再试（code too_many_requests）",
    503: "数据库或消息总线暂不可用，稍后再试（Retry-After）",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses=` for the error statuses a router answers with."""
    return {
        status: {"model": ErrorOut, "description": _ERROR_MEANINGS[status]} for status in statuses
    }


# Routes behind a login; the public's routes need none but are throttled.
STAFF_ERRORS = error_responses(400, 401, 403, 404, 409, 422, 503)
PUBLIC_ERRORS = error_responses(400, 404, 409, 422, 429, 503)
