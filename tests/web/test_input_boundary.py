"""The input boundary: what no form, API call or stored row may do (NUL, lone surrogates, bidi tricks, JSON bombs,
huge ids, header injection through `next`), and the matcher containing a row that slipped in before."""
from __future__ import annotations

import json
import logging
import secrets
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests.web.conftest import PASSWORD
from tests.web.test_api import BASE, api_as, assert_problem
from web.extensions import db
from web.models import ExpertProfile, Issue, User
from matcher.exceptions import InvalidRecordError
from web.services import matching
from web.services.experts import ExpertInput, validate_profile
from web.services.seeding import load_seed
from web.services.validation import Checker, InvalidInput

BODY = "紙の申請書が多く、窓口で住民を待たせている。職員も転記に追われている。"
BIO = "自治体の業務改革とUI設計を10年支援してきました。窓口のデジタル化が得意です。"
BAD_SKILL = "UI\ud800設計"


def _issue_json(**overrides):
    data = {"title": "書かない窓口を始めたい", "body": BODY, "sector": "resident_services",
            "stage": "issue_definition", "wanted_roles": ["project_manager"]}
    return {**data, **overrides}


def _profile_json(**overrides):
    data = {"display_name": "山田 太郎", "roles": ["engineer"], "sectors": ["agriculture"], "modes": ["online"],
            "bio": BIO, "prefecture_code": "01", "home_label": "岩見沢市", "travel_range": "prefecture"}
    return {**data, **overrides}


def _issue_form(**overrides):
    data = {"title": "書かない窓口を始めたい", "body": BODY, "sector": "resident_services", "stage": "issue_definition",
            "wanted_roles": ["project_manager"], "menu": "accompaniment", "mode": "hybrid", "months": "6",
            "save": "下書き保存"}
    return {**data, **overrides}


def _issue_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Issue))


@pytest.fixture
def officer_api(app_ctx, client, make_user):
    return api_as(client, make_user("officer"))


@pytest.fixture
def expert_api(app_ctx, client, make_user):
    return api_as(client, make_user("expert"))


# ---------------------------------------------------------------- NUL and lone surrogates are refused


@pytest.mark.parametrize("overrides, field", [
    ({"co_municipality_codes": ["01\x002068"]}, "co_municipality_codes"),
    ({"municipality_code": "012\x00106"}, "municipality_code"),
    ({"title": "書かない\x00窓口を始めたい"}, "title"),
])
def test_nul_in_an_issue_field_is_refused_with_422_naming_it(officer_api, field, overrides):
    body = assert_problem(officer_api.post("/issues", json=_issue_json(**overrides)), 422)
    assert "使えない文字" in " ".join(body["errors"][next(iter(body["errors"]))])
    assert next(iter(body["errors"])).split(".")[0] == field and _issue_count() == 0


@pytest.mark.parametrize("overrides", [
    {"co_municipality_codes": ["01\x002068"]}, {"municipality_code": "012\x00106"}, {"sector": "other\x00"},
    {"title": "書かない\x00窓口"},
])
def test_nul_in_a_web_form_is_refused_before_any_view_looks_it_up(app_ctx, client, auth, make_user, overrides):
    auth.login(make_user("coordinator").email)
    response = client.post("/issues/new", data=_issue_form(**{"municipality_code": "012106", **overrides}))
    assert response.status_code == 400 and "使えない文字" in response.get_data(as_text=True)
    assert _issue_count() == 0


@pytest.mark.parametrize("path", ["/issues?status=open%00", "/issues/1%00", "/auth/login?next=/%00"])
def test_nul_in_a_path_or_query_is_400(app_ctx, client, auth, make_user, path):
    auth.login(make_user("officer").email)
    assert client.get(path).status_code == 400


def test_lone_surrogate_in_skills_is_refused_with_422(expert_api):
    body = assert_problem(expert_api.put("/experts/me", json=_profile_json(skills=[BAD_SKILL])), 422)
    assert list(body["errors"]) == ["skills.0"] and "使えない文字" in body["errors"]["skills.0"][0]
    assert db.session.scalar(select(func.count()).select_from(ExpertProfile)) == 0


