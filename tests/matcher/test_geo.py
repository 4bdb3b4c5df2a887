from __future__ import annotations

import numpy as np
import pytest

from matcher.geo import PREFECTURES, REGIONS, haversine_km, unit_xyz
from matcher.scoring import chord2_to_km

from .conftest import KUSHIRO, SAPPORO


def test_sapporo_to_kushiro_is_about_250_km_as_the_crow_flies() -> None:
    # DOMAIN.md's "over 300 km" is by road; the matcher uses great-circle distance.
    assert 240 < haversine_km(SAPPORO, KUSHIRO) < 260


def test_unit_sphere_distance_equals_haversine() -> None:
    a, b = np.array(unit_xyz(*SAPPORO)), np.array(unit_xyz(*KUSHIRO))
    assert chord2_to_km(np.array(float(np.sum((a - b) ** 2)))) == pytest.approx(
        haversine_km(SAPPORO, KUSHIRO), rel=1e-9
    )


def test_every_prefecture_has_a_region_of_the_eight() -> None:
    assert len(PREFECTURES) == 47 and {p.region for p in PREFECTURES.values()} == set(REGIONS)
