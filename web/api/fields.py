"""Marshmallow fields and a base schema whose shape/type errors are in Japanese.

Shapes and types are checked here; the content (codes, lengths, HTML, ranges) is checked by the services,
whose messages name the field and the fix.
"""
from __future__ import annotations

import re
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields
from marshmallow.validate import Length, Validator

from web.services.validation import CONTROL_CHARS, INVISIBLE_CHARS

COMMON_MESSAGES = {
    "required": "必須の項目です。",
    "null": "null は指定できません。",
    "validator_failed": "値が正しくありません。",
}


def _japanese(kwargs: dict[str, Any], **messages: str) -> dict[str, Any]:
    """Return field kwargs with Japanese error messages (messages passed by the caller still win)."""
    return {**kwargs, "error_messages": {**COMMON_MESSAGES, **messages, **kwargs.get("error_messages", {})}}


def _ecma_escaped(chars: str) -> str:
    """Write a character class body with \\uXXXX escapes, the same in ECMA (JSON Schema) and Python regexes."""
    return "".join(c if c == "-" else f"\\u{ord(c):04x}" for c in chars)


_REFUSED = CONTROL_CHARS + INVISIBLE_CHARS
#: A text without control or invisible characters (NUL included). The forms drop them silently; the API refuses
#: them, so the length a client counts is the length the service checks.
PLAIN_TEXT = f"^[^{_ecma_escaped(_REFUSED)}]*$"


class PlainText(Validator):
    """Refuse what PLAIN_TEXT excludes, so the document's pattern is what is enforced."""

    error = "制御文字や見えない文字（ゼロ幅文字・文字の向きを変える制御文字）は使えません。取り除いてから送ってください。"
    _pattern = re.compile(f"[^{_REFUSED}]*")

    def __call__(self, value: str) -> str:
        if not self._pattern.fullmatch(value):
            raise ValidationError(self.error)
        return value


#: Characters a tag (a skill, a certificate) cannot hold: the separators the forms split on, and HTML brackets.
_TAG_REFUSED = "<>,，、"
#: One tag: plain text without separators or HTML brackets.
TAG_TEXT = f"^[^{_ecma_escaped(_REFUSED + _TAG_REFUSED)}]*$"


class TagText(PlainText):
    """Refuse what TAG_TEXT excludes (a tag is one item: no separators, no HTML brackets, plain text)."""

    error = ("1件ずつ配列の要素にしてください。区切り文字（, 、）、「<」「>」、制御文字や見えない文字は使えません。")
    _pattern = re.compile(f"[^{_REFUSED}{_TAG_REFUSED}]*")


class Text(fields.String):
    """A JSON string; without a pattern or enum of its own it must be plain text (PLAIN_TEXT)."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = kwargs.pop("metadata", None) or {}
        if "pattern" not in metadata and "enum" not in metadata:
            metadata = {**metadata, "pattern": PLAIN_TEXT}
            validate = kwargs.pop("validate", None)
            kwargs["validate"] = [PlainText(), *([] if validate is None else
                                                 validate if isinstance(validate, list) else [validate])]
        super().__init__(metadata=metadata, **_japanese(kwargs, invalid="文字列で指定してください。",
                                                        invalid_utf8="UTF-8の文字列で指定してください。"))


class Secret(fields.String):
    """A password: any characters but NUL, at most 256 (emoji sequences with U+200D are fine in a password).

    Lone surrogates and NUL are refused for every JSON string before the schema runs (errors.check_json_body).
    """

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"format": "password", "pattern": "^[^\\u0000]*$", **(kwargs.pop("metadata", None) or {})}
        kwargs.setdefault("validate", text_length(kwargs.pop("label", "パスワード"), maximum=256))
        super().__init__(metadata=metadata, **_japanese(kwargs, invalid="文字列で指定してください。"))


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


def text_length(label: str, minimum: int | None = None, maximum: int | None = None) -> Length:
    """Check a text's length in the schema, so the OpenAPI document says it (minLength/maxLength).

    The messages are the services' (which check again after trimming): they name the field and the fix.
    """
    return _CountingLength(minimum, maximum, empty=f"{label}を入力してください。",
                           short=f"{label}は{{min}}文字以上で入力してください（現在{{length}}文字）。",
                           long=f"{label}は{{max}}文字以内で入力してください（現在{{length}}文字）。")


def item_count(label: str, minimum: int | None = None, maximum: int | None = None) -> Length:
    """Check a list's length in the schema (minItems/maxItems in the OpenAPI document)."""
    return _CountingLength(minimum, maximum, empty=f"{label}を{{min}}つ以上選んでください。",
                           short=f"{label}を{{min}}つ以上選んでください。",
                           long=f"{label}は{{max}}件まで選べます（現在{{length}}件）。")


class _CountingLength(Length):
    """marshmallow's Length with a message per case, quoting the current length (never the value itself)."""

    def __init__(self, minimum: int | None, maximum: int | None, *, empty: str, short: str, long: str) -> None:
        super().__init__(min=minimum, max=maximum)
        self.empty, self.short, self.long = empty, short, long

    def _format_error(self, value: Any, message: str) -> str:
        if self.max is not None and len(value) > self.max:
            template = self.long
        else:
            template = self.empty if not value else self.short
        return template.format(length=len(value), min=self.min, max=self.max)


class Digits(Validator):
    """Exactly `count` ASCII digits, as the pattern ^[0-9]{count}$ of the OpenAPI document says.

    An empty string is refused too (the services would read it as "not given").
    """

    def __init__(self, count: int, error: str) -> None:
        self.count, self.error = count, error
        self._pattern = re.compile(f"[0-9]{{{count}}}")

    def __call__(self, value: str) -> str:
        if not self._pattern.fullmatch(value):
            raise ValidationError(self.error)
        return value
