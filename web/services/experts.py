"""Experts: sign-up with privacy consent, the skill-standard profile, reconfirmation and contact visibility."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import exists, select

from matcher.geo import haversine_km
from web.codes import MODES, ROLES, SECTORS, TRAVEL_RANGES
from web.extensions import db
from web.models import Engagement, ExpertProfile, Issue, IssueCoOwner, Municipality, Prefecture, User
from web.models.base import utcnow
from web.services import audit
from web.services.accounts import create_user
from web.services.errors import NotFound, ServiceError
from web.services.validation import Checker, InvalidInput, clean_tags, half_width
from web.transaction import insert

PRIVACY_NOTICE_VERSION = "2026-11"
MAX_TAGS, TAG_MAX_LEN, MAX_CERTIFICATIONS = 20, 40, 10
_PHONE = re.compile(r"0\d{1,4}-?\d{1,4}-?\d{3,4}")
# Dashes people type in phone numbers (minus, hyphens, en/em dashes, 長音符), all read as "-" after NFKC.
_DASHES = str.maketrans(dict.fromkeys("\u2212\u2010\u2011\u2012\u2013\u2014\u2015\u30fc\uff0d", "-"))


def normalise_phone(value: str | None) -> str:
    """Return a typed phone number in half-width digits and "-" (０１５４−２２−１２３４ → 0154-22-1234)."""
    return half_width(value).translate(_DASHES).strip()


@dataclass
class ExpertInput:
    """What an expert may set on their own profile."""

    display_name: str = ""
    roles: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    sectors: list[str] = field(default_factory=list)
    bio: str = ""
    prefecture_code: str = ""
    #: None (API only): derive it from lat/lon (nearest town of the prefecture) or from the prefecture.
    home_label: str | None = ""
    #: Both or neither; None: derived from the home town (or kept while the home town stays the same).
    lat: object = None
    lon: object = None
    travel_range: str = ""
    modes: list[str] = field(default_factory=list)
    monthly_capacity: object = 1
    certifications: list[str] = field(default_factory=list)
    contact_email: str = ""
    contact_phone: str = ""
    contact_consent: bool = False


def register_expert(email: str, password: str, display_name: str, accepted_privacy: bool) -> User:
    """Create an expert account, recording which privacy notice they accepted and when."""
    if not accepted_privacy:
        raise ServiceError("個人情報の取扱い（利用目的）に同意いただく必要があります。")
    user = create_user(email, password, "expert", display_name)
    user.privacy_notice_version = PRIVACY_NOTICE_VERSION
    user.privacy_accepted_at = utcnow()
    return user


def _check_tags(c: Checker, name: str, label: str, values: list[str], limit: int) -> list[str]:
    tags = clean_tags(values)
    if len(tags) > limit:
        c.add(name, f"{label}は{limit}件まで登録できます。")
    for tag in tags:
        if len(tag) > TAG_MAX_LEN or "<" in tag or ">" in tag:
            c.add(name, f"{label}「{tag[:20]}」は{TAG_MAX_LEN}文字以内で、HTMLタグを含めずに入力してください。")
    return tags


def _check_contact(c: Checker, data: ExpertInput) -> tuple[str | None, str | None]:
    email = half_width(data.contact_email)
    phone = normalise_phone(data.contact_phone)
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            c.add("contact_email", "連絡先メールアドレスの形式が正しくありません（例: taro@example.jp）。")
    if phone and not _PHONE.fullmatch(phone):
        c.add("contact_phone", "電話番号は0から始まる数字とハイフンで入力してください（例: 011-123-4567）。")
    if data.contact_consent and not (email or phone):
        c.add("contact_consent", "連絡先を公開するには、メールアドレスか電話番号を入力してください。")
    return email or None, phone or None


#: The ranges of the DB CHECKs lat_in_japan / lon_in_japan (degrees, WGS 84).
LAT_RANGE, LON_RANGE = (20.0, 46.0), (122.0, 154.0)


def _coordinate(c: Checker, name: str, label: str, value: object, bounds: tuple[float, float]) -> float | None:
    low, high = bounds
    if value is None:
        return None
    # The range test also refuses NaN and infinities, and never converts a huge integer to float.
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        c.add(name, f"{label}（{name}）は日本国内の値として、{low:g}から{high:g}までの数値（度）で指定してください。")
        return None
    return float(value)


def _check_coordinates(c: Checker, data: ExpertInput) -> tuple[float | None, float | None]:
    lat = _coordinate(c, "lat", "緯度", data.lat, LAT_RANGE)
    lon = _coordinate(c, "lon", "経度", data.lon, LON_RANGE)
    if (data.lat is None) != (data.lon is None):
        missing = "lat" if data.lat is None else "lon"
        c.add(missing, "緯度（lat）と経度（lon）は両方指定するか、両方省略してください。")
    return (lat, lon) if lat is not None and lon is not None else (None, None)


def validate_profile(data: ExpertInput) -> dict[str, object]:
    """Return clean profile values, or raise InvalidInput with every problem at once."""
    c = Checker()
    data = c.screen(data)  # NUL / lone surrogates in any text or code field: refused, never looked up
    values: dict[str, object] = {
        "display_name": c.text("display_name", "表示名", data.display_name, max_len=60),
        "roles": c.choices("roles", "役割（人材類型）", data.roles, ROLES),
        "sectors": c.choices("sectors", "得意な分野", data.sectors, SECTORS),
        "modes": c.choices("modes", "対応できる形態", data.modes, MODES),
        "skills": _check_tags(c, "skills", "スキル", data.skills, MAX_TAGS),
        "certifications": _check_tags(c, "certifications", "資格", data.certifications, MAX_CERTIFICATIONS),
        "bio": c.text("bio", "自己紹介・経歴", data.bio, min_len=30, max_len=3000),
        "prefecture_code": data.prefecture_code,
        "home_label": None if data.home_label is None else c.text(
            "home_label", "活動拠点（市区町村）", data.home_label, max_len=60),
        "travel_range": c.choice("travel_range", "出張できる範囲", data.travel_range, TRAVEL_RANGES),
        "monthly_capacity": c.integer("monthly_capacity", "1か月に対応できる回数", data.monthly_capacity, 0, 10),
    }
    if db.session.get(Prefecture, data.prefecture_code or "") is None:
        c.add("prefecture_code", "活動拠点の都道府県を選んでください。")
    if values["travel_range"] == "none" and set(values["modes"]) & {"onsite", "hybrid"}:  # type: ignore[arg-type]
        c.add("modes", "「出張不可」の場合は、現地訪問・ハイブリッドを選べません。オンラインのみを選ぶか、出張できる範囲を変えてください。")
    values["contact_email"], values["contact_phone"] = _check_contact(c, data)
    values["lat"], values["lon"] = _check_coordinates(c, data)
    c.raise_if_any()
    return values


def _locate(prefecture_code: str, home_label: str) -> tuple[float | None, float | None]:
    """Return coordinates: the named municipality's town hall if we know it, else the prefectural office."""
    names = {home_label, home_label.split("市")[0] + "市" if "市" in home_label else home_label}
    town = db.session.scalars(select(Municipality).where(
        Municipality.prefecture_code == prefecture_code, Municipality.name.in_(names)).limit(1)).first()
    if town is not None:
        return town.lat, town.lon
    prefecture = db.session.get(Prefecture, prefecture_code)
    return (prefecture.lat, prefecture.lon) if prefecture else (None, None)


