"""Report figures in templates that have no page around them (the PDF, the mails): the
same words as the reports page (`reports.formatting`)."""

from __future__ import annotations

from django import template

from reports import formatting

register = template.Library()


@register.filter
def report_pct(value: float | None) -> str:
    return formatting.pct(value)


@register.filter
def report_duration(seconds: float | None) -> str:
    return formatting.duration(seconds)
