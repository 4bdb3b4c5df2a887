"""Routes of the coordinator blueprint; each page family lives in its own module, imported here."""
