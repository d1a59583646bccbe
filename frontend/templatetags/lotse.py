from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    """`mapping[key]` in templates (forms' POST data, error dicts); '' when missing."""
    if mapping is None:
        return ""
    getter = getattr(mapping, "get", None)
    return getter(key, "") if getter else ""


@register.filter
def rule_list(rule: Any, name: str) -> str:
    """A rule's list field as the comma-separated text the form edits."""
    if rule is None:
        return ""
    return ", ".join(str(value) for value in getattr(rule, name, []) or [])


@register.filter
def change_token(value: Any) -> str:
    """A datetime as an exact, zone-free token (microseconds), for "changed since?" checks."""
    return f"{value.timestamp():.6f}" if value is not None else ""
