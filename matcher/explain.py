"""Japanese explanations for one (issue, expert) pair: shared terms, matched structure, unmet needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from . import vocabulary as voc
from . import weights as W
from .geo import PREFECTURES, REGIONS
from .records import SharedTerm
from .sparse import Row
from .structured import Columns
from .text import DOMAIN_SYN, NGRAM, display
from .vectorize import GROUP, NGRAM_KIND, WORD, TermModel

_PREF_SUFFIX = {"都": "都内", "道": "道内", "府": "府内", "県": "県内"}
_ROLES_BY_MASK = [voc.codes_of(mask, voc.ROLES) for mask in range(1 << len(voc.ROLES))]
_MODE_OK = {"online": "オンライン対応", "onsite": "現地対応", "hybrid": "ハイブリッド対応"}


#: Only the strongest shared features are turned into reasons (per shown term, this many candidates).
_CONSIDER_PER_TERM = 4


def _contributions(query: Row, doc: Row, keep: int) -> dict[int, float]:
    # Both rows are sorted and unique: one searchsorted finds the shared columns.
    if not len(doc[0]) or not len(query[0]):
        return {}
    pos = np.minimum(np.searchsorted(doc[0], query[0]), len(doc[0]) - 1)
    hit = doc[0][pos] == query[0]
    common = query[0][hit]
    values = query[1][hit] * doc[1][pos[hit]]
    if len(values) > keep:
        best = np.argsort(-values, kind="stable")[:keep]
        common, values = common[best], values[best]
    return dict(zip(common.tolist(), values.tolist()))


def _members(row: Row, model: TermModel) -> dict[str, list[str]]:
    """Return synonym-group token → the row's literal terms in that group (in column order)."""
    groups = model.group_features(row[0])
    out: dict[str, list[str]] = {}
    for feature, group in zip(row[0][groups >= 0].tolist(), groups[groups >= 0].tolist()):
        out.setdefault(model.terms[group], []).append(model.terms[feature])
    return out


def _query_members(query: Row, model: TermModel, cache: dict[str, object] | None) -> dict[str, list[str]]:
    if cache is None:
        return _members(query, model)
    if "members" not in cache:
        cache["members"] = _members(query, model)
    return cache["members"]  # type: ignore[return-value]


def _add_group(
    group: str,
    weight: float,
    members: tuple[dict[str, list[str]], dict[str, list[str]]],
    words: dict[str, float],
    pairs: dict[tuple[str, str], float],
) -> None:
    q_members, d_members = members[0].get(group, []), members[1].get(group, [])
    literal = next((m for m in q_members if m in d_members), None)
    if literal is not None:
        words[literal] = words.get(literal, 0.0) + weight
        return
    label = display(group) if group.startswith(DOMAIN_SYN) else ""
    left = display(q_members[0]) if q_members else label
    right = display(d_members[0]) if d_members else label
    if left and right:
        pairs[(left, right)] = pairs.get((left, right), 0.0) + weight


def _add_ngram(
    gram: str,
    weight: float,
    query: Row,
    doc: Row,
    terms: Sequence[str],
    words: dict[str, float],
    pairs: dict[tuple[str, str], float],
) -> None:
    owner = next((w for w in words if gram in w), None)
    if owner is not None:
        words[owner] += weight
        return
    left = next((terms[f] for f in query[0].tolist() if gram in terms[f] and terms[f][0] != NGRAM), gram)
    right = next((terms[f] for f in doc[0].tolist() if gram in terms[f] and terms[f][0] != NGRAM), gram)
    key = (display(left), display(right))
    pairs[key] = pairs.get(key, 0.0) + weight


def _collapse_subwords(words: dict[str, float]) -> dict[str, float]:
    # A-unit sub-words (業務, 効率) fold into their shared C-unit (業務効率化): one reason, summed weight.
    kept: dict[str, float] = {}
    for word in sorted(words, key=lambda w: (-len(w), w)):
        owner = next((k for k in kept if word in k), None)
        if owner is None:
            kept[word] = words[word]
        else:
            kept[owner] += words[word]
    return kept


def _literal_by_group(words: list[int], model: TermModel) -> dict[int, str]:
    # Shared literal terms by the synonym group they belong to: a shared group token whose literal is
    # shared too adds to that literal instead of making a pair.
    if not words:
        return {}
    features = np.array(words, dtype=np.int32)
    groups = model.group_features(features)
    return {g: model.terms[f] for f, g in zip(features.tolist(), groups.tolist()) if g >= 0}


