"""Japanese text → index tokens (SudachiPy 0.7, sudachidict-core).

Pipeline, per document (deterministic):

1. NFKC + dash unification (:func:`matcher.normalize.normalize_text`).
2. Sudachi in split mode **C** with the dictionary loaded once per process and one tokenizer per thread.
3. Keep content parts of speech (名詞, 形状詞); drop 数詞, 代名詞, 非自立 nouns and a short stop list.
   接頭辞 stay attached to the next word (非現金決済 keeps 非); honorific お/ご are dropped.
4. Emit the lower-cased, space-free ``normalized_form`` of each C-unit plus its A-unit sub-words (C + A).
5. Add ``syn<id>`` when Sudachi gives exactly one synonym group id.
6. Unknown words (OOV) also emit character bigrams ``#xy``: the char n-gram view for words the dictionary lacks.
7. Phrase-level domain synonyms (``data/synonyms.json``) add ``syn:<group>``, plus the phrase itself when
   Sudachi split it (マルチコプター → マルチ + コプター).
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from typing import Any

from sudachipy import Dictionary, SplitMode

from .normalize import canonical, normalize_text
from .synonyms import domain_synonyms

SUDACHI_SYN = "syn"
DOMAIN_SYN = "syn:"
NGRAM = "#"

#: The hot pass loads only the part of speech (about 10 % faster than all four fields); a word seen for the
#: first time gets its other fields from the dictionary (see :func:`_full`).
_FAST_FIELDS: Any = {"pos"}
_FIELDS: Any = {"pos", "normalized_form", "split_a", "synonym_group_ids"}
_CONTENT_POS = frozenset({"名詞", "形状詞"})
_DROP_POS1 = frozenset({"数詞", "代名詞"})
_DROP_POS2 = frozenset({"非自立可能", "助数詞", "助数詞可能"})
STOP_TERMS = frozenset(
    {
        "こと",
        "もの",
        "ため",
        "ところ",
        "とき",
        "ほか",
        "他",
        "等",
        "場合",
        "中",
        "上",
        "方",
        "際",
        "以上",
        "以下",
        "今回",
        "よう",
        "様",
        "的",
        "点",
        "事",
        "物",
        "時",
        "頃",
        "毎",
        "各",
        "全",
        "旨",
        "為",
        "所",
        "達",
        "方々",
        "皆様",
        "以外",
        "以前",
        "以降",
        "前後",
        "程度",
        "予定",
        "関係",
        "必要",
        "可能",
        "場",
        "件",
        "度",
    }
)
_HONORIFIC = frozenset({"お", "ご", "御"})
_NEGATING = frozenset({"非", "無", "未", "不", "反", "脱", "没"})
_MAX_CHUNK = 4000
_SPLIT_AT = re.compile(r"(?<=[。\n])")
_SPACES = re.compile(r"\s+")
_OOV_BASE = 0xF0000000

# Morpheme kinds in the per-process cache.
_DROP, _CONTENT, _PREFIX, _SKIP = 0, 1, 2, 3
# (kind, base, A sub-words, syn token, n-grams, every token emitted: base + subs + syn + n-grams)
_Entry = tuple[int, str, tuple[str, ...], str | None, tuple[str, ...], tuple[str, ...]]

_log = logging.getLogger(__name__)
_local = threading.local()
_cache: dict[object, _Entry] = {}
_CACHE_LIMIT = 500_000


@functools.lru_cache(maxsize=1)
def dictionary() -> Dictionary:
    """Return the process-wide Sudachi dictionary (memory-mapped, loaded once)."""
    return Dictionary()


def _tokenizer() -> Any:
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        # Tokenizers are not thread-safe (sudachi.rs#289): one per thread, sharing the dictionary.
        tok = _local.tokenizer = dictionary().tokenizer(SplitMode.C, fields=_FAST_FIELDS)
    return tok


def _full_tokenizer() -> Any:
    tok = getattr(_local, "full_tokenizer", None)
    if tok is None:
        tok = _local.full_tokenizer = dictionary().tokenizer(SplitMode.C, fields=_FIELDS)
    return tok


def _full(m: Any, text: str) -> Any | None:
    """Return morpheme ``m`` of ``text`` (from the fast tokenizer) with every field loaded, or None.

    Unknown words are built at run time with their fields (except the normalised value of joined numbers,
    which are 数詞 and dropped anyway). A dictionary word is looked up by its surface and word id; should that
    ever fail, ``text`` is tokenised with every field and the same word at the same place taken. None means
    neither worked (never seen so far): the caller must not cache what it makes of ``m``.
    """
    if m.is_oov():
        return m
    wid = m.word_id()
    found = next((x for x in dictionary().lookup(m.surface()) if x.word_id() == wid), None)
    if found is None:
        place = (m.begin(), m.end(), wid)
        tokens = _full_tokenizer().tokenize(text)
        found = next((x for x in tokens if (x.begin(), x.end(), x.word_id()) == place), None)
    return found


def warm_up() -> None:
    """Load the dictionary, the synonym table and this thread's tokenizer now rather than on first use."""
    domain_synonyms()
    _tokenizer().tokenize("デジタル")


