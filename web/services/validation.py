"""Field validation shared by forms and the API; every message is Japanese and names the fix."""
from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from web.services.errors import ServiceError

_TAG = re.compile(r"<\s*/?\s*[A-Za-z!?][^>]*>")
#: Control characters no text keeps (C0 except tab and newlines, and DEL): clean_text drops them, the API refuses them.
CONTROL_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
#: Characters that reorder or hide what a reader sees (bidi embeddings, overrides, isolates and marks; zero-width
#: spaces and joiners; the BOM): clean_text drops them, so a title or name shows what it says; the API refuses them.
INVISIBLE_CHARS = "\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff"
_CONTROL = re.compile(f"[{CONTROL_CHARS}]")
_INVISIBLE = re.compile(f"[{INVISIBLE_CHARS}]")
# NUL and lone surrogates are not text: UTF-8 cannot encode a surrogate and PostgreSQL refuses NUL, so a value
# holding one is refused in every text and code field before it reaches the database or the matcher.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
#: How much of a refused value a message may quote (a message travels in flashes, hence in the cookie).
EXCERPT_LEN = 20
UNSTORABLE = ("{label}に使えない文字（NUL文字、または対になっていないサロゲート文字）が含まれています。"
              "その文字を削除して、もう一度入力してください。")
Input = TypeVar("Input")


class InvalidInput(ServiceError):
    """Input was refused; `errors` maps each field name to its Japanese messages."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors = {field: list(messages) for field, messages in errors.items()}
        super().__init__("入力内容を確認してください。")


class Checker:
    """Collect field errors, then raise them all at once."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def storable(self, field: str, label: str, value: str | None) -> str:
        """Return `value` (a text or a code), or record that it holds NUL / a lone surrogate and return it without."""
        if value is None or is_storable(value):
            return value or ""
        self.add(field, UNSTORABLE.format(label=label))
        return _UNSTORABLE.sub("", value)

    def screen(self, data: Input, label: str = "この項目") -> Input:
        """Check every string (and string in a list) of a dataclass input with `storable`; return a clean copy.

        Run first, so the rest of the validation (and any database lookup of a code) never sees NUL.
        """
        changes: dict[str, Any] = {}
        for spec in dataclasses.fields(data):  # type: ignore[arg-type]
            value = getattr(data, spec.name)
            if isinstance(value, str) and not is_storable(value):
                changes[spec.name] = self.storable(spec.name, label, value)
            elif isinstance(value, list) and not all(is_storable(v) for v in value if isinstance(v, str)):
                self.add(spec.name, UNSTORABLE.format(label=label))
                changes[spec.name] = [_UNSTORABLE.sub("", v) if isinstance(v, str) else v for v in value]
        return dataclasses.replace(data, **changes) if changes else data  # type: ignore[type-var]

    def text(self, field: str, label: str, value: str | None, *, required: bool = True,
             min_len: int = 1, max_len: int = 200) -> str:
        """Return the cleaned text, or record why it is refused."""
        if value is not None and not is_storable(value):
            self.storable(field, label, value)
            return ""
        cleaned = clean_text(value)
        if not cleaned:
            if required:
                self.add(field, f"{label}を入力してください。")
            return ""
        if _TAG.search(cleaned):
            self.add(field, f"{label}にHTMLタグは使えません。「<」「>」は全角（＜＞）で入力してください。")
        elif len(cleaned) < min_len:
            self.add(field, f"{label}は{min_len}文字以上で入力してください（現在{len(cleaned)}文字）。")
        elif len(cleaned) > max_len:
            self.add(field, f"{label}は{max_len}文字以内で入力してください（現在{len(cleaned)}文字）。")
        return cleaned

    def choice(self, field: str, label: str, value: str | None, allowed: Mapping[str, str]) -> str:
        if not value:
            self.add(field, f"{label}を選んでください。")
        elif value not in allowed:
            self.add(field, f"{label}の値「{excerpt(value)}」は選べません。一覧から選んでください。")
            return ""
        return value

    def choices(self, field: str, label: str, values: Iterable[str] | None, allowed: Mapping[str, str],
                *, minimum: int = 1) -> list[str]:
        picked = list(dict.fromkeys(values or []))
        unknown = [v for v in picked if v not in allowed]
        if unknown:
            shown = "、".join(excerpt(v) for v in unknown[:3]) + ("、…" if len(unknown) > 3 else "")
            self.add(field, f"{label}に選べない値があります: {shown}。一覧から選んでください。")
            return [v for v in picked if v in allowed]
        if len(picked) < minimum:
            self.add(field, f"{label}を{minimum}つ以上選んでください。")
        return picked

    def integer(self, field: str, label: str, value: object, low: int, high: int) -> int:
        number = parse_integer(value)
        if number is None:
            self.add(field, f"{label}は半角数字で入力してください（例: {low}）。")
            return low
        if not low <= number <= high:
            self.add(field, f"{label}は{low}から{high}の間で入力してください。")
        return number

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)


def is_storable(value: str) -> bool:
    """Tell whether a string holds neither NUL nor a lone surrogate (see `Checker.storable`)."""
    return _UNSTORABLE.search(value) is None


def find_unstorable(data: object) -> list[str]:
    """Return the paths ("title", "skills.0", "contact.email") of the strings or keys in decoded JSON that hold
    NUL or a lone surrogate; iterative, so a deeply nested document cannot exhaust the stack."""
    found: list[str] = []
    stack: list[tuple[str, object]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str) and not is_storable(value):
            found.append(path or "body")
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{excerpt(key, 64)}" if path else excerpt(key, 64)
                if isinstance(key, str) and not is_storable(key):
                    found.append(name)
                stack.append((name, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
    return sorted(found)


def excerpt(value: object, limit: int = EXCERPT_LEN) -> str:
    """Return a short, printable excerpt of a refused value for a message (never the whole value)."""
    text = "".join(c if c.isprintable() and not 0xD800 <= ord(c) <= 0xDFFF else "\ufffd" for c in str(value)[:limit])
    return text + "…" if len(str(value)) > limit else text


def half_width(value: str | None) -> str:
    """Return typed text with full-width letters, digits and signs made half-width (NFKC), trimmed.

    ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ → taro@example.jp; ０１５４ → 0154.
    """
    return unicodedata.normalize("NFKC", value or "").strip()


def normalise_email(email: str | None) -> str:
    """Return an address as accounts store and look it up: half-width, trimmed, lower case."""
    return half_width(email).lower()


def clean_text(value: str | None) -> str:
    """Trim, unify newlines and drop control and invisible (bidi, zero-width) characters; keep full-width letters."""
    if value is None:
        return ""
    text = _CONTROL.sub("", str(value).replace("\r\n", "\n").replace("\r", "\n"))
    text = _INVISIBLE.sub("", text)
    return text.strip().strip("\u3000").strip()


def parse_integer(value: object) -> int | None:
    """Read an integer, accepting full-width digits (６ → 6) as officials often type them."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if re.fullmatch(r"[+-]?\d{1,6}", text):
            return int(text)
    return None


def clean_tags(values: Iterable[str] | None) -> list[str]:
    """Split and trim free tags (comma, 、 or newline separated), dropping empties and duplicates."""
    tags: list[str] = []
    for value in values or []:
        for part in re.split(r"[,，、\n]", str(value)):
            tag = clean_text(part)
            if tag and tag not in tags:
                tags.append(tag)
    return tags
