"""Small security helpers shared by services and the API."""
from __future__ import annotations

import hashlib


def hash_token(raw: str) -> str:
    """Return the hex SHA-256 of a token secret (what the database keeps instead of the secret)."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()
