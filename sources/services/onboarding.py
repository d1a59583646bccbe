"""Onboarding a client: its own schema and domain (accounts), then what it needs to work
from the first mention on: the industry's departments, matrix (with a default rule),
aspects, default SLA policy in the client's time zone and business hours (routing, triage),
saved replies and response policy, and listening queries for its brands and competitors.

This module is the one layer allowed to call accounts, routing, triage and responses
together; the wizard (`frontend.onboarding_views`) and `POST /api/v1/clients/` on the
agency host (`sources.api.clients`) both come here.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django_tenants.utils import tenant_context

from accounts.audit.services import audit_record
from accounts.models import Client, User
from accounts.services import client_schema_create, client_slug_problem
from config.errors import DomainError
from mentions.responses import saved_replies_seed
from mentions.selectors import aspect_list
from routing.presets import PRESETS
from routing.selectors import department_list
from routing.services import routing_apply_preset, routing_seed_defaults
from routing.services.policy import response_policy_get
from routing.services.sla import sla_calendar_problems, sla_policy_default_configure
from routing.sla import WEEKDAYS
from sources.models import QueryRole
from sources.query import MAX_QUERY_LENGTH, QuerySyntaxError, parse
from sources.services.queries import listening_query_save

INDUSTRIES: dict[str, str] = {slug: preset["label"] for slug, preset in PRESETS.items()}
LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")
MAX_LANGUAGES = 12
MAX_TRACKED = 50
DEFAULT_HOURS: dict[str, list[str]] = {
    day: ["08:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")
}


@dataclass(frozen=True)
class TrackedName:
    """A brand or competitor and the query that finds it (by default its name as a phrase)."""

    name: str
    expression: str


def tracked_name(name: str, expression: str = "") -> TrackedName:
    """`name` alone listens for the name as an exact phrase."""
    name = " ".join(name.split())
    if not expression.strip():
        escaped = name.replace("\\", "\\\\").replace('"', '\\"')
        expression = f'"{escaped}"'
    return TrackedName(name=name, expression=expression.strip())


def tracked_names_from_lines(text: str) -> list[TrackedName]:
    """One per line: `Acme Rail`, or `Acme Rail = "acme rail" OR #acmerail` to write the
    query yourself. Blank lines are skipped."""
    names = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, _, expression = line.partition("=")
        names.append(tracked_name(name, expression))
    return names


@dataclass
class ClientSetup:
    slug: str
    name: str
    time_zone: str = "Europe/Berlin"
    languages: list[str] = field(default_factory=list)
    industry: str = "general"
    business_hours: dict[str, list[str]] = field(default_factory=lambda: dict(DEFAULT_HOURS))
    brands: list[TrackedName] = field(default_factory=list)
    competitors: list[TrackedName] = field(default_factory=list)


@dataclass
class OnboardingResult:
    client: Client
    created: dict[str, int]
    seconds: float


def _tracked_problems(names: Sequence[TrackedName], what: str) -> list[str]:
    problems = []
    if len(names) > MAX_TRACKED:
        problems.append(f"At most {MAX_TRACKED} {what}.")
    for index, item in enumerate(names[:MAX_TRACKED], start=1):
        label = f"{what[:-1].capitalize()} {index} ({item.name or 'no name'})"
        if not item.name:
            problems.append(f"{label}: give it a name.")
        elif len(item.name) > 200:
            problems.append(f"{label}: a name has at most 200 characters.")
        if len(item.expression) > MAX_QUERY_LENGTH:
            problems.append(f"{label}: the query is too long.")
            continue
        try:
            parse(item.expression)
        except QuerySyntaxError as exc:
            problems.append(f"{label}: {exc}")
    return problems


def client_setup_problems(setup: ClientSetup) -> dict[str, list[str]]:
    """Everything wrong with `setup`, by field, in plain words (empty when it can be made)."""
    problems: dict[str, list[str]] = {}
    slug_problem = client_slug_problem(setup.slug)
    if slug_problem:
        problems["slug"] = [slug_problem]
    if not setup.name.strip():
        problems["name"] = ["Give the client a name."]
    elif len(setup.name) > 200:
        problems["name"] = ["A name has at most 200 characters."]
    if setup.industry not in INDUSTRIES:
        problems["industry"] = [f"Choose one of: {', '.join(INDUSTRIES)}."]
    bad_languages = [code for code in setup.languages if not LANGUAGE_CODE.fullmatch(code)]
    if bad_languages:
        problems["languages"] = [
            f"Use language codes such as de or en; not {', '.join(map(repr, bad_languages))}."
        ]
    elif len(setup.languages) > MAX_LANGUAGES:
        problems["languages"] = [f"At most {MAX_LANGUAGES} languages."]
    problems.update(sla_calendar_problems(timezone=setup.time_zone, hours=setup.business_hours))
    if not setup.brands:
        problems["brands"] = ["Name at least one brand, so Lotse knows what to listen for."]
    for key, names, what in (
        ("brands", setup.brands, "brands"),
        ("competitors", setup.competitors, "competitors"),
    ):
        found = _tracked_problems(names, what)
        if found:
            problems.setdefault(key, []).extend(found)
    return problems


def business_hours_from(*, days: Sequence[str], opens: str, closes: str) -> dict[str, list[str]]:
    """The same opening hours on each of `days` (mon … sun), as the SLA policy keeps them."""
    return {day: [f"{opens}-{closes}"] for day in WEEKDAYS if day in days}


@transaction.atomic
def client_onboard(*, setup: ClientSetup, by: User | None) -> OnboardingResult:
    """Create the client and apply its industry preset; says what it created.

    Raises `DomainError` with every problem by field before anything is written.
    """
    started = time.monotonic()
    problems = client_setup_problems(setup)
    if problems:
        raise DomainError("The new client has invalid fields.", fields=problems)
    languages = list(dict.fromkeys(setup.languages))
    client = client_schema_create(
        slug=setup.slug,
        name=" ".join(setup.name.split()),
        time_zone=setup.time_zone,
        languages=languages,
        industry=setup.industry,
    )
    with tenant_context(client):
        rules = routing_apply_preset(preset=setup.industry, by=by)
        sla_policy_default_configure(timezone=setup.time_zone, hours=setup.business_hours)
        replies = saved_replies_seed(industry=setup.industry, languages=languages, by=by)
        response_policy_get()
        queries = [
            # A new client has no mentions to match again.
            listening_query_save(
                name=item.name, expression=item.expression, role=role, rematch=False
            )
            for role, names in (
                (QueryRole.BRAND, setup.brands),
                (QueryRole.COMPETITOR, setup.competitors),
            )
            for item in names
        ]
        created = {
            "departments": department_list().count(),
            "rules": len(rules),
            "aspects": aspect_list().count(),
            "sla_policies": 1,
            "saved_replies": replies,
            "response_policies": 1,
            "brand_queries": len(setup.brands),
            "competitor_queries": len(setup.competitors),
        }
        audit_record(
            actor=by,
            action="client.created",
            target_type="client",
            target_id=client.pk,
            summary=f"Onboarded {client.name} ({INDUSTRIES[setup.industry]})",
            after={
                "slug": client.slug,
                "time_zone": client.time_zone,
                "languages": languages,
                "industry": client.industry,
                "business_hours": setup.business_hours,
                "queries": [query.pk for query in queries],
                "created": created,
            },
        )
    return OnboardingResult(
        client=client, created=created, seconds=round(time.monotonic() - started, 3)
    )


@transaction.atomic
def client_create(*, slug: str, name: str) -> Client:
    """Create a client with its own schema, domain and the general routing matrix (the
    short path for commands, benchmarks and tests; people use `client_onboard`)."""
    client = client_schema_create(slug=slug, name=name)
    routing_seed_defaults(client=client)
    return client
