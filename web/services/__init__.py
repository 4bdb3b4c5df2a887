"""Use cases. Services flush at most; the caller (view, job, CLI) commits once."""
