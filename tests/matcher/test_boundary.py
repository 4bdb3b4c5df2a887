from __future__ import annotations

import subprocess
import sys

import matcher


def test_importing_matcher_loads_no_web_framework_nor_heavy_libraries() -> None:
    code = (
        "import sys, matcher; bad = [m for m in sys.modules if m.split('.')[0] in "
        "('flask', 'sqlalchemy', 'web', 'sklearn', 'scipy', 'networkx', 'flask_sqlalchemy')]; print(bad)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_public_names_are_exported_in_all() -> None:
    assert all(hasattr(matcher, name) for name in matcher.__all__)
    assert {"Matcher", "ExpertRecord", "IssueRecord", "Candidate", "assign", "find_joint_issues"} <= set(
        matcher.__all__
    )