def shared_terms(
    query: Row, doc: Row, model: TermModel, top: int, cache: dict[str, object] | None = None
) -> tuple[SharedTerm, ...]:
    """Return the top shared terms of two rows, synonyms paired and sub-words merged into their C-unit.

    ``cache`` (one dict per query) keeps the query row's synonym members across its candidates.
    """
    terms, kinds = model.terms, model.kinds
    contributions = _contributions(query, doc, max(20, _CONSIDER_PER_TERM * top))
    word_features = [f for f in contributions if kinds[f] == WORD]
    words = {terms[f]: contributions[f] for f in word_features}
    literal = _literal_by_group(word_features, model)
    pairs: dict[tuple[str, str], float] = {}
    members: tuple[dict[str, list[str]], dict[str, list[str]]] | None = None
    for feature, weight in sorted(contributions.items()):
        kind = kinds[feature]
        if kind == GROUP and feature in literal:
            words[literal[feature]] += weight
        elif kind == GROUP:
            members = members or (_query_members(query, model, cache), _members(doc, model))
            _add_group(terms[feature], weight, members, words, pairs)
        elif kind == NGRAM_KIND:
            _add_ngram(terms[feature][len(NGRAM) :], weight, query, doc, terms, words, pairs)
    words = _collapse_subwords(words)
    ranked = [(-v, display(w), display(w)) for w, v in words.items()]
    ranked += [(-v, left, right) for (left, right), v in pairs.items()]
    ranked.sort(key=lambda item: (item[0], item[1] if item[1] == item[2] else f"{item[1]} ≈ {item[2]}"))
    out: list[SharedTerm] = []
    seen: set[str] = set()
    for negative, left, right in ranked:
        term = SharedTerm(left, right, round(-negative, 6))
        if term.label not in seen:
            seen.add(term.label)
            out.append(term)
            if len(out) == top:
                break
    return tuple(out)


def _scalar(columns: Columns, name: str) -> int:
    return int(columns[name])


def _range_phrase(expert: Columns) -> str:
    travel = _scalar(expert, "travel")
    if travel < 0:
        return "移動範囲は未登録"
    code = list(voc.TRAVEL_RANGES)[travel]
    if code == "nationwide":
        return "全国出張可"
    if code == "none":
        return "出張なし"
    region, pref = _scalar(expert, "region"), _scalar(expert, "pref")
    if code == "regional" and region >= 0:
        return "道内出張可" if REGIONS[region] == "北海道" else f"{REGIONS[region]}地方内出張可"
    if code == "prefecture" and pref > 0:
        return _PREF_SUFFIX[PREFECTURES[f"{pref:02d}"].name[-1]] + "出張可"
    return f"{voc.TRAVEL_RANGES[code]}出張可"


def _role_reasons(issue: Columns, expert: Columns) -> tuple[list[str], list[str]]:
    wanted = _ROLES_BY_MASK[_scalar(issue, "wanted_mask")]
    have = _ROLES_BY_MASK[_scalar(expert, "role_mask")]
    stage_index = _scalar(issue, "stage")
    if not have:
        return [], (["役割が登録されていません"] if wanted else [])
    matched = [r for r in wanted if r in have]
    if not matched and not wanted and stage_index >= 0:
        stage = list(voc.STAGES)[stage_index]
        matched = [r for r in have if W.ROLE_STAGE_AFFINITY[stage][r] >= W.STAGE_FIT_THRESHOLD][:1]
    if matched:
        role = matched[0]
        return [f"役割: {voc.ROLES[role]}（{voc.ROLE_DEFINITIONS[role]}）"], []
    if wanted:
        return [], [f"希望の役割（{'・'.join(voc.ROLES[r] for r in wanted)}）ではありません"]
    return [], []


def _sector_reasons(issue: Columns, expert: Columns) -> tuple[list[str], list[str]]:
    sector, mask = _scalar(issue, "sector"), _scalar(expert, "sector_mask")
    if sector < 0 or mask == 0:
        return [], []
    label = list(voc.SECTORS.values())[sector]
    if mask >> sector & 1:
        return [f"分野: {label}"], []
    return [], [f"分野（{label}）の経験が登録されていません"]


def _mode_reasons(issue: Columns, expert: Columns, part: float) -> tuple[list[str], list[str]]:
    mode, mask = _scalar(issue, "mode"), _scalar(expert, "mode_mask")
    if mode < 0 or mask == 0:
        return [], []
    code = list(voc.MODES)[mode]
    if part >= 1.0:
        return [f"形態: {_MODE_OK[code]}"], []
    if code == "online":
        return [], ["オンライン対応の登録がありません（現地のみ）"]
    if part <= W.MODE_HYBRID_ISSUE_ONLINE_EXPERT:
        return [], ["現地訪問には対応していません（オンラインのみ）"]
    return [], ["オンライン対応の登録がありません（現地のみ）"]


def _travel_reasons(
    issue: Columns, expert: Columns, km: float | None, part: float
) -> tuple[list[str], list[str]]:
    if _scalar(issue, "mode") == list(voc.MODES).index("online") or km is None or np.isnan(km):
        return [], []
    distance = f"約{max(1, round(km))} km"
    if part > 0:
        return [f"移動: {distance}（{_range_phrase(expert)}）"], []
    return [], [f"移動範囲外です（{distance}、{_range_phrase(expert)}）"]


def reasons(
    issue: Columns,
    expert: Columns,
    parts: Mapping[str, float],
    km: float | None,
    terms: Sequence[SharedTerm],
    remaining: int | None,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return (reasons, unmet) in Japanese for one pair; ``issue``/``expert`` are single-row columns."""
    ok: list[str] = [f"共通の語: {'、'.join(t.label for t in terms)}"] if terms else []
    unmet: list[str] = [] if terms else ["共通する語がありません"]
    for found, missing in (
        _role_reasons(issue, expert),
        _sector_reasons(issue, expert),
        _mode_reasons(issue, expert, parts["mode"]),
        _travel_reasons(issue, expert, km, parts["travel"]),
    ):
        ok += found
        unmet += missing
    if remaining is not None and remaining >= 0:
        ok.append(f"今月の残り枠: {remaining}回")
    return tuple(ok), tuple(unmet)
