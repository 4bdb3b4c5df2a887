"""Security headers on every response."""
from __future__ import annotations


def test_pages_send_a_strict_content_security_policy(client):
    csp = client.get("/auth/login").headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp


def test_error_pages_carry_the_security_headers_too(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "ページが見つかりません" in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_hsts_is_sent_over_https(client):
    response = client.get("/auth/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