def test_lone_surrogate_in_a_key_is_refused_and_the_answer_is_valid_utf8(expert_api):
    response = expert_api.put("/experts/me", json=_profile_json(**{"x\udc00": 1}))
    body = assert_problem(response, 422)
    assert list(body["errors"]) == ["x\ufffd"]


@pytest.mark.parametrize("credentials", [
    {"email": "a\x00@example.jp", "password": PASSWORD},
    {"email": "a\ud800@example.jp", "password": PASSWORD},
    {"email": "a@example.jp", "password": "pw\ud800"},
])
def test_token_endpoint_refuses_nul_and_lone_surrogates_with_422(app_ctx, client, credentials):
    body = assert_problem(client.post(f"{BASE}/auth/token", json=credentials), 422)
    assert set(body["errors"]) <= {"email", "password"}


def test_the_service_refuses_lone_surrogates_for_forms_cli_and_seed_alike(app_ctx, geo):
    data = ExpertInput(display_name="山田 太郎", roles=["engineer"], sectors=["agriculture"], modes=["online"],
                       bio=BIO, prefecture_code="01\x00", home_label="岩見沢市", travel_range="prefecture",
                       skills=[BAD_SKILL], certifications=["応用\ud800"])
    with pytest.raises(InvalidInput) as caught:
        validate_profile(data)
    assert {"skills", "certifications", "prefecture_code"} <= set(caught.value.errors)
    assert all("使えない文字" in caught.value.errors[f][0] for f in ("skills", "certifications", "prefecture_code"))


def test_nul_in_the_login_email_is_refused_not_a_server_error(app_ctx, client, make_user):
    response = client.post("/auth/login", data={"email": "a\x00@example.jp", "password": PASSWORD})
    assert response.status_code == 400


# ---------------------------------------------------------------- invisible characters and echoed values


SPOOFED_TITLE = "\u202e書かない\u200b窓口を\u2066始めたい\u2069\ufeff"


def test_bidi_overrides_and_zero_width_characters_are_removed_from_titles_in_the_form(app_ctx, client, auth,
                                                                                      make_user):
    auth.login(make_user("officer").email)
    client.post("/issues/new", data=_issue_form(title=SPOOFED_TITLE))
    assert db.session.scalars(select(Issue.title)).one() == "書かない窓口を始めたい"


def test_invisible_characters_are_removed_from_names_skills_and_certifications(app_ctx, geo):
    values = validate_profile(ExpertInput(
        display_name="山田\u200d 太郎\u061c", roles=["engineer"], sectors=["agriculture"], modes=["online"], bio=BIO,
        prefecture_code="01", home_label="岩見沢市\u202d", travel_range="prefecture", skills=["UI\u200e設計"],
        certifications=["\u2060応用情報"]))
    assert (values["display_name"], values["home_label"]) == ("山田 太郎", "岩見沢市")
    assert (values["skills"], values["certifications"]) == (["UI設計"], ["応用情報"])


@pytest.mark.parametrize("title", [SPOOFED_TITLE, "書かない窓口を\x07始めたい"])
def test_the_api_refuses_control_and_invisible_characters_as_its_document_says(officer_api, title):
    body = assert_problem(officer_api.post("/issues", json=_issue_json(title=title)), 422)
    assert "見えない文字" in body["errors"]["title"][0] and _issue_count() == 0


def test_a_refused_choice_is_quoted_only_in_part():
    checker = Checker()
    checker.choice("action", "操作", "x" * 200_000, {"pin": "ピン留め"})
    checker.choices("roles", "役割", ["y" * 200_000, "z\ud800"], {"engineer": "エンジニア"})
    messages = [m for ms in checker.errors.values() for m in ms]
    assert all(len(m) < 120 for m in messages) and "\ud800" not in "".join(messages)


