"""The :class:`Matcher` index: fit, rank both ways, upsert/remove without refitting, refit, persist."""

from __future__ import annotations

import threading
from collections.abc import Collection as AbstractCollection
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from . import weights as W
from .collection import Collection
from .exceptions import DuplicateIdError, EmptyCorpusError, EmptyTextError, NotFittedError, UnknownIdError
from .filters import expert_filter, issue_filter
from .parallel import count_terms
from .ranking import (
    Pair,
    Query,
    Views,
    exact_at,
    expert_candidates,
    make_candidate,
    score_experts,
    score_issues,
    select_top,
    single,
    top_slots,
    upper_bound,
)
from .records import Candidate, ExpertRecord, IssueRecord
from .sparse import Row, slice_rows
from .store import RecordStore
from .structured import Columns, expert_columns, issue_columns
from .text import analyze, analyze_cached
from .vectorize import TermModel, fit_tfidf, prepare_fit


def _check_unique(records: Sequence[ExpertRecord] | Sequence[IssueRecord]) -> None:
    seen: set[str] = set()
    duplicates = sorted({r.id for r in records if r.id in seen or seen.add(r.id)})  # type: ignore[func-returns-value]
    if duplicates:
        raise DuplicateIdError(duplicates)


@dataclass(frozen=True)
class _State:
    """Everything learned, swapped as one reference so readers see a consistent snapshot."""

    terms: TermModel
    experts: Collection
    issues: Collection
    records: RecordStore


