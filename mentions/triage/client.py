"""What a client adds to triage, read from its schema: aspects, learned models, profile.

Compiled once per process per change: kept while the client's 'triage' stamp holds
(`config.stamps`; triggers on the profile, aspects and models tables bump it), so a batch
reads no triage table at all. Learned models are decoded once per process and kept while
they stay active (a new model has a new id).
"""

from __future__ import annotations

from django.db import connection

from config.stamps import TRIAGE, StampedCache, Stamps
from mentions.models import Aspect, TriageModel, TriageProfile
from mentions.triage.engine import ClientTriage, aspect_rule
from mentions.triage.linear import TextModel

_decoded: dict[tuple[str, int], TextModel] = {}
_compiled: StampedCache[ClientTriage] = StampedCache(TRIAGE)


def client_triage_load(*, stamps: Stamps | None = None) -> ClientTriage:
    """The current client's triage additions (call inside its schema): compiled again
    only when its 'triage' stamp moved (`stamps`: read once by the caller's batch)."""
    return _compiled.get(stamps=stamps, build=_client_triage_build)


def _client_triage_build() -> ClientTriage:
    """Three queries (profile, aspects, active models), plus one per model not decoded."""
    schema: str = connection.schema_name  # type: ignore[attr-defined]
    profile = TriageProfile.objects.first()
    aspects = [
        aspect_rule(a.slug, a.keywords)
        for a in Aspect.objects.filter(active=True).only("slug", "keywords")
    ]
    learned: dict[str, TextModel] = {}
    active = list(TriageModel.objects.filter(active=True).values_list("id", "field"))
    # Models this client has replaced leave the process cache.
    active_ids = {model_id for model_id, _ in active}
    for stale in [k for k in _decoded if k[0] == schema and k[1] not in active_ids]:
        del _decoded[stale]
    for model_id, field_name in active:
        key = (schema, model_id)
        if key not in _decoded:
            data = TriageModel.objects.values_list("data", flat=True).get(pk=model_id)
            _decoded[key] = TextModel.from_bytes(bytes(data))
        learned[field_name] = _decoded[key]
    _share_features(learned)
    return ClientTriage(
        aspects=aspects,
        learned=learned,
        industry=profile.industry if profile else "",
        relevance_threshold=profile.relevance_threshold if profile else 0.5,
    )


def _share_features(learned: dict[str, TextModel]) -> None:
    """Models trained in one run carry the same extractor: let them use one object, so the
    engine transforms each text once per run instead of once per model."""
    by_fit: dict[str, TextModel] = {}
    for model in learned.values():
        fit = str(model.meta.get("features_id", ""))
        if not fit:
            continue
        if fit in by_fit:
            model.features = by_fit[fit].features
        else:
            by_fit[fit] = model