def test_a_huge_curation_action_does_not_bloat_the_session_cookie(app_ctx, client, auth, make_user, make_issue,
                                                                   make_expert):
    issue, expert = make_issue(), make_expert()
    auth.login(make_user("coordinator").email)
    response = client.post(f"/issues/{issue.id}/curation/{expert.id}", data={"action": secrets.token_hex(100_000), "reason": "理由"})
    cookie = client.get_cookie(client.application.config["SESSION_COOKIE_NAME"])
    # A refused pin/exclusion is shown again under its field (422), quoting at most a short part of the value.
    assert response.status_code == 422 and len(cookie.value) < 4096
    assert len(response.get_data()) < 200_000


# ---------------------------------------------------------------- JSON the API cannot read safely


@pytest.mark.parametrize("raw", [
    "[" * 50_000 + "]" * 50_000,
    '{"email": ' + "[" * 50_000 + "]" * 50_000 + "}",
    '{"email": "a@example.jp", "password": ' + "9" * 5_000 + "}",
    '{"email": "a@example.jp", "password": NaN}',
    '{"email": ' + "[" * 40 + "]" * 40 + "}",
])
def test_json_bombs_are_400_even_without_a_token(app_ctx, client, raw):
    response = client.post(f"{BASE}/auth/token", data=raw, content_type="application/json")
    assert_problem(response, 400)


@pytest.mark.parametrize("raw", ['{"months": ' + "1" * 5_000 + "}", '{"title": ' + "[" * 50_000 + "]" * 50_000 + "}"])
def test_json_bombs_are_400_on_every_endpoint(officer_api, make_issue, raw):
    issue = make_issue()
    for method, path in (("POST", "/issues"), ("PATCH", f"/issues/{issue.id}"), ("PUT", "/experts/me")):
        response = officer_api.call(method, path, data=raw, content_type="application/json")
        assert_problem(response, 400)


def test_patch_without_a_body_is_refused(officer_api, make_issue):
    issue = make_issue()
    response = officer_api.call("PATCH", f"/issues/{issue.id}")
    assert_problem(response, 400)


def test_patch_with_a_chunked_form_body_is_refused(officer_api, make_issue):
    issue = make_issue()
    headers = {"Authorization": f"Bearer {officer_api.token}", "Transfer-Encoding": "chunked",
               "Content-Type": "application/x-www-form-urlencoded"}
    response = officer_api.client.open(f"{BASE}/issues/{issue.id}", method="PATCH", data=b"title=x",
                                       headers=headers, environ_overrides={"wsgi.input_terminated": True})
    assert_problem(response, 415)


# ---------------------------------------------------------------- URLs


@pytest.mark.parametrize("method, path", [
    ("GET", "/issues/2147483648"), ("GET", "/issues/99999999999999999999/edit"), ("GET", "/experts/2147483648"),
    ("POST", "/notifications/2147483648/read"), ("POST", "/issues/1/shortlist/2147483648"),
    ("POST", "/issues/2147483648/curation/1"), ("GET", "/issues/2147483648/candidates"),
])
def test_ids_beyond_the_database_integer_are_404(app_ctx, client, auth, make_user, method, path):
    auth.login(make_user("coordinator").email)
    assert client.open(path, method=method).status_code == 404


def test_the_largest_id_still_routes(app_ctx, client, auth, make_user):
    auth.login(make_user("coordinator").email)
    assert client.get("/issues/2147483647").status_code == 404  # routed, then not found in the database
    assert client.application.url_map.bind("x").match("/issues/2147483647") == (
        "issues.detail", {"issue_id": 2147483647})


