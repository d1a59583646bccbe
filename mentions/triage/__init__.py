"""Triage: language, sentiment, kind, aspects and relevance for batches of mentions."""

from mentions.triage.engine import ClientTriage, TriageResult, triage_texts

__all__ = ["ClientTriage", "TriageResult", "triage_texts"]
