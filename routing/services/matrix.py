"""Routing matrix services: load and decide, edit rules (versioned in the audit log),
apply industry presets, and "try it" without storing anything."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.forms.models import model_to_dict
from django_tenants.utils import tenant_context

from accounts.audit.services import audit_record
from accounts.models import Client, Role, User
from accounts.selectors import membership_role_for, role_at_least
from config.errors import DomainError
from config.stamps import MATRIX, StampedCache, Stamps
from mentions.triage.presets import ASPECT_PRESETS
from mentions.triage.services import triage_industry_apply
from mentions.vocabulary import Kind, Sentiment
from routing.engine import Matrix, RoutingDecision, RoutingInput, RuleSpec
from routing.models import Department, Priority, RoutingRule, Team
from routing.presets import DEPARTMENTS, PRESETS
from routing.services.sla import sla_policy_ensure_default
from sources.models import Source
from sources.query import QuerySyntaxError, parse

__all__ = [
    "Matrix",
    "RoutingDecision",
    "RoutingInput",
    "department_ids_by_name",
    "routing_decide",
    "routing_matrix_load",
]


def rule_spec(rule: RoutingRule) -> RuleSpec:
    return RuleSpec(
        id=rule.pk,
        name=rule.name,
        department_id=rule.department_id,
        department_name=rule.department.name,
        priority=rule.priority,
        kinds=rule.kinds,
        aspects=rule.aspects,
        languages=rule.languages,
        countries=rule.countries,
        sentiments=rule.sentiments,
        source_kinds=rule.source_kinds,
        source_ids=rule.source_ids,
        segments=rule.segments,
        min_followers=rule.min_followers,
        min_influence=rule.min_influence,
        min_cluster_size=rule.min_cluster_size,
        keywords=rule.keywords,
        query=rule.query,
        team_id=rule.team_id,
        assignee_id=rule.assignee_id,
        ignore=rule.ignore,
        escalate=rule.escalate,
        require_approval=rule.require_approval,
        copy_to_id=rule.copy_to_id,
        is_default=rule.is_default,
        sla_policy_id=rule.sla_policy_id,
        skill_tags=rule.skill_tags,
    )


# Compiled matrices per client schema, with the stamp they were compiled at. PostgreSQL
# stamps every change that reaches the compiled matrix (rules; departments added, removed,
# renamed or made the default: routing 0008), so a batch reads its stamps (`config.stamps`)
# instead of loading and compiling every rule (about 9 ms).
_compiled: StampedCache[Matrix] = StampedCache(MATRIX)
# The departments by name, for learned routes: kept under the same stamp.
_departments: StampedCache[Mapping[str, int]] = StampedCache(MATRIX)


def routing_matrix_load(*, stamps: Stamps | None = None) -> Matrix:
    """The current client's enabled rules, compiled (once per change, per process);
    `stamps`: read once by the caller's batch."""
    return _compiled.get(stamps=stamps, build=_routing_matrix_build)


def _routing_matrix_build() -> Matrix:
    rules = RoutingRule.objects.filter(enabled=True).select_related("department")
    fallback = Department.objects.filter(is_default=True).first()
    return Matrix(
        [rule_spec(rule) for rule in rules],
        fallback_department_id=fallback.pk if fallback else None,
        fallback_department_name=fallback.name if fallback else "",
    )


def department_ids_by_name(*, stamps: Stamps | None = None) -> Mapping[str, int]:
    """Every department's id by its name (read again only after departments changed)."""
    return _departments.get(
        stamps=stamps,
        build=lambda: MappingProxyType(
            {name: pk for pk, name in Department.objects.values_list("id", "name")}
        ),
    )


def routing_decide(*, item: RoutingInput, matrix: Matrix) -> RoutingDecision:
    return matrix.decide(item)


# --- editing ---------------------------------------------------------------------------

RULE_FIELDS = (
    "name",
    "position",
    "enabled",
    "is_default",
    "kinds",
    "aspects",
    "languages",
    "countries",
    "sentiments",
    "source_kinds",
    "source_ids",
    "segments",
    "min_followers",
    "min_influence",
    "min_cluster_size",
    "keywords",
    "query",
    "department",
    "team",
    "assignee_id",
    "priority",
    "ignore",
    "escalate",
    "require_approval",
    "copy_to",
    "skill_tags",
)
SEGMENTS = ("mass_connector", "mass_maven", "regular")


def _snapshot(rule: RoutingRule) -> dict[str, Any]:
    data = model_to_dict(rule, fields=[*RULE_FIELDS, "version"])
    return {
        key: (list(value) if isinstance(value, tuple) else value) for key, value in data.items()
    }


