"""Routing: which department a triaged mention goes to, and why.

This is the foundation's simple matrix (keyword and kind rules, first match wins, a default
department catches the rest). Every decision carries the rule and a one-line explanation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django_tenants.utils import tenant_context

from accounts.models import Client
from routing.models import Department, Priority, RoutingRule


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    department_id: int | None
    rule_id: int | None
    priority: int
    reason: str


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: int
    name: str
    department_id: int
    department_name: str
    priority: int
    kinds: frozenset[str]
    pattern: re.Pattern[str] | None


@dataclass(frozen=True, slots=True)
class CompiledMatrix:
    rules: tuple[CompiledRule, ...]
    default_department_id: int | None
    default_department_name: str


def routing_matrix_load() -> CompiledMatrix:
    """Compile the current schema's enabled rules once per batch."""
    compiled = []
    for rule in RoutingRule.objects.filter(enabled=True).select_related("department"):
        words = [word.strip() for word in rule.keywords if word.strip()]
        pattern = (
            re.compile(
                r"(?<!\w)(" + "|".join(re.escape(word) for word in words) + r")(?!\w)",
                re.IGNORECASE,
            )
            if words
            else None
        )
        compiled.append(
            CompiledRule(
                id=rule.pk,
                name=rule.name,
                department_id=rule.department_id,
                department_name=rule.department.name,
                priority=rule.priority,
                kinds=frozenset(rule.kinds),
                pattern=pattern,
            )
        )
    default = Department.objects.filter(is_default=True).first()
    return CompiledMatrix(
        rules=tuple(compiled),
        default_department_id=default.pk if default else None,
        default_department_name=default.name if default else "",
    )


def routing_decide(*, text: str, kind: str, matrix: CompiledMatrix) -> RoutingDecision:
    for rule in matrix.rules:
        if kind in rule.kinds:
            return RoutingDecision(
                department_id=rule.department_id,
                rule_id=rule.id,
                priority=rule.priority,
                reason=f'Rule "{rule.name}": kind is {kind} → {rule.department_name}',
            )
        if rule.pattern is not None:
            match = rule.pattern.search(text)
            if match:
                return RoutingDecision(
                    department_id=rule.department_id,
                    rule_id=rule.id,
                    priority=rule.priority,
                    reason=(
                        f'Rule "{rule.name}": text contains "{match.group(1)}" '
                        f"→ {rule.department_name}"
                    ),
                )
    if matrix.default_department_id is None:
        return RoutingDecision(None, None, Priority.NORMAL, "No rule matched and no default.")
    return RoutingDecision(
        department_id=matrix.default_department_id,
        rule_id=None,
        priority=Priority.NORMAL,
        reason=f"No rule matched → default department {matrix.default_department_name}",
    )


DEFAULT_DEPARTMENTS = [
    ("customer-care", "Customer care", True),
    ("tech-support", "Tech support", False),
    ("press", "Press / PR", False),
    ("hr", "HR / Recruiting", False),
    ("sales", "Sales", False),
    ("legal", "Legal", False),
]

DEFAULT_RULES: list[tuple[str, list[str], list[str], str, int]] = [
    ("Crisis and safety → Press / PR", [], ["crisis"], "press", Priority.URGENT),
    (
        "Press enquiries → Press / PR",
        ["journalist", "press", "Presse", "Redaktion", "interview", "Anfrage der Presse"],
        [],
        "press",
        Priority.HIGH,
    ),
    ("Jobs → HR", [], ["job"], "hr", Priority.NORMAL),
    (
        "App and website → Tech support",
        [
            "app",
            "website",
            "login",
            "Anmeldung",
            "Passwort",
            "password",
            "crash",
            "Absturz",
            "Fehlermeldung",
            "error",
            "WLAN",
            "wifi",
        ],
        [],
        "tech-support",
        Priority.HIGH,
    ),
    (
        "Buying → Sales",
        ["price", "offer", "quote", "Angebot", "Preis", "Tarif", "Firmenkunden", "business plan"],
        [],
        "sales",
        Priority.NORMAL,
    ),
    (
        "Legal → Legal",
        ["lawyer", "lawsuit", "Anwalt", "Klage", "Datenschutz", "GDPR", "DSGVO"],
        [],
        "legal",
        Priority.HIGH,
    ),
]


def routing_seed_defaults(*, client: Client) -> None:
    """Give a new client departments and a starter matrix they can edit (idempotent)."""
    with tenant_context(client):
        departments = {}
        for slug, name, is_default in DEFAULT_DEPARTMENTS:
            departments[slug], _ = Department.objects.get_or_create(
                slug=slug, defaults={"name": name, "is_default": is_default}
            )
        if RoutingRule.objects.exists():
            return
        RoutingRule.objects.bulk_create(
            RoutingRule(
                position=(index + 1) * 10,
                name=name,
                keywords=keywords,
                kinds=kinds,
                department=departments[target],
                priority=priority,
            )
            for index, (name, keywords, kinds, target, priority) in enumerate(DEFAULT_RULES)
        )
