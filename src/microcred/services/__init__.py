"""Use cases of the platform. Each public service method owns one database transaction."""
