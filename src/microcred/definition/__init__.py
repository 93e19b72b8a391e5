"""Micro-credential definitions -> unsigned Open Badges 3.0 credentials."""

from microcred.definition.compose import compose_credential, format_datetime

__all__ = ["compose_credential", "format_datetime"]