class Matcher:
    """Two-sided matching index of experts and issues (TF-IDF cosine + structured fit).

    Parameters
    ----------
    issue_weights : Mapping[str, float], optional
        Weights of the issue's view (``rank_experts``); defaults to :data:`matcher.weights.ISSUE_VIEW`.
    expert_weights : Mapping[str, float], optional
        Weights of the expert's view (``rank_issues``); defaults to :data:`matcher.weights.EXPERT_VIEW`.
    n_jobs : int, optional
        Tokenisation processes for ``fit`` and batch ranking; ``None`` uses every core for large corpora.
    top_terms : int
        Shared terms shown per candidate.

    Attributes
    ----------
    terms_ : TermModel
        Fitted vocabulary and idf.
    experts_, issues_ : Collection
        Current snapshots of both sides.

    Examples
    --------
    >>> m = Matcher().fit([ExpertRecord("e1", "ドローンで農地を測量")], [IssueRecord("i1", "UAVによる圃場の測量")])
    >>> [c.id for c in m.rank_experts("i1")]
    ['e1']
    """

    def __init__(
        self,
        *,
        issue_weights: Mapping[str, float] | None = None,
        expert_weights: Mapping[str, float] | None = None,
        n_jobs: int | None = None,
        top_terms: int = 5,
    ) -> None:
        self.issue_weights = issue_weights
        self.expert_weights = expert_weights
        self.n_jobs = n_jobs
        self.top_terms = top_terms
        self._lock = threading.RLock()
        self._refit_lock = threading.Lock()
        self._journal: list[tuple[str, Any]] = []

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"Matcher({params})"

    def get_params(self) -> dict[str, Any]:
        """Return the constructor parameters (scikit-learn convention)."""
        return {
            "issue_weights": self.issue_weights,
            "expert_weights": self.expert_weights,
            "n_jobs": self.n_jobs,
            "top_terms": self.top_terms,
        }

    # ------------------------------------------------------------------ fitting

    def fit(self, experts: Iterable[ExpertRecord], issues: Iterable[IssueRecord] = ()) -> Matcher:
        """Fit the vocabulary/idf on experts and issues together and index both.

        Raises
        ------
        DuplicateIdError
            If an id repeats within experts or within issues.
        EmptyCorpusError
            If there is no expert, or every term is in more than ``MAX_DF`` of the documents.
        EmptyTextError
            If no text yields a single index term.
        """
        expert_list, issue_list = list(experts), list(issues)
        everything: list[ExpertRecord | IssueRecord] = [*expert_list, *issue_list]
        if not expert_list:
            raise EmptyCorpusError("fit needs at least one expert / 人材が一人も登録されていません")
        _check_unique(expert_list)
        _check_unique(issue_list)
        columns: list[Columns] = []

        def meanwhile() -> None:
            # Work that needs no tokens, done while the workers tokenise (this process is idle then).
            prepare_fit()
            columns.extend([expert_columns(expert_list), issue_columns(issue_list)])

        terms, counts = count_terms([r.text for r in everything], self.n_jobs, meanwhile)
        if not terms:
            raise EmptyTextError([r.id for r in everything])
        model, matrix = fit_tfidf(terms, counts)
        n = len(expert_list)
        self._state = _State(
            model,
            Collection.build([e.id for e in expert_list], slice_rows(matrix, 0, n), columns[0]),
            Collection.build([i.id for i in issue_list], slice_rows(matrix, n, matrix.n_rows), columns[1]),
            RecordStore.of({e.id: e for e in expert_list}, {i.id: i for i in issue_list}),
        )
        return self

    def _check_fitted(self) -> _State:
        state: _State | None = getattr(self, "_state", None)
        if state is None:
            raise NotFittedError("this Matcher is not fitted yet; call fit() or Matcher.load()")
        return state

    @property
    def snapshot(self) -> object:
        """An opaque token of the fitted state: another object after any fit, upsert, removal or refit, so a
        caller may keep rankings per snapshot (compare with ``is``)."""
        return self._check_fitted()

    @property
    def terms_(self) -> TermModel:
        """The fitted vocabulary."""
        return self._check_fitted().terms

    @property
    def experts_(self) -> Collection:
        """The current expert snapshot."""
        return self._check_fitted().experts

    @property
    def issues_(self) -> Collection:
        """The current issue snapshot."""
        return self._check_fitted().issues

    @property
    def expert_ids(self) -> list[str]:
        """Return the live expert ids, sorted."""
        return sorted(self.experts_.slots)

    @property
    def issue_ids(self) -> list[str]:
        """Return the live issue ids, sorted."""
        return sorted(self.issues_.slots)

    def records(self) -> tuple[dict[str, ExpertRecord], dict[str, IssueRecord]]:
        """Return the live expert and issue records (loads them from disk for a loaded index)."""
        state = self._check_fitted()
        return state.records.experts(), state.records.issues()

    # ------------------------------------------------------------------ queries

    def _views(self, two_sided: bool, main: str) -> Views:
        issue = W.check_weights(self.issue_weights if self.issue_weights is not None else W.ISSUE_VIEW)
        expert = W.check_weights(self.expert_weights if self.expert_weights is not None else W.EXPERT_VIEW)
        return Views(issue, expert, two_sided, main)

    def _row(self, state: _State, text: str) -> Row:
        return state.terms.transform(analyze_cached(text))

    def issue_query(self, issue: IssueRecord | str) -> Query:
        """Return the query for an issue: a stored one by id, or a record tokenised on the fly."""
        state = self._check_fitted()
        if isinstance(issue, str):
            slot = _slot(state.issues, "issue", issue)
            return Query(state.issues.docs.row(slot), single(state.issues.columns, slot))
        return Query(self._row(state, issue.text), single(issue_columns([issue]), 0))

    def expert_query(self, expert: ExpertRecord | str) -> Query:
        """Return the query for an expert: a stored one by id, or a record tokenised on the fly."""
        state = self._check_fitted()
        if isinstance(expert, str):
            slot = _slot(state.experts, "expert", expert)
            return Query(state.experts.docs.row(slot), single(state.experts.columns, slot))
        return Query(self._row(state, expert.text), single(expert_columns([expert]), 0))

    def remaining_array(
        self, experts: Collection, remaining: Mapping[str, int] | None
    ) -> npt.NDArray[np.int32]:
        """Return per-slot remaining capacity: the given mapping over the registered monthly capacity."""
        capacity = np.asarray(experts.columns["capacity"], dtype=np.int32)
        if not remaining:
            return capacity
        capacity = capacity.copy()
        for id, value in remaining.items():
            slot = experts.slots.get(id)
            if slot is not None:
                capacity[slot] = max(0, int(value))
        return capacity

    def rank_experts(
        self,
        issue: IssueRecord | str,
        top: int = 10,
        remaining_capacity: Mapping[str, int] | None = None,
        *,
        two_sided: bool = False,
        roles: AbstractCollection[str] | None = None,
        sectors: AbstractCollection[str] | None = None,
        exclude: AbstractCollection[str] = (),
        explain: bool = True,
    ) -> list[Candidate]:
        """Rank experts for one issue (the town's view: "experts that fit this issue").

        Parameters
        ----------
        issue : IssueRecord or str
            An issue record (tokenised on the fly; need not be indexed) or the id of an indexed issue.
        top : int
            Number of candidates.
        remaining_capacity : Mapping[str, int], optional
            Remaining monthly capacity by expert id, overriding ``monthly_capacity``; 0 filters the expert.
        two_sided : bool
            Rank by the harmonic mean of the issue's and the expert's view (a match only one side wants
            ranks lower).
        roles, sectors : collection of str, optional
            Keep only experts with one of these roles / sectors.
        exclude : collection of str
            Expert ids to leave out (e.g. already engaged).
        explain : bool
            Build Japanese reasons and shared terms (only for the returned candidates).

        Returns
        -------
        list of Candidate
            Sorted by score descending, then id. Infeasible experts are never returned.
        """
        state = self._check_fitted()
        extra = expert_filter(state.experts, roles, sectors, exclude)
        return self.rank_query(
            self.issue_query(issue), top, remaining_capacity, two_sided=two_sided, mask=extra, explain=explain
        )

    def rank_query(
        self,
        query: Query,
        top: int = 10,
        remaining_capacity: Mapping[str, int] | None = None,
        *,
        two_sided: bool = False,
        mask: Any = True,
        explain: bool = True,
    ) -> list[Candidate]:
        """Rank experts for a prepared :class:`~matcher.ranking.Query` (shared by single and batch ranking)."""
        state = self._check_fitted()
        remaining = self.remaining_array(state.experts, remaining_capacity)
        return self.rank_prepared(
            query, top, remaining, bool(remaining_capacity), two_sided=two_sided, mask=mask, explain=explain
        )

    def rank_prepared(
        self,
        query: Query,
        top: int,
        remaining: npt.NDArray[np.int32],
        overridden: bool,
        *,
        two_sided: bool = False,
        mask: Any = True,
        explain: bool = True,
    ) -> list[Candidate]:
        """Rank experts for a query given the per-slot capacity array (:meth:`remaining_array`) already built.

        ``overridden`` says whether that array came from a remaining-capacity mapping (a batch builds it once
        for all its issues instead of once per issue).
        """
        state = self._check_fitted()
        experts = state.experts
        override = remaining if overridden else None
        scores = score_experts(query, experts, override, self._views(two_sided, "issue"))
        chosen = select_top(
            upper_bound(scores, experts, override),
            partial(exact_at, scores, experts),
            scores.mask & mask,
            experts.ids,
            top,
        )
        return expert_candidates(
            query, experts, chosen, scores.cosine, remaining, state.terms, self.top_terms, explain
        )

    def rank_issues(
        self,
        expert: ExpertRecord | str,
        top: int = 10,
        *,
        two_sided: bool = False,
        sectors: AbstractCollection[str] | None = None,
        exclude: AbstractCollection[str] = (),
        explain: bool = True,
    ) -> list[Candidate]:
        """Rank indexed issues for one expert (the expert's view: "issues that fit me").

        Parameters
        ----------
        expert : ExpertRecord or str
            An expert record (tokenised on the fly) or the id of an indexed expert.
        top : int
            Number of candidates.
        two_sided : bool
            Rank by the harmonic mean of both views.
        sectors : collection of str, optional
            Keep only issues in one of these sectors.
        exclude : collection of str
            Issue ids to leave out.
        explain : bool
            Build Japanese reasons and shared terms.

        Returns
        -------
        list of Candidate
            Issues sorted by score descending, then id; issues the expert cannot take (an on-site issue out of
            reach, incompatible modes) are left out. Capacity lowers the score but does not filter here.
        """
        state = self._check_fitted()
        query = self.expert_query(expert)
        issues = state.issues
        scored = score_issues(query, issues, self._views(two_sided, "expert"))
        mask = scored.mask & issue_filter(issues, sectors, exclude)
        capacity = int(query.columns["capacity"])
        return [
            make_candidate(
                issues.ids[s],
                float(scored.scores[s]),
                float(scored.text[s]),
                Pair(
                    single(issues.columns, s),
                    query.columns,
                    query.row,
                    issues.docs.row(s),
                    capacity if capacity >= 0 else None,
                ),
                state.terms,
                self.top_terms,
                explain,
                (scored.parts, s),
            )
            for s in top_slots(scored.scores, mask, issues.ids, top)
        ]

    def rank_experts_batch(
        self,
        issues: Sequence[IssueRecord | str],
        top: int = 10,
        remaining_capacity: Mapping[str, int] | None = None,
        *,
        two_sided: bool = False,
        explain: bool = True,
        exclude: Sequence[AbstractCollection[str]] | None = None,
        also: Sequence[AbstractCollection[str]] | None = None,
    ) -> list[list[Candidate]]:
        """Rank experts for many issues at once (see :mod:`matcher.batch`).

        ``exclude`` (one collection of expert ids per issue) leaves experts out of that issue's ranking, as
        ``rank_experts(exclude=...)`` does; ``also`` (one per issue) appends the experts among these ids that
        are feasible but not in the top ``top`` (e.g. experts a coordinator pinned), ranked among themselves.
        """
        from .batch import rank_batch

        return rank_batch(
            self, issues, top, remaining_capacity, two_sided=two_sided, explain=explain, exclude=exclude, also=also
        )

    # ------------------------------------------------------------------ updates

    def _swap(self, **changes: Any) -> None:
        state = self._check_fitted()
        self._state = _State(**{**state.__dict__, **changes})

    def upsert_expert(self, expert: ExpertRecord) -> None:
        """Add or replace one expert without refitting (new words stay unknown until :meth:`refit`)."""
        row = self._check_fitted().terms.transform(analyze(expert.text))
        with self._lock:
            state = self._check_fitted()
            self._swap(
                experts=state.experts.upsert(expert.id, row, expert_columns([expert])),
                records=state.records.with_expert(expert.id, expert),
            )
            self._journal.append(("upsert_expert", expert))

    def upsert_issue(self, issue: IssueRecord) -> None:
        """Add or replace one issue without refitting."""
        row = self._check_fitted().terms.transform(analyze(issue.text))
        with self._lock:
            state = self._check_fitted()
            self._swap(
                issues=state.issues.upsert(issue.id, row, issue_columns([issue])),
                records=state.records.with_issue(issue.id, issue),
            )
            self._journal.append(("upsert_issue", issue))

    def remove_expert(self, id: str) -> None:
        """Remove one expert (raises :class:`UnknownIdError` if absent)."""
        with self._lock:
            state = self._check_fitted()
            _slot(state.experts, "expert", id)
            self._swap(experts=state.experts.remove(id), records=state.records.with_expert(id, None))
            self._journal.append(("remove_expert", id))

    def remove_issue(self, id: str) -> None:
        """Remove one issue (raises :class:`UnknownIdError` if absent)."""
        with self._lock:
            state = self._check_fitted()
            _slot(state.issues, "issue", id)
            self._swap(issues=state.issues.remove(id), records=state.records.with_issue(id, None))
            self._journal.append(("remove_issue", id))

    def refit(self) -> Matcher:
        """Refit on the current records and adopt the result in place; returns ``self``.

        Meant to run in a background job after upserts. Readers keep using the old snapshot until the new one
        is swapped in; upserts and removals made while the refit runs are replayed onto the new index.
        """
        with self._refit_lock:
            with self._lock:
                experts, issues = self.records()
                mark = len(self._journal)
            fresh = Matcher(**self.get_params()).fit(experts.values(), issues.values())
            with self._lock:
                for op, arg in self._journal[mark:]:
                    getattr(fresh, op)(arg)
                self._state = fresh._state
                self._journal.clear()
        return self

    # ------------------------------------------------------------------ persistence

    def save(self, path: str | Path) -> Path:
        """Persist the fitted index under directory ``path`` (npy arrays + JSON; no pickle)."""
        from .persist import save_index

        return save_index(self, Path(path))

    @classmethod
    def load(cls, path: str | Path, **params: Any) -> Matcher:
        """Load an index saved by :meth:`save` (memory-mapped arrays; dictionary loaded too).

        Raises
        ------
        IndexVersionError
            If the format, library or dictionary version differs: refit and save again.
        IndexFormatError
            If files are missing or corrupt.
        """
        from .persist import load_index

        return load_index(cls(**params), Path(path))


def _slot(collection: Collection, kind: str, id: str) -> int:
    slot = collection.slots.get(id)
    if slot is None:
        raise UnknownIdError(kind, id)
    return slot
