"""The demo streams carry press reports, and triage reads them as news, in both languages."""

from __future__ import annotations

import random

import pytest

from mentions.triage import triage_texts
from sources.demo_content import CATEGORY_WEIGHTS, PROFILES, demo_text


@pytest.mark.parametrize("client_slug", sorted(PROFILES))
@pytest.mark.parametrize("language", ["de", "en"])
def test_demo_press_reports_are_triaged_as_news(client_slug, language):
    profile = PROFILES[client_slug]
    templates, fills = (
        (profile.de, profile.fills_de) if language == "de" else (profile.en, profile.fills_en)
    )
    rng = random.Random(7)
    texts = [
        template.format(**{key: rng.choice(options) for key, options in fills.items()})
        for template in templates["news"]
        for _ in range(4)
    ]
    assert [r.kind for r in triage_texts(texts)] == ["news"] * len(texts)


def test_the_demo_stream_draws_press_reports():
    rng = random.Random(3)
    only_news = dict.fromkeys(CATEGORY_WEIGHTS, 0.0) | {"news": 1.0}
    category, text = demo_text(
        client_slug="nordbahn", language="de", rng=rng, category_weights=only_news
    )
    assert category == "news"
    assert text
    assert CATEGORY_WEIGHTS["news"] > 0
