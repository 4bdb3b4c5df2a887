"""Marshmallow fields and a base schema whose shape/type errors are in Japanese.

Shapes and types are checked here; the content (codes, lengths, HTML, ranges) is checked by the services,
whose messages name the field and the fix.
"""
from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields

COMMON_MESSAGES = {
    "required": "必須の項目です。",
    "null": "null は指定できません。",
    "validator_failed": "値が正しくありません。",
}


def _japanese(kwargs: dict[str, Any], **messages: str) -> dict[str, Any]:
    """Return field kwargs with Japanese error messages (messages passed by the caller still win)."""
    return {**kwargs, "error_messages": {**COMMON_MESSAGES, **messages, **kwargs.get("error_messages", {})}}


class Text(fields.String):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_japanese(kwargs, invalid="文字列で指定してください。",
                                     invalid_utf8="UTF-8の文字列で指定してください。"))


class WholeNumber(fields.Integer):
    """A JSON integer; strings such as "6" or full-width "６" are refused (the OpenAPI type is integer)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **_japanese(kwargs, invalid="整数（例: 6）で指定してください。文字列は使えません。",
                                                  too_large="数が大きすぎます。"))


class RealNumber(fields.Float):
    """A finite JSON number (integer or decimal); strings, booleans, NaN and overflowing numbers are refused."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_nan=False, **_japanese(kwargs, invalid="数値（例: 43.06）で指定してください。文字列は使えません。",
                                                      special="有限の数値で指定してください。", too_large="数が大きすぎます。"))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)  # type: ignore[no-any-return]


class QueryNumber(fields.Integer):
    """An integer query parameter (query strings are text, so this one is not strict)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_japanese(kwargs, invalid="半角数字の整数で指定してください。", too_large="数が大きすぎます。"))


class Flag(fields.Boolean):
    """A JSON boolean only (marshmallow would otherwise also take "yes", "on", 1 ...)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_japanese(kwargs, invalid="true または false で指定してください。"))

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Items(fields.List):
    def __init__(self, inner: fields.Field, **kwargs: Any) -> None:
        super().__init__(inner, **_japanese(kwargs, invalid="配列で指定してください。"))


class Object(fields.Nested):
    def __init__(self, nested: type[Schema], **kwargs: Any) -> None:
        super().__init__(nested, **_japanese(kwargs, type="オブジェクトで指定してください。"))


class SortedList(fields.List):
    """Dump a collection (often a set) as a sorted list, so responses are deterministic."""

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> list[Any] | None:
        items = super()._serialize(value, attr, obj, **kwargs)
        return None if items is None else sorted(items)


class StrictSchema(Schema):
    """A request body: unknown or read-only fields are refused with 422, nothing is silently dropped."""

    class Meta:
        unknown = RAISE

    # marshmallow merges this class attribute into each instance's messages.
    error_messages = {  # noqa: RUF012
        "unknown": "この項目は受け付けていません（項目名の誤りか、変更できない項目です）。",
        "type": "JSONオブジェクトで送ってください。",
    }


def required(label: str, field: str, **kwargs: Any) -> dict[str, Any]:
    """Return field kwargs that make it required, with a message naming the field."""
    return {"required": True, "error_messages": {"required": f"{label}（{field}）を指定してください。"}, **kwargs}
