"""Background jobs (APScheduler): thin wrappers around services."""
