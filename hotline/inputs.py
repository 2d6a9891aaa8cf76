"""Shared input types and guards: every id, page, version, date and text the API accepts stays
within what the database columns and the date arithmetic can hold, so a hostile value is a
422 before it reaches SQL, never a 500 from the driver."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from fastapi import Request
from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError

from hotline.errors import InvalidInput

# PostgreSQL's `integer`; SQLite's would hold 2⁶³, but one bound keeps both databases alike.
INT_MAX = 2**31 - 1
MAX_PAGE_SIZE = 200
# Figures, filters and validity dates; start - 7 days and end + 1 day stay within date's range.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)

RowId = Annotated[int, Field(ge=1, le=INT_MAX, description="记录 ID")]
Version = Annotated[int, Field(ge=0, le=INT_MAX, description="版本号")]
PageSize = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE, description="每页条数")]
# Bounded so that (page - 1) × page_size stays an integer the databases accept as an OFFSET.
PageNumber = Annotated[int, Field(ge=1, le=INT_MAX // MAX_PAGE_SIZE, description="页码")]

Year = Annotated[int, Field(ge=FIRST_DAY.year, le=LAST_DAY.year, description="年份")]

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day_only(value: object) -> object:
    """Pydantic would read `0` or `"1700000000"` as a Unix time; only ISO dates are dates."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
        return value
    raise ValueError("日期须为 YYYY-MM-DD 格式")


Day = Annotated[
    date,
    BeforeValidator(_iso_day_only),
    Field(ge=FIRST_DAY, le=LAST_DAY, description="日期（YYYY-MM-DD，2000-01-01 至 2099-12-31）"),
]

_row_id = TypeAdapter(RowId)
_version = TypeAdapter(Version)


def _checked(adapter: TypeAdapter[int], value: Any, field: str, what: str) -> int:
    # bool is an int to Python and 1.0 would pass lax validation; JSON ids are whole numbers.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} 必须是整数（{what}）", field=field)
    try:
        return adapter.validate_python(value)
    except ValidationError:
        raise InvalidInput(f"{field} 超出范围（{what}）", field=field) from None


def check_row_ids(params: Mapping[str, Any], *fields: str) -> None:
    """Ids inside a free-form body (workflow parameters): whole numbers within a column's range."""
    for field in fields:
        if params.get(field) is not None:
            _checked(_row_id, params[field], field, f"1 到 {INT_MAX}")


def check_version(value: Any) -> int | None:
    return None if value is None else _checked(_version, value, "version", f"0 到 {INT_MAX}")


# A NUL may hide in JSON as an escape whose backslash is not itself escaped.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
NUL_MESSAGE = "请求中含有不允许的空字符（NUL）"


async def refuse_nul_bytes(request: Request) -> None:
    """No text the platform keeps may hold NUL: PostgreSQL refuses it in text columns, and it
    is never meant. One check for the path, the query and the body of every route; the files
    of a multipart form are binary and left alone, its text fields are checked."""
    if "\x00" in request.url.path or b"%00" in request.scope["query_string"]:
        raise InvalidInput(NUL_MESSAGE)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        form = await request.form()  # cached: the endpoint reads the same parsed form
        if any(isinstance(value, str) and "\x00" in value for value in form.values()):
            raise InvalidInput(NUL_MESSAGE)
        return
    body = await request.body()
    if b"\x00" in body or _JSON_NUL.search(body):
        raise InvalidInput(NUL_MESSAGE)
