"""Writes on the client's triage setup: industry template, aspects."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.audit.services import audit_record
from config.errors import DomainError
from mentions.models import Aspect, TriageProfile
from mentions.triage.presets import ASPECT_PRESETS


def triage_profile_get() -> TriageProfile:
    profile = TriageProfile.objects.first()
    return profile if profile is not None else TriageProfile.objects.create()


@transaction.atomic
def triage_industry_apply(*, industry: str, by: Any) -> list[Aspect]:
    """Use an industry's aspect template: missing aspects are created, the client's own
    aspects and edits are kept."""
    if industry not in ASPECT_PRESETS:
        raise DomainError(f"No industry {industry!r}", fields={"industry": list(ASPECT_PRESETS)})
    profile = triage_profile_get()
    profile.industry = industry
    profile.updated_at = timezone.now()
    profile.save(update_fields=["industry", "updated_at"])
    created = []
    for template in ASPECT_PRESETS[industry]:
        aspect, made = Aspect.objects.get_or_create(
            slug=template["slug"],
            defaults={
                "name": template["name"],
                "description": template["description"],
                "keywords": template["keywords"],
                "origin": "template",
            },
        )
        if made:
            created.append(aspect)
    audit_record(
        actor=by,
        action="triage.industry_applied",
        target_type="triage",
        target_id=None,
        summary=f"Applied the {industry} aspect template ({len(created)} new aspects)",
        after={"industry": industry, "created": [a.slug for a in created]},
    )
    return created


MIN_CASE_SIZE_RANGE = (2, 50)


@transaction.atomic
def triage_case_size_set(*, size: int, by: Any) -> TriageProfile:
    """From how many reports a problem case is shown as one case in the inbox (audited)."""
    low, high = MIN_CASE_SIZE_RANGE
    if not low <= size <= high:
        raise DomainError(
            f"A case needs between {low} and {high} reports.",
            fields={"min_case_size": [f"between {low} and {high}"]},
        )
    profile = triage_profile_get()
    before = profile.min_case_size
    profile.min_case_size = size
    profile.updated_at = timezone.now()
    profile.save(update_fields=["min_case_size", "updated_at"])
    audit_record(
        actor=by,
        action="triage.case_size_set",
        target_type="triage",
        target_id=None,
        summary=f"Problem cases are shown from {size} reports on (was {before})",
        before={"min_case_size": before},
        after={"min_case_size": size},
    )
    return profile


def _clean_list(values: list[str], *, limit: int, length: int) -> list[str]:
    cleaned = []
    for value in values:
        value = " ".join(value.split())[:length]
        if value and value not in cleaned:
            cleaned.append(value)
    return cleaned[:limit]


@transaction.atomic
def aspect_save(
    *,
    name: str,
    description: str = "",
    keywords: list[str],
    examples: list[str] | None = None,
    active: bool = True,
    aspect: Aspect | None = None,
    by: Any,
) -> Aspect:
    name = " ".join(name.split())[:100]
    if not name:
        raise DomainError("An aspect needs a name.", fields={"name": ["required"]})
    keywords = _clean_list(keywords, limit=100, length=100)
    if aspect is None:
        slug = slugify(name)[:60]
        if not slug:
            raise DomainError("Use letters or digits in the name.", fields={"name": ["invalid"]})
        if Aspect.objects.filter(slug=slug).exists():
            raise DomainError("That aspect exists already.", fields={"name": ["taken"]})
        aspect = Aspect(slug=slug, origin="manual")
        before = None
    else:
        before = {"name": aspect.name, "keywords": aspect.keywords, "active": aspect.active}
    aspect.name, aspect.description, aspect.keywords = name, description[:2000], keywords
    aspect.active = active
    if examples is not None:
        aspect.examples = _clean_list(examples, limit=20, length=500)
    aspect.save()
    audit_record(
        actor=by,
        action="triage.aspect_saved",
        target_type="aspect",
        target_id=aspect.pk,
        summary=f"Saved aspect {aspect.name}",
        before=before,
        after={"name": aspect.name, "keywords": aspect.keywords, "active": aspect.active},
    )
    return aspect
