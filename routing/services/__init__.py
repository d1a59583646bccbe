"""Routing services, split by sub-domain: `matrix` (rules, presets, try it) and `sla`
(due times, pauses, warnings and escalation)."""

from routing.services.matrix import (
    RULE_FIELDS,
    SEGMENTS,
    Matrix,
    RoutingDecision,
    RoutingInput,
    routing_apply_preset,
    routing_decide,
    routing_matrix_load,
    routing_seed_defaults,
    routing_try,
    rule_create,
    rule_delete,
    rule_spec,
    rule_update,
    rules_reorder,
)

__all__ = [
    "RULE_FIELDS",
    "SEGMENTS",
    "Matrix",
    "RoutingDecision",
    "RoutingInput",
    "routing_apply_preset",
    "routing_decide",
    "routing_matrix_load",
    "routing_seed_defaults",
    "routing_try",
    "rule_create",
    "rule_delete",
    "rule_spec",
    "rule_update",
    "rules_reorder",
]
