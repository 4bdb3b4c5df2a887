"""Min-cost flow for assigning one expert per wanted role of each issue (networkx)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from . import vocabulary as voc

_SCALE = 1_000_000


def _role_ok(role_masks: npt.NDArray[np.uint8], role: str | None) -> npt.NDArray[np.bool_]:
    if role is None:
        return np.ones(len(role_masks), dtype=bool)
    return ((role_masks.astype(np.int64) >> list(voc.ROLES).index(role)) & 1).astype(bool)


def solve_per_role(
    scores: npt.NDArray[np.float32],
    eligible: npt.NDArray[np.bool_],
    capacity: npt.NDArray[np.int64],
    slots: Sequence[tuple[int, str | None]],
    role_masks: npt.NDArray[np.uint8],
) -> dict[int, int]:
    """Return slot index → expert slot maximising total score within capacity (one role per expert per issue)."""
    import networkx as nx

    graph = nx.DiGraph()
    for k, (i, role) in enumerate(slots):
        graph.add_edge("source", ("slot", k), capacity=1, weight=0)
        graph.add_edge(("slot", k), "sink", capacity=1, weight=0)  # leaving a slot empty costs nothing
        for j in np.flatnonzero(eligible[i] & _role_ok(role_masks, role)).tolist():
            graph.add_edge(
                ("slot", k), ("pair", i, j), capacity=1, weight=-round(float(scores[i, j]) * _SCALE) - 1
            )
            graph.add_edge(("pair", i, j), ("expert", j), capacity=1, weight=0)
    for j in {j for node in graph if node[0] == "pair" for j in (node[2],)}:
        graph.add_edge(("expert", j), "sink", capacity=int(capacity[j]), weight=0)
    flow = nx.max_flow_min_cost(graph, "source", "sink")
    out: dict[int, int] = {}
    for k in range(len(slots)):
        for node, amount in flow[("slot", k)].items():
            if amount and node != "sink":
                out[k] = int(node[2])
    return out