@pytest.mark.parametrize("target", ["/%0aLocation:%20x", "/%0d%0aSet-Cookie:%20a=b", "/%09x", "/\u2028x"])
def test_a_control_character_in_next_redirects_home_after_login(app_ctx, client, make_user, target):
    user = make_user("officer")
    response = client.post(f"/auth/login?next={target}", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"


# ---------------------------------------------------------------- the matcher contains a bad row


def _store_past_the_boundary(expert_id: int, column: str, values: list[str]) -> None:
    """Write a JSON list as raw SQL, the way a row written before the input boundary would look."""
    cast = "CAST(:v AS json)" if db.engine.dialect.name == "postgresql" else ":v"
    db.session.execute(text(f"UPDATE expert_profile SET {column} = {cast} WHERE id = :id"),
                       {"v": json.dumps(values), "id": expert_id})  # json.dumps escapes it: "UI\\ud800設計"
    db.session.commit()
    db.session.expire_all()


@pytest.fixture
def bad_row(app_ctx, make_expert, make_user, make_issue):
    """A good expert, an issue, and an expert whose skills hold a lone surrogate written past the validation.

    Both databases can hold it in a JSON column (PostgreSQL's json type keeps the escape as written)."""
    good = make_expert(user=make_user("expert", display_name="ドローン 太郎"),
                       bio="ドローン防除と農薬散布の実証を担当。散布計画づくりが得意。", roles=("project_manager",))
    bad = make_expert(user=make_user("expert", display_name="設計 花子"), roles=("project_manager",))
    _store_past_the_boundary(bad.id, "skills", [BAD_SKILL])
    _store_past_the_boundary(bad.id, "certifications", ["応用\udfff"])
    issue = make_issue(title="水田のドローン防除", body="水稲の農薬散布をドローンで行いたいが、散布計画が分からない。")
    return {"good": good, "bad": bad, "issue": issue}


def test_a_stored_lone_surrogate_reads_back_as_the_replacement_character(bad_row):
    assert bad_row["bad"].skills == ["UI\ufffd設計"] and bad_row["bad"].certifications == ["応用\ufffd"]


def test_a_profile_with_a_stored_lone_surrogate_keeps_ranking_and_every_page_working(bad_row, client, auth,
                                                                                     make_user):
    officer = make_user("officer")
    auth.login(officer.email)
    assert client.get(f"/issues/{bad_row['issue'].id}/candidates").status_code == 200
    assert client.get(f"/experts/{bad_row['bad'].id}").status_code == 200
    candidates = api_as(client, officer).get(f"/issues/{bad_row['issue'].id}/candidates").get_json()["candidates"]
    assert {c["expert_id"] for c in candidates} == {bad_row["good"].id, bad_row["bad"].id}
    assert app_runner_rebuild(client.application).exit_code == 0


def test_the_expert_can_open_and_repair_a_profile_with_a_stored_lone_surrogate(bad_row, client, auth):
    auth.logout()
    auth.login(bad_row["bad"].user.email)
    for path in ("/experts/profile", "/experts/profile/edit"):
        response = client.get(path)
        assert response.status_code == 200 and "UI\ufffd設計" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200


def app_runner_rebuild(app):
    return app.test_cli_runner().invoke(args=["matcher", "rebuild"])


def test_a_row_the_matcher_refuses_is_left_out_and_logged_by_id_only(bad_row, client, make_user, caplog,
                                                                     monkeypatch):
    real = matching.expert_record

    def refuse_the_bad_one(profile):
        if profile.id == bad_row["bad"].id:
            raise InvalidRecordError("text", profile.id, "refused for this test")
        return real(profile)

    monkeypatch.setattr(matching, "expert_record", refuse_the_bad_one)
    caplog.set_level(logging.WARNING, logger="web.services.matching")
    officer_api = api_as(client, make_user("officer"))
    candidates = officer_api.get(f"/issues/{bad_row['issue'].id}/candidates").get_json()["candidates"]
    assert [c["expert_id"] for c in candidates] == [bad_row["good"].id]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert f"ExpertProfile {bad_row['bad'].id}" in logged and "設計" not in logged
    result = app_runner_rebuild(client.application)
    assert result.exit_code == 0 and "人材 1人" in result.output


# ---------------------------------------------------------------- the OpenAPI document says what is enforced


def test_the_document_states_the_lengths_and_counts_the_services_enforce(app_ctx, client):
    schemas = client.get(f"{BASE}/openapi.json").get_json()["components"]["schemas"]
    create = schemas["IssueCreate"]["properties"]
    assert (create["title"]["minLength"], create["title"]["maxLength"]) == (5, 80)
    assert (create["body"]["minLength"], create["body"]["maxLength"]) == (20, 4000)
    assert create["wanted_roles"]["minItems"] == 1 and schemas["IssuePatch"]["properties"]["wanted_roles"]["minItems"] == 1
    assert create["co_municipality_codes"]["maxItems"] == 10
    assert create["municipality_code"]["pattern"] == "^[0-9]{6}$"
    assert schemas["TokenRequest"]["properties"]["email"]["pattern"].startswith("^[^\\u0000-\\u0008")


def test_the_document_states_the_rules_between_fields_and_that_contact_is_an_object_or_null(app_ctx, client):
    schemas = client.get(f"{BASE}/openapi.json").get_json()["components"]["schemas"]
    rules = schemas["IssueCreate"]["allOf"]
    assert {"required": ["months"], "properties": {"months": {"enum": [1]}}} in rules[0]["anyOf"]
    assert {"properties": {"menu": {"not": {"enum": ["joint"]}}}} in rules[1]["anyOf"]
    assert schemas["ExpertPut"]["properties"]["contact"]["anyOf"] == [
        {"$ref": "#/components/schemas/ContactInput"}, {"nullable": True, "enum": [None]}]


@pytest.mark.parametrize("change, field", [
    ({"municipality_code": ""}, "municipality_code"), ({"co_municipality_codes": [""]}, "co_municipality_codes.0"),
    ({"co_municipality_codes": ["０１２０６８"]}, "co_municipality_codes.0"), ({"title": "短い"}, "title"),
])
def test_values_the_document_forbids_are_refused_not_ignored(officer_api, change, field):
    body = assert_problem(officer_api.post("/issues", json=_issue_json(**change)), 422)
    assert field in body["errors"] and _issue_count() == 0


# ---------------------------------------------------------------- the seed loader


def test_the_seed_loader_refuses_a_lone_surrogate_naming_the_file_and_place(app_ctx, tmp_path):
    seed = Path(__file__).resolve().parents[2] / "seed_data"
    for source in seed.iterdir():
        if source.is_file():
            (tmp_path / source.name).write_bytes(source.read_bytes())
    experts = json.loads((seed / "experts.json").read_text(encoding="utf-8"))
    experts[1]["skills"] = [BAD_SKILL]
    (tmp_path / "experts.json").write_text(json.dumps(experts), encoding="utf-8")  # ASCII: "\ud800" escaped
    with pytest.raises(ValueError, match=r"experts.json: NUL or a lone surrogate at 1\.skills\.0"):
        load_seed(tmp_path)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ExpertProfile)) == 0


