"""The reports page: what listening heard and what care achieved, for a period in the
reader's time zone (days and chart buckets; `frontend.times`), compared with the period
before; every chart and table drills down to the inbox filtered to that slice."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from frontend.access import client_member_required
from frontend.params import form_date, form_int
from frontend.times import active_zone
from mentions.models import Aspect, Kind
from reports import figures
from reports.document import BarRow, report_document
from routing.models import Department
from sources.models import Source

PRESETS = [("7", "7 days"), ("30", "30 days"), ("90", "90 days"), ("365", "12 months")]


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
            return preset, figures.period_for(first=first, last=last, zone=active_zone()), ""
        preset = "30"
    if preset not in dict(PRESETS):
        preset = "30"
    period = figures.period_for(first=None, last=None, days=int(preset), zone=active_zone())
    return preset, period, error


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
        hours: tuple[datetime, datetime] | None = None,
    ) -> str:
        """The inbox for the slice with `extra` filters, over the period, the days
        `first`..`last`, or the instants `hours` ([start, end), with their UTC offset in the
        period's zone, so a DST change cannot shift them)."""
        if hours is not None:
            start, end = (at.astimezone(self.period.zone) for at in hours)
            bounds = {
                "from": start.isoformat(timespec="minutes"),
                "to": end.isoformat(timespec="minutes"),
            }
        else:
            bounds = {
                "from": (first or self.period.first).isoformat(),
                "to": (last or self.period.last).isoformat(),
            }
        params = {**self.base, **bounds}
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
    doc = report_document(period=period, slice_=slice_)
    drill = Drill(period, {k: v for k, v in chosen.items() if v})
    department_ids = {d.pk: d.slug for d in Department.objects.all()}

    def rows(found: list[BarRow], dimension: str) -> list[dict[str, Any]]:
        out = []
        for bar in found:
            if dimension == "department":
                target = {"department": department_ids.get(int(bar.row.key), "")}
            else:
                target = {dimension: bar.row.key}
            out.append(
                {
                    "row": bar.row,
                    "href": drill.link(target),
                    "neg_href": drill.link({**target, "sentiment": "negative"}),
                    "width": bar.width,
                    "neg": bar.neg,
                    "neu": bar.neu,
                    "pos": bar.pos,
                }
            )
        return out

    exported = urlencode(
        {
            "from": period.first.isoformat(),
            "to": period.last.isoformat(),
            **{k: v for k, v in chosen.items() if v},
        }
    )
    context = {
        "presets": PRESETS,
        "preset": preset,
        "period": period,
        "previous": doc.previous,
        "period_error": error,
        "zone": period.zone.key,
        "interval": doc.interval,
        "doc": doc,
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
        "kpis": doc.kpis,
        "now": doc.now,
        "volume": doc.volume,
        "volume_links": [drill.link(first=bar.first, last=bar.last) for bar in doc.volume.bars],
        "share": doc.share,
        "by_source": rows(doc.by_source, "source"),
        "by_language": rows(doc.by_language, "language"),
        "by_kind": rows(doc.by_kind, "kind"),
        "by_department": rows(doc.by_department, "department"),
        "aspects_table": rows(doc.aspects, "aspect"),
        "voice": doc.voice,
        "voice_rows": [(row.row, row.share) for row in doc.voice_rows],
        "authors": doc.authors,
        "ideas": doc.ideas,
        "ideas_href": drill.link({"kind": "idea"}),
        "first_responses": [
            (bucket, drill.link({"first_response": bucket.key})) for bucket in doc.first_responses
        ],
        "cases": doc.cases,
        "care_departments": [
            (row, drill.link({"department": department_ids.get(row.key, "")}))
            for row in doc.care_departments
        ],
        "care_people": doc.care_people,
        "export_query": exported,
        "export_href": "/api/v1/reports/export.csv?" + exported,
        "pdf_href": "/api/v1/reports/export.pdf?" + exported,
        "table_csv": "/api/v1/reports/table.csv?" + exported,
        "crisis": [
            {
                "window": window,
                "href": drill.link(hours=hours),
                "neg_href": drill.link({"sentiment": "negative"}, hours=hours),
                "case_hrefs": [(case, f"/clusters/{case.pk}/") for case in window.cases],
                "aspect_hrefs": [
                    (aspect, n, drill.link({"aspect": aspect}, hours=hours))
                    for aspect, n in window.aspects
                ],
            }
            for window in doc.crisis.alerts
            for hours in [(window.start, window.end)]
        ],
        "crisis_total": doc.crisis.total,
    }
    return render(request, "frontend/reports.html", context)
