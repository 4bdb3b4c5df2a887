"""URL helpers: the local-path check for redirects and the bounded integer converter for row ids."""
from __future__ import annotations

from urllib.parse import urlsplit

from werkzeug.routing import IntegerConverter, Map

#: The largest PostgreSQL integer: no row id is larger, so a larger one in a URL is a 404, never a query.
ROW_ID_MAX = 2_147_483_647


class RowIdConverter(IntegerConverter):
    """`<int:...>` for the whole app: at most ROW_ID_MAX unless a route says otherwise.

    Registered as the app's "int" converter (see `register_converters`), so every existing route is bounded:
    /issues/2147483648 is a 404 like an unknown id, instead of an integer overflow in the database.
    """

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = ROW_ID_MAX,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, ROW_ID_MAX if max is None else max, signed)


def register_converters(url_map: Map) -> None:
    """Install the bounded "int" converter; call it before any blueprint is registered."""
    url_map.converters["int"] = RowIdConverter


def is_local_path(target: str | None) -> bool:
    """Tell whether `target` is a path on this site (no scheme, no host, not protocol-relative).

    Control characters (a newline would split the Location header) and whitespace make it not a path.
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(not c.isprintable() or c.isspace() for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
