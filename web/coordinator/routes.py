"""Routes of the coordinator blueprint; each page family lives in its own module, imported here."""
from web.coordinator import exports, lists, monthly  # noqa: F401  (B: lists, exports, monthly report)