def _ngrams(base: str) -> tuple[str, ...]:
    if len(base) < 3:
        return ()
    return tuple(NGRAM + base[i : i + 2] for i in range(len(base) - 1))


def _content_subs(m: Any, base: str) -> tuple[str, ...]:
    parts = m.split(SplitMode.A)
    if len(parts) < 2:
        return ()
    subs = (canonical(p.normalized_form()) for p in parts if p.part_of_speech()[0] in _CONTENT_POS)
    return tuple(dict.fromkeys(s for s in subs if s != base and s not in STOP_TERMS and len(s) > 1))


def _sudachi_syn(m: Any, base: str) -> str | None:
    ids = m.synonym_group_ids()
    if len(ids) != 1 or base in domain_synonyms().canonical_group:
        return None
    return f"{SUDACHI_SYN}{ids[0]}"


def _make_entry(m: Any) -> _Entry:
    # ``m`` has every field loaded (see _full).
    pos = m.part_of_speech()
    base = canonical(m.normalized_form())
    if pos[0] == "接頭辞":
        return (_SKIP if base in _HONORIFIC else _PREFIX), base, (), None, (), ()
    if pos[0] not in _CONTENT_POS or pos[1] in _DROP_POS1 or pos[2] in _DROP_POS2:
        return _DROP, base, (), None, (), ()
    if base in STOP_TERMS or not base or (len(base) == 1 and "ぁ" <= base <= "ゖ"):
        return _DROP, base, (), None, (), ()
    ngrams = _ngrams(base) if m.is_oov() else ()
    subs, syn = _content_subs(m, base), _sudachi_syn(m, base)
    return _CONTENT, base, subs, syn, ngrams, (base, *subs, *((syn,) if syn else ()), *ngrams)


def _new_entry(key: object, m: Any, text: str) -> _Entry:
    full = _full(m, text)
    if full is None:
        # Unreachable in every corpus tried; keep going with the part of speech alone, uncached and logged.
        _log.warning("no complete dictionary entry for word id %s; analysed without its other fields", key)
        return _make_entry(m)
    if len(_cache) > _CACHE_LIMIT:
        _cache.clear()
    entry = _cache[key] = _make_entry(full)
    return entry


def _entry(m: Any, text: str) -> _Entry:
    wid = m.word_id()
    # Unknown words by (id, surface): the id encodes the part of speech Sudachi gave the word in this place.
    key: object = (wid, m.surface()) if wid >= _OOV_BASE else wid
    return _cache.get(key) or _new_entry(key, m, text)


