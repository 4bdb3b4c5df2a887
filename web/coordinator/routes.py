"""Routes of the coordinator blueprint; each page family lives in its own module, imported here."""
from web.coordinator import dashboard  # noqa: F401  (progress dashboard)
from web.coordinator import desk  # noqa: F401  (overview, plan, joint)
from web.coordinator import towns  # noqa: F401  (map, municipality pages)
from web.coordinator import exports, lists, monthly  # noqa: F401  (lists, exports, monthly report)
