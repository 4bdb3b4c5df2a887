#!/usr/bin/env python3
"""Regenerate experts.jsonl and issues.jsonl (matcher CLI input format) from the seed files.

Run from the repository root:  python3 seed_data/eval/make_jsonl.py
Stdlib only. Output is deterministic: sorted by id, ensure_ascii=False, one JSON object per line.
All experts and all issues (every status, drafts included) are written.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent
SEED_DIR = EVAL_DIR.parent


def expert_text(e: dict) -> str:
    # Exact composition shared with the web app: bio, skills line, optional certifications line.
    text = e["bio"] + "\n" + "スキル: " + "、".join(e["skills"])
    if e.get("certifications"):
        text += "\n資格: " + "、".join(e["certifications"])
    return text


def issue_text(i: dict) -> str:
    return i["title"] + "\n" + i["body"]


def main() -> None:
    experts = json.loads((SEED_DIR / "experts.json").read_text(encoding="utf-8"))
    issues = json.loads((SEED_DIR / "issues.json").read_text(encoding="utf-8"))
    with (SEED_DIR / "municipalities.csv").open(encoding="utf-8", newline="") as f:
        munis = {row["code"]: row for row in csv.DictReader(f)}

    expert_rows = []
    for e in experts:
        expert_rows.append({
            "id": e["key"],
            "text": expert_text(e),
            "roles": e["roles"],
            "sectors": e["sectors"],
            "modes": e["modes"],
            "prefecture": e["prefecture_code"],
            "lat": e["lat"],
            "lon": e["lon"],
            "travel_range": e["travel_range"],
            "monthly_capacity": e["monthly_capacity"],
        })

    issue_rows = []
    for i in issues:
        m = munis[i["municipality_code"]]
        issue_rows.append({
            "id": i["key"],
            "text": issue_text(i),
            "sector": i["sector"],
            "wanted_roles": i["wanted_roles"],
            "stage": i["stage"],
            "mode": i["mode"],
            "prefecture": m["prefecture_code"],
            "lat": float(m["lat"]),
            "lon": float(m["lon"]),
        })

    for name, rows in (("experts.jsonl", expert_rows), ("issues.jsonl", issue_rows)):
        rows.sort(key=lambda r: r["id"])
        with (EVAL_DIR / name).open("w", encoding="utf-8", newline="\n") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False, sort_keys=False) + "\n")
        print(f"wrote {len(rows)} rows to {EVAL_DIR / name}")


if __name__ == "__main__":
    main()
