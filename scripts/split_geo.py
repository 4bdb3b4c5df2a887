"""Split the national municipality TopoJSON into one small file per prefecture for the coordinator's map.

Source: ../shared/data/geo/municipalities_2021_s0001.topojson.json (SmartNews Media Research Institute,
japan-topography, derived from 国土交通省「国土数値情報（行政区域データ）」; see web/static/geo/README.md).
Each output file web/static/geo/towns/<prefecture code>.topojson.json keeps only that prefecture's geometries and
the arcs they use (renumbered), the same quantisation transform, and two properties per town: ``code`` (the 5-digit
全国地方公共団体コード without check digit) and ``name``. Geometries without a shape (tiny islands dropped by the
simplification) or without a code (所属未定地) are left out.

    python scripts/split_geo.py [SOURCE] [OUTPUT_DIR]
"""
from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

DEFAULT_SOURCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "geo" / "municipalities_2021_s0001.topojson.json"
DEFAULT_OUTPUT = Path(__file__).resolve().parents[1] / "web" / "static" / "geo" / "towns"
OBJECT = "N03-21_210101"


def _rings(geometry: dict[str, Any]) -> list[list[int]]:
    if geometry["type"] == "Polygon":
        return list(geometry["arcs"])
    return [ring for polygon in geometry["arcs"] for ring in polygon]


def _renumber(arcs: Any, mapping: dict[int, int]) -> Any:
    """Rewrite arc indices (a negative index ~i means arc i reversed)."""
    if isinstance(arcs, int):
        return mapping[arcs] if arcs >= 0 else ~mapping[~arcs]
    return [_renumber(part, mapping) for part in arcs]


def split(topology: dict[str, Any]) -> dict[str, dict[str, Any]]:
    by_prefecture: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for geometry in topology["objects"][OBJECT]["geometries"]:
        props = geometry.get("properties") or {}
        code = props.get("N03_007")
        if geometry.get("type") is None or not code:
            continue
        by_prefecture[code[:2]].append(geometry)
    files = {}
    for prefecture, geometries in sorted(by_prefecture.items()):
        used = sorted({i if i >= 0 else ~i for g in geometries for ring in _rings(g) for i in ring})
        mapping = {old: new for new, old in enumerate(used)}
        out_geometries = []
        for g in geometries:
            props = g["properties"]
            name = props.get("N03_004") or props.get("N03_003") or ""
            out_geometries.append({"type": g["type"], "arcs": _renumber(g["arcs"], mapping),
                                   "properties": {"code": props["N03_007"], "name": name}})
        files[prefecture] = {
            "type": "Topology",
            "transform": topology["transform"],
            "objects": {"towns": {"type": "GeometryCollection", "geometries": out_geometries}},
            "arcs": [topology["arcs"][i] for i in used],
        }
    return files


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    output = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUTPUT
    output.mkdir(parents=True, exist_ok=True)
    topology = json.loads(source.read_text(encoding="utf-8"))
    for prefecture, data in split(topology).items():
        path = output / f"{prefecture}.topojson.json"
        path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"{len(list(output.glob('*.topojson.json')))} files in {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