def _derived_home_label(prefecture_code: str, lat: float | None, lon: float | None) -> str:
    """Return the name of the prefecture's town nearest to (lat, lon), or the prefecture's name."""
    prefecture = db.session.get(Prefecture, prefecture_code)
    name = prefecture.name if prefecture else ""
    if lat is None or lon is None:
        return name
    towns = db.session.execute(select(Municipality.name, Municipality.lat, Municipality.lon).where(
        Municipality.prefecture_code == prefecture_code, Municipality.lat.is_not(None),
        Municipality.lon.is_not(None))).all()
    if not towns:
        return name
    return str(min(towns, key=lambda town: (haversine_km((lat, lon), (town.lat, town.lon)), town.name)).name)


def _place(profile: ExpertProfile, lat: float | None, lon: float | None, moved: bool) -> None:
    """Keep given coordinates; else keep the current ones while the home town stays, else locate the town."""
    if lat is not None and lon is not None:
        profile.lat, profile.lon = lat, lon
    elif moved or profile.lat is None or profile.lon is None:
        profile.lat, profile.lon = _locate(profile.prefecture_code, profile.home_label)


def get_own_profile(user: User) -> ExpertProfile | None:
    return db.session.scalar(select(ExpertProfile).where(ExpertProfile.user_id == user.id))


#: The message when contact details would change without a recent password (QUALITY.md A7).
REAUTH_FOR_CONTACT = "連絡先（メールアドレス・電話番号）を変更するには、現在のパスワードを入力してください。"


def _claim_profile(user: User, values: dict[str, object]) -> tuple[ExpertProfile, bool]:
    """Return the user's profile under a row lock, and whether this save created it.

    The first row is written with INSERT … ON CONFLICT (user_id) DO NOTHING: of two first saves at the same
    moment one creates the profile and the other finds it and updates it, never a duplicate-key error.
    """
    profile = get_own_profile(user)
    created = False
    if profile is None:
        new = insert(ExpertProfile).values(user_id=user.id, display_name=values["display_name"],
                                           prefecture_code=values["prefecture_code"])
        created = db.session.execute(new.on_conflict_do_nothing(index_elements=[ExpertProfile.user_id])
                                     .returning(ExpertProfile.id)).first() is not None
        profile = db.session.scalars(select(ExpertProfile).where(ExpertProfile.user_id == user.id)).one()
    db.session.refresh(profile, with_for_update=True)
    return profile, created


