"""The curated domain synonym table (``data/synonyms.json``) and its phrase matcher."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from .normalize import phrase_form


@dataclass(frozen=True)
class SynonymTable:
    """Domain synonym groups: member (``phrase_form``) → group id, plus the labels to show."""

    member_group: Mapping[str, str]
    labels: Mapping[str, str]
    pattern: re.Pattern[str] | None
    canonical_group: Mapping[str, str]

    def find(self, text: str) -> list[tuple[str, str]]:
        """Return ``(member, group_id)`` for each non-overlapping phrase in ``phrase_form`` text."""
        if self.pattern is None:
            return []
        return [(m.group(0), self.member_group[m.group(0)]) for m in self.pattern.finditer(text)]


def _member_pattern(member: str) -> str:
    # ASCII members must not match inside a longer word (e.g. "ai" in "mail"). The look-behind comes after
    # the first character, so every alternative starts with a literal and re can skip ahead to the
    # positions holding one of those characters (twice as fast as a look-behind in front).
    head = r"(?<![a-z0-9].)" if member[0].isascii() and member[0].isalnum() else ""
    tail = r"(?![a-z0-9])" if member[-1].isascii() and member[-1].isalnum() else ""
    return re.escape(member[0]) + head + re.escape(member[1:]) + tail


def build_table(groups: list[dict[str, object]]) -> SynonymTable:
    """Build a :class:`SynonymTable` from ``[{"id", "label", "terms"}]`` group definitions."""
    member_group: dict[str, str] = {}
    labels: dict[str, str] = {}
    for group in groups:
        gid, terms = str(group["id"]), group["terms"]
        labels[gid] = str(group.get("label", gid))
        assert isinstance(terms, list)
        for term in terms:
            member_group[phrase_form(str(term)).strip()] = gid
    # Longest first: at any position the longest member wins.
    members = sorted(member_group, key=lambda m: (-len(m), m))
    pattern = re.compile("|".join(map(_member_pattern, members))) if members else None
    canonical_group = {member.replace(" ", ""): gid for member, gid in member_group.items()}
    return SynonymTable(member_group, labels, pattern, canonical_group)


@functools.lru_cache(maxsize=1)
def domain_synonyms() -> SynonymTable:
    """Load the packaged synonym table once per process."""
    raw = resources.files("matcher").joinpath("data/synonyms.json").read_text(encoding="utf-8")
    return build_table(json.loads(raw)["groups"])
