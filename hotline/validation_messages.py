"""Requests the API's models refuse, said in Chinese: which field, and which limit.

FastAPI reports a refused request as pydantic's errors (type, location, English text and the
limit in ``ctx``). Each is said again here from its type and ``ctx`` — the English text is never
shown — under the field's Chinese label (its name where no label is known). The response is the
API's usual error: ``{"code": "invalid_input", "message", "field", "errors": [{field, problem}]}``,
or 400 ``malformed_json`` for a body that is not JSON.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

# The fields of the API's requests by the names the pages give them.
FIELD_LABELS: dict[str, str] = {
    # tickets and the public's requests
    "content": "诉求内容",
    "citizen_phone": "来电号码",
    "citizen_name": "姓名",
    "real_name": "是否实名",
    "type": "类型",
    "division": "区县",
    "urgency": "紧急程度",
    "channel": "受理渠道",
    "address": "地址",
    "on_behalf_of": "代为反映人",
    "matter_category": "事项类别",
    "priority": "绿色通道",
    "priority_reason": "绿色通道原因",
    "call_id": "来电记录",
    "department": "承办单位",
    "phone": "手机号",
    "rating": "评价",
    "solved": "是否解决",
    "satisfaction": "满意度",
    "note": "备注",
    "number": "工单号",
    "ticket_id": "工单编号",
    "action": "操作",
    "version": "版本号",
    # lists and figures
    "status": "状态",
    "overdue": "是否超期",
    "supervised": "是否督办",
    "start": "开始日期",
    "end": "结束日期",
    "q": "关键词",
    "page": "页码",
    "page_size": "每页条数",
    "by": "统计维度",
    "within_days": "回访时限（工作日）",
    "format": "导出格式",
    "since": "起始时间",
    "limit": "条数上限",
    # calls and agents
    "state": "通话状态",
    "operator": "话务员",
    "target": "转接目标",
    "mode": "转接方式",
    "paused": "示忙",
    "reason": "原因",
    "recording": "录音文件",
    "stream_uuid": "语音流编号",
    "text": "文本",
    # knowledge base
    "entry_id": "知识条目编号",
    "alert_id": "热点预警编号",
    "title": "标题",
    "questions": "常见问法",
    "answer": "答复口径",
    "conditions": "办理条件",
    "materials": "所需材料",
    "location": "办理地点",
    "fees": "收费标准",
    "time_limit": "办理时限",
    "owner": "负责人",
    "review_due": "复核日期",
    "valid_from": "生效日期",
    "valid_to": "失效日期",
    # directory, users, calendar
    "code": "代码",
    "name": "名称",
    "kind": "类别",
    "scope": "职责范围",
    "active": "是否启用",
    "parent_code": "上级代码",
    "division_code": "区县代码",
    "unit": "承办单位",
    "username": "用户名",
    "password": "密码",
    "display_name": "姓名",
    "role": "角色",
    "extension": "分机号",
    "year": "年份",
    "day": "日期",
    "days": "日期",
    "is_workday": "是否工作日",
}
# Where FastAPI found the value; not part of the field's name.
_SOURCES = frozenset({"body", "query", "path", "header", "cookie"})
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")
# A query parameter's choices written as a pattern: ^(csv|xlsx)$.
_ALTERNATIVES = re.compile(r"\^\(([\w-]+(?:\|[\w-]+)+)\)\$")


def field_name(location: Sequence[Any]) -> str:
    """``questions.2`` for ``("body", "questions", 2)``; ``""`` for the whole body."""
    parts = list(location)
    if parts and parts[0] in _SOURCES:
        parts = parts[1:]
    return ".".join(str(part) for part in parts)


def field_label(location: Sequence[Any]) -> str:
    """常见问法第 3 项 for ``questions.2``; 请求体 for the whole body."""
    parts = [part for part in location if part not in _SOURCES] if location else []
    if not parts:
        return "请求体"
    label = ""
    for part in parts:
        if isinstance(part, int):
            label += f"第 {part + 1} 项"
        else:
            label += ("的" if label else "") + FIELD_LABELS.get(str(part), str(part))
    return label


def _choices(expected: Any) -> str:
    """pydantic's "'a', 'b' or 'c'" as a、b、c."""
    found = _QUOTED.findall(str(expected))
    return "、".join(found) if found else str(expected).replace(" or ", "、")


def _pattern(pattern: Any) -> str:
    choices = _ALTERNATIVES.fullmatch(str(pattern))
    return f"必须是以下之一：{choices[1].replace('|', '、')}" if choices else "格式不正确"


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _length(minimum: Any, unit: str) -> str:
    return "不能为空" if minimum == 1 else f"至少 {minimum} {unit}"


