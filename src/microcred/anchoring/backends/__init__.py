"""Ledger backends: ``embedded`` (database, default), ``null`` (tests, dry runs), ``evm``."""