def _validate(changes: Mapping[str, Any], *, client: Client | None) -> dict[str, Any]:
    """Check rule fields; raise DomainError naming each bad field."""

    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    unknown = set(changes) - set(RULE_FIELDS)
    for name in sorted(unknown):
        errors[name] = ["unknown field"]

    def choices(name: str, allowed: set[str]) -> None:
        values = [str(v).strip().lower() for v in changes.get(name) or [] if str(v).strip()]
        bad = [v for v in values if v not in allowed]
        if bad:
            errors[name] = [f"unknown: {', '.join(bad)}; choose from {', '.join(sorted(allowed))}"]
        clean[name] = values

    for name in ("kinds", "sentiments", "segments"):
        if name in changes:
            allowed = {
                "kinds": set(Kind.values),
                "sentiments": set(Sentiment.values),
                "segments": set(SEGMENTS),
            }[name]
            choices(name, allowed)
    for name in ("aspects", "languages", "source_kinds", "keywords", "skill_tags"):
        if name in changes:
            clean[name] = [str(v).strip() for v in changes[name] or [] if str(v).strip()]
            if name in {"languages", "source_kinds"}:
                clean[name] = [v.lower() for v in clean[name]]
    if "countries" in changes:
        countries = [str(v).strip().upper() for v in changes["countries"] or [] if str(v).strip()]
        if any(len(c) != 2 or not c.isalpha() for c in countries):
            errors["countries"] = ["use two-letter country codes (DE, AT, CH)"]
        clean["countries"] = countries
    if "source_ids" in changes:
        try:
            source_ids = [int(v) for v in changes["source_ids"] or []]
        except (TypeError, ValueError, OverflowError):
            errors["source_ids"] = ["a list of source ids"]
        else:
            in_range = [v for v in source_ids if 0 < v < 2**63]
            known = set(Source.objects.filter(pk__in=in_range).values_list("pk", flat=True))
            missing = [str(v)[:20] for v in source_ids if v not in known]
            if missing:
                errors["source_ids"] = [f"this client has no source {', '.join(missing)}"]
            clean["source_ids"] = list(dict.fromkeys(source_ids))
    if "query" in changes:
        text = str(changes["query"] or "").strip()
        if text:
            try:
                parse(text)
            except QuerySyntaxError as exc:
                errors["query"] = [str(exc)]
        clean["query"] = text
    if "name" in changes:
        name = str(changes["name"] or "").strip()
        if not name:
            errors["name"] = ["required"]
        clean["name"] = name[:200]
    if "priority" in changes:
        if changes["priority"] not in Priority.values:
            errors["priority"] = [f"one of {Priority.values}"]
        clean["priority"] = changes["priority"]
    for name in ("department", "copy_to"):
        if name in changes:
            value = changes[name]
            if value is None and name == "copy_to":
                clean[name] = None
                continue
            department = (
                value
                if isinstance(value, Department)
                else Department.objects.filter(pk=value).first()
                if str(value).isdigit()
                else Department.objects.filter(slug=value).first()
            )
            if department is None:
                errors[name] = ["no such department"]
            clean[name] = department
    if "team" in changes:
        team = changes["team"]
        if team is not None and not isinstance(team, Team):
            team = Team.objects.filter(pk=team).first() if str(team).isdigit() else None
            if team is None:
                errors["team"] = ["no such team"]
        clean["team"] = team
    if "assignee_id" in changes and changes["assignee_id"] is not None:
        user = User.objects.filter(pk=changes["assignee_id"]).first()
        role = membership_role_for(user=user, client=client) if user and client else None
        if not role_at_least(role, Role.RESPONDER):
            errors["assignee_id"] = ["not a responder of this client"]
        clean["assignee_id"] = changes["assignee_id"]
    elif "assignee_id" in changes:
        clean["assignee_id"] = None
    for name in ("min_followers", "min_cluster_size", "position"):
        if name in changes:
            value = changes[name]
            if value is not None and (not isinstance(value, int) or value < 0):
                errors[name] = ["a whole number ≥ 0"]
            clean[name] = value
    if "min_influence" in changes:
        value = changes["min_influence"]
        if value is not None and not isinstance(value, int | float):
            errors["min_influence"] = ["a number"]
        clean["min_influence"] = value
    for name in ("enabled", "is_default", "ignore", "escalate", "require_approval"):
        if name in changes:
            clean[name] = bool(changes[name])
    if errors:
        raise DomainError("The rule has invalid fields.", fields=errors)
    return clean


def _check_team(rule: RoutingRule) -> None:
    if rule.team is not None and rule.team.department_id != rule.department_id:
        raise DomainError(
            "The team belongs to another department.", fields={"team": ["wrong department"]}
        )


@transaction.atomic
def rule_create(*, data: Mapping[str, Any], by: Any, client: Client | None = None) -> RoutingRule:
    clean = _validate(data, client=client)
    if clean.get("department") is None:
        raise DomainError("A rule needs a department.", fields={"department": ["required"]})
    if "position" not in clean or clean["position"] is None:
        last = RoutingRule.objects.filter(is_default=False).aggregate(m=Max("position"))["m"]
        clean["position"] = (last or 0) + 10
    if clean.get("is_default"):
        RoutingRule.objects.filter(is_default=True).update(is_default=False)
    rule = RoutingRule(**clean)
    _check_team(rule)
    rule.save()
    audit_record(
        actor=by,
        action="rule.created",
        target_type="rule",
        target_id=rule.pk,
        summary=f'Created rule "{rule.name}"',
        after=_snapshot(rule),
    )
    return rule


