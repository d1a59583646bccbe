"""The triage panel of the mention page: what triage decided, and a form to correct it."""

from __future__ import annotations

from typing import Any

from django import template

from mentions.models import Aspect, Kind, Mention, Sentiment
from routing.models import Department

register = template.Library()


@register.inclusion_tag("frontend/_triage_panel.html", takes_context=True)
def triage_panel(context: dict[str, Any], mention: Mention, can_act: bool) -> dict[str, Any]:
    aspects = {a.slug: a for a in Aspect.objects.all()}
    return {
        "csrf_token": context.get("csrf_token"),
        "mention": mention,
        "can_act": can_act,
        "aspect_names": [aspects[s].name if s in aspects else s for s in mention.aspects],
        "aspects": [a for a in aspects.values() if a.active or a.slug in mention.aspects],
        "departments": list(Department.objects.all()) if can_act else [],
        "sentiments": Sentiment.choices,
        "kinds": Kind.choices,
    }
