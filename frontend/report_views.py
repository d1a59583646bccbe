"""The reports page: what listening heard and what care achieved, for a period in the
client's time zone, compared with the period before; every chart and table drills down to
the inbox filtered to that slice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from frontend.access import client_member_required
from frontend.params import form_date, form_int
from frontend.templatetags.lotse import duration, pct
from mentions.models import Aspect, Kind
from reports import figures
from reports.chart import negative_share_chart, stacked_volume_chart
from routing.models import Department
from sources.models import Source

PRESETS = [("7", "7 days"), ("30", "30 days"), ("90", "90 days"), ("365", "12 months")]


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    delta: str  # "" when there is nothing to compare
    direction: str  # "up", "down" or ""
    good: bool | None  # whether the change is good news (None: neither)


_pct = pct
_duration = duration


def _kpi(
    label: str,
    now: float | None,
    before: float | None,
    *,
    fmt: str,
    higher_is_good: bool | None,
) -> Kpi:
    shown = {"count": lambda v: f"{int(v or 0):,}", "pct": _pct, "time": _duration}[fmt](now)
    if now is None or before is None or now == before:
        return Kpi(label, shown, "no change" if now == before and now is not None else "", "", None)
    change = now - before
    if fmt == "pct":
        delta = f"{change * 100:+.0f} pts"
    elif fmt == "time":
        delta = ("+" if change > 0 else "-") + _duration(abs(change))
    else:
        delta = f"{change:+,.0f}" + (f" ({change / before:+.0%})" if before else "")
    good = None if higher_is_good is None else (change > 0) == higher_is_good
    return Kpi(label, shown, delta, "up" if change > 0 else "down", good)


def _period(request: HttpRequest) -> tuple[str, figures.Period, str]:
    """The preset or custom days asked for (7, 30, 90 days, 12 months, or from..to)."""
    preset = request.GET.get("range", "30")
    error = ""
    if preset == "custom":
        first, last = form_date(request.GET.get("from")), form_date(request.GET.get("to"))
        if first is None or last is None or first > last:
            error = "Choose a first and a last day (the first not after the last)."
        elif (last - first).days >= figures.MAX_DAYS:
            error = f"At most {figures.MAX_DAYS} days at once."
        else:
            return preset, figures.period_for(first=first, last=last), ""
        preset = "30"
    if preset not in dict(PRESETS):
        preset = "30"
    return preset, figures.period_for(first=None, last=None, days=int(preset)), error


def _interval(period: figures.Period) -> str:
    if period.days <= 2:
        return "hour"
    if period.days <= 92:
        return "day"
    return "week"


class Drill:
    """Links into the inbox for a slice of the report."""

    def __init__(self, period: figures.Period, filters: dict[str, str]) -> None:
        self.base = {"status": "all", **filters}
        self.period = period

    def link(
        self,
        extra: dict[str, str] | None = None,
        *,
        first: date | None = None,
        last: date | None = None,
    ) -> str:
        params = {
            **self.base,
            "from": (first or self.period.first).isoformat(),
            "to": (last or self.period.last).isoformat(),
        }
        params.update({key: value for key, value in (extra or {}).items() if value})
        return "/?" + urlencode({k: v for k, v in params.items() if v not in (None, "")})


@client_member_required()
def reports_page(request: HttpRequest) -> HttpResponse:
    scope = figures.report_scope_for_user(user=request.user)  # type: ignore[arg-type]
    preset, period, error = _period(request)
    departments = Department.objects.order_by("name")
    if scope is not None:
        departments = departments.filter(pk__in=scope)
    department_slugs = {d.slug: d.pk for d in departments}
    get = request.GET
    chosen = {
        "source": str(form_int(get.get("source")) or ""),
        "language": get.get("language", "") if get.get("language", "").isalpha() else "",
        "department": get.get("department", "")
        if get.get("department", "") in department_slugs
        else "",
        "aspect": get.get("aspect", "")
        if Aspect.objects.filter(slug=get.get("aspect", "") or None).exists()
        else "",
        "kind": get.get("kind", "") if get.get("kind", "") in Kind.values else "",
    }
    slice_ = figures.Slice(
        source_id=int(chosen["source"]) if chosen["source"] else None,
        language=chosen["language"][:3],
        department_id=department_slugs.get(chosen["department"]),
        aspect=chosen["aspect"],
        kind=chosen["kind"],
        departments=scope,
    )
    interval = _interval(period)
    previous = period.previous()
    now = figures.summary(period=period, slice_=slice_)
    before = figures.summary(period=previous, slice_=slice_)
    series = figures.volume_series(period=period, interval=interval, slice_=slice_)
    drill = Drill(period, {k: v for k, v in chosen.items() if v})
    department_ids = {d.pk: d.slug for d in Department.objects.all()}

    def rows(dimension: str, limit: int = 12) -> list[dict[str, Any]]:
        found = figures.breakdown(period=period, dimension=dimension, slice_=slice_, limit=limit)
        top = max((row.total for row in found), default=1)
        out = []
        for row in found:
            if dimension == "department":
                target = {"department": department_ids.get(int(row.key), "")}
            else:
                target = {dimension: row.key}
            out.append(
                {
                    "row": row,
                    "href": drill.link(target),
                    "neg_href": drill.link({**target, "sentiment": "negative"}),
                    "width": round(row.total / top * 100, 1),
                    "neg": round(row.negative / row.total * 100, 1) if row.total else 0,
                    "neu": round(row.neutral / row.total * 100, 1) if row.total else 0,
                    "pos": round(row.positive / row.total * 100, 1) if row.total else 0,
                }
            )
        return out

    volume = stacked_volume_chart(series, interval=interval)
    voice = figures.share_of_voice(period=period, slice_=slice_)
    voice_total = voice.role_total("brand") + voice.role_total("competitor")
    care_departments = figures.care_by(period=period, by="department", slice_=slice_)
    care_people = figures.care_by(period=period, by="person", slice_=slice_)
    kpis = [
        _kpi("Mentions", now.total, before.total, fmt="count", higher_is_good=None),
        _kpi(
            "Negative share",
            now.negative_share,
            before.negative_share,
            fmt="pct",
            higher_is_good=False,
        ),
        _kpi(
            "Net sentiment",
            now.net_sentiment,
            before.net_sentiment,
            fmt="pct",
            higher_is_good=True,
        ),
        _kpi(
            "Response rate",
            now.response_rate,
            before.response_rate,
            fmt="pct",
            higher_is_good=True,
        ),
        _kpi(
            "First response (median)",
            now.care.median_seconds,
            before.care.median_seconds,
            fmt="time",
            higher_is_good=False,
        ),
        _kpi(
            "SLA met",
            now.care.sla_met_share,
            before.care.sla_met_share,
            fmt="pct",
            higher_is_good=True,
        ),
    ]
    context = {
        "presets": PRESETS,
        "preset": preset,
        "period": period,
        "previous": previous,
        "period_error": error,
        "zone": period.zone.key,
        "interval": interval,
        "chosen": chosen,
        "filter_query": urlencode({k: v for k, v in chosen.items() if v}),
        "sources": Source.objects.order_by("name").values_list("pk", "name"),
        "languages": [
            row.key
            for row in figures.breakdown(
                period=period, dimension="language", slice_=figures.Slice(departments=scope)
            )
        ],
        "departments": departments,
        "aspects": Aspect.objects.filter(active=True).order_by("name"),
        "kinds": Kind.choices,
        "kpis": kpis,
        "now": now,
        "volume": volume,
        "volume_links": [drill.link(first=bar.first, last=bar.last) for bar in volume.bars],
        "share": negative_share_chart(series, interval=interval),
        "by_source": rows("source"),
        "by_language": rows("language"),
        "by_kind": rows("kind"),
        "by_department": rows("department"),
        "aspects_table": rows("aspect", limit=20),
        "voice": voice,
        "voice_rows": [
            (row, round(row.mentions / voice_total * 100, 1) if voice_total else 0)
            for row in voice.rows
        ],
        "authors": figures.top_authors(period=period, slice_=slice_),
        "ideas": figures.ideas(period=period, slice_=slice_, limit=5),
        "ideas_href": drill.link({"kind": "idea"}),
        "cases": figures.top_cases(period=period, slice_=slice_, limit=8),
        "care_departments": [
            (row, drill.link({"department": department_ids.get(row.key, "")}))
            for row in care_departments
        ],
        "care_people": care_people,
        "export_href": "/api/v1/reports/export.csv?"
        + urlencode(
            {
                "from": period.first.isoformat(),
                "to": period.last.isoformat(),
                **{k: v for k, v in chosen.items() if v},
            }
        ),
    }
    return render(request, "frontend/reports.html", context)