@transaction.atomic
def rule_update(
    *, rule: RoutingRule, changes: Mapping[str, Any], by: Any, client: Client | None = None
) -> RoutingRule:
    rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
    before = _snapshot(rule)
    clean = _validate(changes, client=client)
    if clean.get("department", rule.department) is None:
        raise DomainError("A rule needs a department.", fields={"department": ["required"]})
    for name, value in clean.items():
        setattr(rule, name, value)
    _check_team(rule)
    after = _snapshot(rule)
    if after == before:
        return rule
    if clean.get("is_default"):
        RoutingRule.objects.filter(is_default=True).exclude(pk=rule.pk).update(is_default=False)
    rule.version += 1
    rule.save()
    changed = sorted(key for key in after if after[key] != before.get(key))
    audit_record(
        actor=by,
        action="rule.updated",
        target_type="rule",
        target_id=rule.pk,
        summary=f'Changed rule "{rule.name}" (v{rule.version}): {", ".join(changed)}',
        before=before,
        after=_snapshot(rule),
    )
    return rule


@transaction.atomic
def rule_delete(*, rule: RoutingRule, by: Any) -> None:
    before = _snapshot(rule)
    rule_id, name = rule.pk, rule.name
    rule.delete()
    audit_record(
        actor=by,
        action="rule.deleted",
        target_type="rule",
        target_id=rule_id,
        summary=f'Deleted rule "{name}"',
        before=before,
    )


@transaction.atomic
def rules_reorder(*, rule_ids: list[int], by: Any) -> None:
    """Put the rules in the given order (positions 10, 20, …); others keep theirs after."""
    rules = {rule.pk: rule for rule in RoutingRule.objects.select_for_update()}
    unknown = [rule_id for rule_id in rule_ids if rule_id not in rules]
    if unknown:
        raise DomainError("Unknown rules.", fields={"rule_ids": [str(i) for i in unknown]})
    before = {rule_id: rules[rule_id].position for rule_id in rule_ids}
    for index, rule_id in enumerate(rule_ids):
        RoutingRule.objects.filter(pk=rule_id).update(position=(index + 1) * 10)
    audit_record(
        actor=by,
        action="rule.reordered",
        target_type="matrix",
        target_id=None,
        summary="Reordered rules: " + ", ".join(rules[i].name for i in rule_ids)[:400],
        before=before,
        after={rule_id: (i + 1) * 10 for i, rule_id in enumerate(rule_ids)},
    )


@transaction.atomic
def routing_apply_preset(*, preset: str, by: Any, replace: bool = True) -> list[RoutingRule]:
    """Create the preset's departments (if missing) and its rules (replacing the current
    rules unless `replace` is False). Recorded in the audit log."""
    if preset not in PRESETS:
        raise DomainError(f"No preset {preset!r}", fields={"preset": list(PRESETS)})

    sla_policy_ensure_default()
    if preset in ASPECT_PRESETS:
        # An industry template covers both: who handles what, and what mentions are about.
        triage_industry_apply(industry=preset, by=by)
    departments = {}
    for slug, name in DEPARTMENTS.items():
        departments[slug], _ = Department.objects.get_or_create(
            slug=slug, defaults={"name": name, "is_default": slug == "customer-care"}
        )
    if not Department.objects.filter(is_default=True).exists():
        Department.objects.filter(slug="customer-care").update(is_default=True)
    before = [_snapshot(rule) for rule in RoutingRule.objects.all()]
    if replace:
        RoutingRule.objects.all().delete()
    created = []
    for index, row in enumerate(PRESETS[preset]["rules"]):
        data = dict(row)
        data["department"] = departments[data["department"]]
        if "copy_to" in data:
            data["copy_to"] = departments[data["copy_to"]]
        data.setdefault("position", (index + 1) * 10)
        created.append(RoutingRule.objects.create(**data))
    audit_record(
        actor=by,
        action="matrix.preset_applied",
        target_type="matrix",
        target_id=None,
        summary=f"Applied the {PRESETS[preset]['label']} matrix ({len(created)} rules)",
        before=before,
        after=[_snapshot(rule) for rule in created],
    )
    return created


def routing_seed_defaults(*, client: Client) -> None:
    """Give a new client departments and the general matrix (idempotent)."""
    with tenant_context(client):
        if RoutingRule.objects.exists():
            return
        routing_apply_preset(preset="general", by=None)


def routing_try(*, item: RoutingInput) -> RoutingDecision:
    """Which rule fires for `item`, and why; nothing is stored."""
    return routing_matrix_load().decide(item)
