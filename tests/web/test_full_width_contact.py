"""Full-width phone numbers and e-mail addresses are made half-width, as full-width digits are elsewhere."""
from __future__ import annotations

import pytest

from tests.web.test_api import request_token
from tests.web.test_experts_service import _input
from web.services.experts import save_profile

FULL_WIDTH_EMAIL = "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ"


@pytest.mark.parametrize("typed", [
    "０１５４−２２−１２３４", "０１５４‐２２‐１２３４", "０１５４－２２－１２３４", "0154ー22ー1234", "0154–22—1234",
    " ０１５４２２１２３４ ",
])
def test_full_width_phone_numbers_and_dash_variants_are_saved_half_width(make_user, typed):
    profile = save_profile(make_user("expert"), _input(contact_phone=typed))
    assert profile.contact_phone in ("0154-22-1234", "0154221234")


def test_full_width_contact_email_is_saved_half_width(make_user):
    profile = save_profile(make_user("expert"), _input(contact_email=FULL_WIDTH_EMAIL))
    assert profile.contact_email == "taro@example.jp"


def test_login_form_accepts_a_full_width_email(make_user, auth, client):
    make_user("officer", email="taro@example.jp")
    response = auth.login(FULL_WIDTH_EMAIL)
    assert response.status_code == 302 and "/auth/login" not in response.headers["Location"]


def test_token_endpoint_accepts_a_full_width_email(make_user, client):
    make_user("officer", email="taro@example.jp")
    assert request_token(client, FULL_WIDTH_EMAIL).status_code == 200
