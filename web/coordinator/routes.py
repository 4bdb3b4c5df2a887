"""Routes of the coordinator blueprint; each page family lives in its own module, imported here."""
from web.coordinator import dashboard  # noqa: E402,F401