def _emit_prefixed(entry: _Entry, prefix: str, negated: bool, out: list[str]) -> str:
    # 接頭辞 + word is one term (非現金決済); a negating prefix also suppresses the synonym and n-grams,
    # which belong to the bare word's meaning.
    word = prefix + entry[1]
    out.append(word)
    out.extend(entry[2] if negated else entry[5])
    return word


def _analyze_chunk(text: str, out: list[str], bases: set[str]) -> None:
    # The hot loop of indexing: one dict lookup per morpheme; everything else is precomputed per word.
    get, oov_base, prefix, negated = _cache.get, _OOV_BASE, "", False
    for m in _tokenizer().tokenize(text):
        wid = m.word_id()
        key: object = (wid, m.surface()) if wid >= oov_base else wid
        entry = get(key) or _new_entry(key, m, text)
        kind = entry[0]
        if kind == _CONTENT:
            if prefix:
                bases.add(_emit_prefixed(entry, prefix, negated, out))
                prefix, negated = "", False
            else:
                out += entry[5]
                bases.add(entry[1])
        elif kind == _PREFIX:
            prefix += entry[1]
            negated = negated or entry[1] in _NEGATING
        elif kind == _DROP:
            prefix, negated = "", False


def _chunks(text: str) -> list[str]:
    if len(text) <= _MAX_CHUNK:
        return [text]
    return [piece for piece in _SPLIT_AT.split(text) if piece]


def analyze(text: str) -> list[str]:
    """Return the index tokens of ``text`` in document order (see the module docstring).

    Examples
    --------
    >>> analyze("ＤＸとサーバの構築")
    ['dx', 'syn24907', 'サーバー', 'syn14982', '構築']
    """
    norm = normalize_text(text)
    out: list[str] = []
    bases: set[str] = set()
    for chunk in _chunks(norm):
        _analyze_chunk(chunk, out, bases)
    for member, group in domain_synonyms().find(_SPACES.sub(" ", norm.lower())):
        out.append(DOMAIN_SYN + group)
        literal = member.replace(" ", "")
        if literal not in bases:
            bases.add(literal)
            out.append(literal)
    return out


def is_word(token: str) -> bool:
    """Return True for literal terms (not ``syn…`` group tokens nor ``#`` n-grams)."""
    return not token.startswith(SUDACHI_SYN) and not token.startswith(NGRAM)


@functools.lru_cache(maxsize=65536)
def group_of(term: str) -> str | None:
    """Return the synonym-group token a literal term emits (``syn:<id>`` or ``syn<id>``), if any."""
    if not is_word(term):
        return None
    domain = domain_synonyms().canonical_group.get(term)
    if domain is not None:
        return DOMAIN_SYN + domain
    entries = [e for e in (_entry(m, term) for m in _tokenizer().tokenize(term)) if e[0] == _CONTENT]
    if len(entries) != 1 or entries[0][1] != term:
        return None
    return entries[0][3]


@functools.lru_cache(maxsize=65536)
def display(token: str) -> str:
    """Return how a token is shown in the UI (DX rather than dx, the label of a synonym group)."""
    if token.startswith(DOMAIN_SYN):
        return domain_synonyms().labels.get(token[len(DOMAIN_SYN) :], token)
    if token.startswith(NGRAM):
        return token[len(NGRAM) :]
    if not any("a" <= c <= "z" for c in token):
        return token
    morphemes = list(_tokenizer().tokenize(token))
    full = _full(morphemes[0], token) if len(morphemes) == 1 and not morphemes[0].is_oov() else None
    if full is not None and canonical(str(full.normalized_form())) == token:
        return str(full.normalized_form())
    return token.upper() if len(token) <= 5 and token.isascii() and token.isalpha() else token


@functools.lru_cache(maxsize=1024)
def analyze_cached(text: str) -> tuple[str, ...]:
    """Return :func:`analyze` of ``text``, memoised (the small pre-tokenisation cache for queries)."""
    return tuple(analyze(text))
