"""Prefectures (JIS X 0401), their region (地方) and distance helpers.

Coordinates are the prefectural offices (都道府県庁所在地), used when a record names a prefecture but has no
latitude/longitude of its own. Distances are great-circle (haversine) distances in kilometres.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .exceptions import InvalidRecordError, UnknownCodeError

EARTH_RADIUS_KM = 6371.0088

REGIONS: tuple[str, ...] = ("北海道", "東北", "関東", "中部", "近畿", "中国", "四国", "九州・沖縄")


@dataclass(frozen=True)
class Prefecture:
    """One prefecture: JIS code, name, region and the prefectural office's coordinates."""

    code: str
    name: str
    region: str
    lat: float
    lon: float


def _p(code: str, name: str, region: str, lat: float, lon: float) -> tuple[str, Prefecture]:
    return code, Prefecture(code, name, region, lat, lon)


PREFECTURES: Mapping[str, Prefecture] = dict(
    [
        _p("01", "北海道", "北海道", 43.0642, 141.3469),
        _p("02", "青森県", "東北", 40.8244, 140.7400),
        _p("03", "岩手県", "東北", 39.7036, 141.1527),
        _p("04", "宮城県", "東北", 38.2689, 140.8721),
        _p("05", "秋田県", "東北", 39.7186, 140.1024),
        _p("06", "山形県", "東北", 38.2404, 140.3633),
        _p("07", "福島県", "東北", 37.7503, 140.4676),
        _p("08", "茨城県", "関東", 36.3418, 140.4468),
        _p("09", "栃木県", "関東", 36.5657, 139.8836),
        _p("10", "群馬県", "関東", 36.3907, 139.0604),
        _p("11", "埼玉県", "関東", 35.8570, 139.6489),
        _p("12", "千葉県", "関東", 35.6051, 140.1233),
        _p("13", "東京都", "関東", 35.6895, 139.6917),
        _p("14", "神奈川県", "関東", 35.4478, 139.6425),
        _p("15", "新潟県", "中部", 37.9026, 139.0236),
        _p("16", "富山県", "中部", 36.6953, 137.2113),
        _p("17", "石川県", "中部", 36.5947, 136.6256),
        _p("18", "福井県", "中部", 36.0652, 136.2216),
        _p("19", "山梨県", "中部", 35.6642, 138.5684),
        _p("20", "長野県", "中部", 36.6513, 138.1810),
        _p("21", "岐阜県", "中部", 35.3912, 136.7223),
        _p("22", "静岡県", "中部", 34.9769, 138.3831),
        _p("23", "愛知県", "中部", 35.1802, 136.9066),
        _p("24", "三重県", "近畿", 34.7303, 136.5086),
        _p("25", "滋賀県", "近畿", 35.0045, 135.8686),
        _p("26", "京都府", "近畿", 35.0210, 135.7556),
        _p("27", "大阪府", "近畿", 34.6863, 135.5200),
        _p("28", "兵庫県", "近畿", 34.6913, 135.1830),
        _p("29", "奈良県", "近畿", 34.6851, 135.8329),
        _p("30", "和歌山県", "近畿", 34.2260, 135.1675),
        _p("31", "鳥取県", "中国", 35.5039, 134.2383),
        _p("32", "島根県", "中国", 35.4723, 133.0505),
        _p("33", "岡山県", "中国", 34.6618, 133.9344),
        _p("34", "広島県", "中国", 34.3966, 132.4596),
        _p("35", "山口県", "中国", 34.1859, 131.4714),
        _p("36", "徳島県", "四国", 34.0658, 134.5593),
        _p("37", "香川県", "四国", 34.3401, 134.0434),
        _p("38", "愛媛県", "四国", 33.8417, 132.7661),
        _p("39", "高知県", "四国", 33.5597, 133.5311),
        _p("40", "福岡県", "九州・沖縄", 33.6064, 130.4181),
        _p("41", "佐賀県", "九州・沖縄", 33.2494, 130.2988),
        _p("42", "長崎県", "九州・沖縄", 32.7448, 129.8737),
        _p("43", "熊本県", "九州・沖縄", 32.7898, 130.7417),
        _p("44", "大分県", "九州・沖縄", 33.2382, 131.6126),
        _p("45", "宮崎県", "九州・沖縄", 31.9111, 131.4239),
        _p("46", "鹿児島県", "九州・沖縄", 31.5602, 130.5581),
        _p("47", "沖縄県", "九州・沖縄", 26.2124, 127.6809),
    ]
)


def normalize_prefecture(value: object) -> str | None:
    """Return the two-digit JIS code for ``value`` ("1", 1, "01" → "01"); ``None`` stays ``None``."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise UnknownCodeError("prefecture", value, ())
    text = str(value).strip()
    code = text.zfill(2) if text.isdigit() else text
    if code not in PREFECTURES:
        raise UnknownCodeError("prefecture", value, ())
    return code


def check_lat_lon(lat: float | None, lon: float | None) -> None:
    """Raise :class:`InvalidRecordError` unless both or neither are given and they are in range."""
    if (lat is None) != (lon is None):
        raise InvalidRecordError("lat/lon", (lat, lon), "give both latitude and longitude or neither")
    if lat is not None and not -90.0 <= lat <= 90.0:
        raise InvalidRecordError("lat", lat, "latitude must be within [-90, 90]")
    if lon is not None and not -180.0 <= lon <= 180.0:
        raise InvalidRecordError("lon", lon, "longitude must be within [-180, 180]")


def locate(prefecture: str | None, lat: float | None, lon: float | None) -> tuple[float, float] | None:
    """Return the record's own coordinates, else its prefectural office's, else ``None``."""
    if lat is not None and lon is not None:
        return lat, lon
    if prefecture is not None:
        pref = PREFECTURES[prefecture]
        return pref.lat, pref.lon
    return None


def unit_xyz(lat: float, lon: float) -> tuple[float, float, float]:
    """Return the point on the unit sphere for a latitude/longitude in degrees."""
    phi, lam = math.radians(lat), math.radians(lon)
    return math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lat, lon) points."""
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def region_of(prefecture: str | None) -> str | None:
    """Return the 地方 of a prefecture code."""
    return PREFECTURES[prefecture].region if prefecture is not None else None


def region_index(prefecture: str | None) -> int:
    """Return the index of the prefecture's region in :data:`REGIONS`, or -1."""
    region = region_of(prefecture)
    return REGIONS.index(region) if region is not None else -1
