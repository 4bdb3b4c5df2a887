"""The PostgreSQL test databases: one per xdist worker (see tests/conftest.py),
created when missing."""
from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from web.config import normalise_database_url


def worker_database_url(raw: str, worker: str) -> str:
    """The URL of the worker's own database: the same server and credentials, the name suffixed with the worker id."""
    url = make_url(raw)
    return url.set(database=f"{url.database}_{worker}").render_as_string(hide_password=False)


def ensure_database(url: str) -> None:
    """CREATE DATABASE when it does not exist yet (connecting to the server's maintenance database); raise when
    the server cannot be reached or refuses."""
    target = make_url(normalise_database_url(url))
    last_error: Exception | None = None
    for maintenance in ("postgres", "template1"):
        admin = create_engine(target.set(database=maintenance), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                     {"name": target.database})
                if not exists:
                    conn.execute(text(f'CREATE DATABASE "{target.database}"'))
            return
        except Exception as error:  # noqa: BLE001  (try the next maintenance database, then report)
            last_error = error
        finally:
            admin.dispose()
    raise RuntimeError(f"could not create the test database {target.database}: {last_error}") from last_error
