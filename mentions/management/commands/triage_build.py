"""Rebuild the shipped triage models from ../shared/data (see shipped/MODEL_CARD.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from mentions.triage import datasets
from mentions.triage.build import english_model, german_model
from mentions.triage.shipped import shipped_path


class Command(BaseCommand):
    help = "Train the shipped English and German triage models from ../shared/data."

    def handle(self, *args: Any, **options: Any) -> None:
        if not datasets.available():
            raise CommandError(f"labelled data not found under {datasets.data_root()}")
        built = timezone.localdate().isoformat()
        airline, complaints, germeval = (
            datasets.airline(),
            datasets.complaints(),
            datasets.germeval(),
        )
        self.stdout.write("training English model (airline sentiment, complaints)…")
        english = english_model(
            (airline.texts, airline.labels["sentiment"]),
            (complaints.texts, complaints.labels["complaint"]),
            meta={"built": built, "data": ["airline-sentiment", "complaints"]},
        )
        self.stdout.write("training German model (GermEval 2017 sentiment, relevance)…")
        german = german_model(
            germeval.texts,
            germeval.labels["sentiment"],
            germeval.labels["relevance"],
            meta={"built": built, "data": ["germeval2017"]},
        )
        for language, model in (("en", english), ("de", german)):
            path = shipped_path(language)
            path.write_bytes(model.to_bytes())
            self.stdout.write(
                f"{path.name}: {model.features.size:,} features, {path.stat().st_size:,} bytes"
            )