def test_a_bad_profile_does_not_take_recommendations_or_the_coordinators_pages_down(bad_row, client, auth, make_user):
    # Only JSON columns (skills, certifications) can hold a lone surrogate, escaped; a text column cannot.
    expert_api = api_as(client, bad_row["good"].user)
    assert expert_api.get("/experts/me/recommended-issues").status_code == 200
    auth.login(make_user("coordinator").email)
    for page in ("/coordinator/", "/coordinator/plan", "/coordinator/joint", f"/issues/{bad_row['issue'].id}/candidates"):
        assert client.get(page).status_code == 200, page


def test_a_sign_up_name_is_stored_without_bidi_overrides(app_ctx, client):
    client.post("/experts/signup", data={"email": "bidi@example.jp", "password": "a-long-passphrase",
                                         "password_again": "a-long-passphrase",
                                         "display_name": "abc\u202egpj.exe", "accept_privacy": "y"})
    assert db.session.scalars(select(User.display_name).where(User.email == "bidi@example.jp")).one() == "abcgpj.exe"


def test_users_create_refuses_an_address_with_an_undecodable_byte(app):
    result = app.test_cli_runner().invoke(args=["users", "create", "--email", "bad\udcff@example.jp", "--password",
                                                "a-long-passphrase", "--role", "expert"])
    assert result.exit_code == 1 and "メールアドレス" in result.output and "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0