def save_profile(user: User, data: ExpertInput, *, may_change_contact: bool = True) -> ExpertProfile:
    """Create or replace the expert's own profile; consent changes are recorded with version and time.

    With ``may_change_contact=False`` (no recent password), a change of the contact email or phone of an
    existing profile is refused with an error on ``current_password`` and nothing is saved.
    """
    if user.role != "expert":
        raise ServiceError("プロフィールを登録できるのは外部人材のアカウントです。")
    values = validate_profile(data)
    profile, created = _claim_profile(user, values)
    if not created and not may_change_contact and (
        (profile.contact_email, profile.contact_phone) != (values["contact_email"], values["contact_phone"])
    ):
        raise InvalidInput({"current_password": [REAUTH_FOR_CONTACT]})
    lat, lon = values.pop("lat"), values.pop("lon")
    if values["home_label"] is None:
        values["home_label"] = _derived_home_label(str(values["prefecture_code"]), lat, lon)  # type: ignore[arg-type]
    moved = created or (profile.prefecture_code, profile.home_label) != (values["prefecture_code"], values["home_label"])
    for name in ("roles", "sectors", "modes"):
        chosen = set(values.pop(name))  # type: ignore[call-overload]
        current = getattr(profile, name)
        current.intersection_update(chosen)
        current.update(chosen)
    for name, value in values.items():
        setattr(profile, name, value)
    _place(profile, lat, lon, moved)
    if profile.contact_consent_version is None or profile.contact_consent != data.contact_consent:
        profile.record_contact_consent(bool(data.contact_consent), PRIVACY_NOTICE_VERSION)
    profile.last_confirmed_at = utcnow()
    db.session.add(profile)
    db.session.flush()
    audit.record("expert_profile_saved", actor_id=user.id, object_type="expert", object_id=profile.id)
    return profile


def reconfirm_availability(profile: ExpertProfile) -> None:
    """Mark the profile as confirmed today (one click for the expert)."""
    profile.last_confirmed_at = utcnow()
    db.session.flush()


def get_visible_expert(viewer: User, expert_id: int) -> ExpertProfile:
    """Return a profile the viewer may read (officers, coordinators, admins, the expert); else NotFound."""
    profile = db.session.get(ExpertProfile, expert_id)
    if profile is None:
        raise NotFound("外部人材が見つかりません。")
    if viewer.role == "expert" and profile.user_id != viewer.id:
        raise NotFound("外部人材が見つかりません。")
    return profile


def can_see_contact(viewer: User, profile: ExpertProfile) -> bool:
    """Tell whether the viewer may see the expert's contact details (consent or an accepted engagement)."""
    if viewer.role == "admin" or profile.user_id == viewer.id:
        return True
    if viewer.role not in ("officer", "coordinator"):
        return False
    return profile.contact_consent or _has_engagement_with(viewer, profile)


def disclose_contact(viewer: User, profile: ExpertProfile) -> dict[str, str | None] | None:
    """Return the contact details the viewer may see (or None), auditing every disclosure to someone else.

    APPI 安全管理措置: who saw an expert's contact details, and when, stays on record (ids only).
    """
    if not can_see_contact(viewer, profile):
        return None
    if profile.user_id != viewer.id:
        audit.record("contact_viewed", actor_id=viewer.id, object_type="expert", object_id=profile.id)
    return {"email": profile.contact_email, "phone": profile.contact_phone}


def _has_engagement_with(viewer: User, profile: ExpertProfile) -> bool:
    engaged = select(Engagement.issue_id).where(
        Engagement.expert_id == profile.id, Engagement.status.in_(("active", "completed")))
    if viewer.role == "officer":
        owned = select(Issue.id).where(Issue.municipality_code == viewer.municipality_code)
        co_owned = select(IssueCoOwner.issue_id).where(IssueCoOwner.municipality_code == viewer.municipality_code)
        query = engaged.where(Engagement.issue_id.in_(owned.union(co_owned)))
    else:
        towns = select(Municipality.code).where(Municipality.prefecture_code == viewer.prefecture_code)
        query = engaged.where(Engagement.issue_id.in_(select(Issue.id).where(Issue.municipality_code.in_(towns))))
    return bool(db.session.scalar(select(exists(query))))


def expert_input_from(profile: ExpertProfile) -> ExpertInput:
    """Return the editable fields of a profile (for pre-filling forms and PUT)."""
    return ExpertInput(
        display_name=profile.display_name, roles=sorted(profile.roles), skills=list(profile.skills),
        sectors=sorted(profile.sectors), bio=profile.bio, prefecture_code=profile.prefecture_code,
        home_label=profile.home_label, travel_range=profile.travel_range, modes=sorted(profile.modes),
        monthly_capacity=profile.monthly_capacity, certifications=list(profile.certifications),
        contact_email=profile.contact_email or "", contact_phone=profile.contact_phone or "",
        contact_consent=profile.contact_consent,
    )
