from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString

from config.tenancy import current_client_or_none
from frontend.navigation import name_may_open
from frontend.rows import case_items_html, influence_html, mention_rows_html
from frontend.times import format_local, sla_text, time_html
from reports import formatting

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


@register.filter
def pct(value: float | None) -> str:
    """A share (0..1) as a whole percentage; a dash when there is none."""
    return formatting.pct(value)


@register.filter
def duration(seconds: float | None) -> str:
    """Seconds as minutes, hours or days for people; a dash when there are none."""
    return formatting.duration(seconds)


@register.filter
def index(items: Any, position: int) -> Any:
    """`items[position]` in templates ('' when out of range)."""
    try:
        return items[position]
    except (IndexError, TypeError, KeyError):
        return ""


@register.simple_tag(takes_context=True)
def may_open(context: Any, name: str) -> bool:
    """`{% may_open "audit" as can_audit %}`: whether the page called `name` lets the reader
    in (the page's own rule, `frontend.navigation`); a link they may not follow is left out."""
    request = context.get("request")
    client = current_client_or_none()
    user = getattr(request, "user", None)
    if user is None or client is None or not user.is_authenticated:
        return False
    return name_may_open(user=user, client=client, name=name)


@register.simple_tag
def when(value: datetime | None, relative: bool = False) -> SafeString:
    """`{% when m.published_at %}`: a `<time>` in the reader's zone with the zone named
    ("06 Dec 14:05 CET"); `{% when due relative=True %}` says "in 8 min" / "12 min ago"
    when near, the full time in its title (`frontend.times`)."""
    return time_html(at=value, relative=relative)


@register.simple_tag
def sla_left(due: datetime | None, paused: Any = None) -> str:
    """`{% sla_left m.first_response_due m.sla_paused_at %}`: "due in 8 min", "overdue
    5 min" or "paused", as the page first shows it (live.js then keeps it current)."""
    if due is None:
        return ""
    return sla_text(due=due, paused=bool(paused), now=timezone.now())


@register.simple_tag
def mention_rows(mentions: Any, can_act: bool) -> SafeString:
    """`{% mention_rows mentions can_act %}`: the inbox's rows (`frontend.rows`)."""
    return mention_rows_html(mentions=list(mentions), can_act=bool(can_act))


@register.simple_tag
def influence(author: Any) -> SafeString:
    """`{% influence mention.author %}`: the influence meter and segment badge."""
    return influence_html(author)


@register.filter
def at(value: datetime | None, pattern: str) -> str:
    """`{{ when|at:"d M H:i T" }}`: `|date` for an instant in the reader's zone, faster for
    the patterns pages use (`frontend.times.format_local`)."""
    if value is None:
        return ""
    return format_local(timezone.localtime(value), pattern)


@register.simple_tag
def case_items(clusters: Any) -> SafeString:
    """`{% case_items clusters %}`: the case strip's items, (cluster, members) pairs."""
    return case_items_html(clusters=list(clusters))
