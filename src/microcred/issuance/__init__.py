"""Issuance: compose -> validate -> sign -> self-verify (pure; I/O is injected)."""

from microcred.issuance.pipeline import IssuancePipeline

__all__ = ["IssuancePipeline"]