DATE = "必须是日期，如 2026-11-23"
DATETIME = "必须是日期时间，如 2026-11-23 09:00"
# pydantic's error types (pydantic_core ErrorType); each gets its ctx.
PROBLEMS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "missing": lambda _: "必须填写",
    "string_too_short": lambda c: _length(c.get("min_length"), "个字"),
    "string_too_long": lambda c: f"不能超过 {c.get('max_length')} 个字",
    "string_type": lambda _: "必须是文字",
    "string_unicode": lambda _: "必须是文字",
    "string_pattern_mismatch": lambda c: _pattern(c.get("pattern")),
    "int_type": lambda _: "必须是整数",
    "int_parsing": lambda _: "必须是整数",
    "int_from_float": lambda _: "必须是整数，不能带小数",
    "int_parsing_size": lambda _: "超出了允许的范围",
    "float_type": lambda _: "必须是数字",
    "float_parsing": lambda _: "必须是数字",
    "finite_number": lambda _: "必须是有限的数字",
    "decimal_type": lambda _: "必须是数字",
    "decimal_parsing": lambda _: "必须是数字",
    "bool_type": lambda _: "必须是“是”或“否”（布尔值）",
    "bool_parsing": lambda _: "必须是“是”或“否”（布尔值）",
    "greater_than": lambda c: f"必须大于 {_number(c.get('gt'))}",
    "greater_than_equal": lambda c: f"不能小于 {_number(c.get('ge'))}",
    "less_than": lambda c: f"必须小于 {_number(c.get('lt'))}",
    "less_than_equal": lambda c: f"不能大于 {_number(c.get('le'))}",
    "multiple_of": lambda c: f"必须是 {_number(c.get('multiple_of'))} 的倍数",
    "enum": lambda c: f"必须是以下之一：{_choices(c.get('expected'))}",
    "literal_error": lambda c: f"必须是以下之一：{_choices(c.get('expected'))}",
    "list_type": lambda _: "必须是列表",
    "tuple_type": lambda _: "必须是列表",
    "set_type": lambda _: "必须是列表",
    "too_short": lambda c: _length(c.get("min_length"), "项"),
    "too_long": lambda c: f"最多 {c.get('max_length')} 项",
    "dict_type": lambda _: "必须是对象（键值对）",
    "model_type": lambda _: "必须是对象（键值对）",
    "model_attributes_type": lambda _: "必须是对象（键值对）",
    "json_type": lambda _: "必须是合法的 JSON 文本",
    "extra_forbidden": lambda _: "不是可接受的字段",
    "date_type": lambda _: DATE,
    "date_parsing": lambda _: DATE,
    "date_from_datetime_parsing": lambda _: DATE,
    "date_from_datetime_inexact": lambda _: DATE + "（不带时间）",
    "date_future": lambda _: "必须是将来的日期",
    "date_past": lambda _: "必须是过去的日期",
    "datetime_type": lambda _: DATETIME,
    "datetime_parsing": lambda _: DATETIME,
    "datetime_from_date_parsing": lambda _: DATETIME,
    "datetime_object_invalid": lambda _: DATETIME,
    "time_type": lambda _: "必须是时间，如 09:00",
    "time_parsing": lambda _: "必须是时间，如 09:00",
    "timedelta_type": lambda _: "必须是时长",
    "timedelta_parsing": lambda _: "必须是时长",
    "uuid_type": lambda _: "格式不正确（应为通用唯一识别码）",
    "uuid_parsing": lambda _: "格式不正确（应为通用唯一识别码）",
    "bytes_type": lambda _: "必须是文件或文字",
    "bytes_too_long": lambda c: f"不能超过 {c.get('max_length')} 字节",
    "url_parsing": lambda _: "必须是网址",
    "url_type": lambda _: "必须是网址",
    "none_required": lambda _: "必须留空",
    "is_instance_of": lambda _: "类型不正确",
}


def problem(error: Mapping[str, Any]) -> str:
    """What is wrong with the value, in Chinese; 取值不正确 for a type not listed."""
    described = PROBLEMS.get(str(error.get("type")))
    return described(error.get("ctx") or {}) if described else "取值不正确"


async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return JSONResponse(
            {"code": "malformed_json", "message": "请求体不是合法的 JSON"}, status_code=400
        )
    said = [
        (field_name(e.get("loc", ())), field_label(e.get("loc", ())), problem(e)) for e in errors
    ]
    return JSONResponse(
        {
            "code": "invalid_input",
            "message": "请求参数不正确：" + "；".join(label + text for _, label, text in said),
            "field": said[0][0] if said else "",
            "errors": [{"field": field, "problem": label + text} for field, label, text in said],
        },
        status_code=422,
    )
