"""Routes of the coordinator blueprint; each page family lives in its own module, imported here."""
from web.coordinator import towns  # noqa: F401  (map, municipality pages)
