"""Field validation shared by forms and the API; every message is Japanese and names the fix."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from web.services.errors import ServiceError

_TAG = re.compile(r"<\s*/?\s*[A-Za-z!?][^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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

    def text(self, field: str, label: str, value: str | None, *, required: bool = True,
             min_len: int = 1, max_len: int = 200) -> str:
        """Return the cleaned text, or record why it is refused."""
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
            self.add(field, f"{label}の値「{value}」は選べません。一覧から選んでください。")
        return value or ""

    def choices(self, field: str, label: str, values: Iterable[str] | None, allowed: Mapping[str, str],
                *, minimum: int = 1) -> list[str]:
        picked = list(dict.fromkeys(values or []))
        unknown = [v for v in picked if v not in allowed]
        if unknown:
            self.add(field, f"{label}に選べない値があります: {'、'.join(map(str, unknown))}。")
        elif len(picked) < minimum:
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


def clean_text(value: str | None) -> str:
    """Trim, unify newlines and drop control characters; keep full-width letters as typed."""
    if value is None:
        return ""
    text = _CONTROL.sub("", str(value).replace("\r\n", "\n").replace("\r", "\n"))
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
