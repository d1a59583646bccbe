"""The PDF report (WeasyPrint): the `ReportDocument` the reports page shows, on A4 under a
letterhead with the agency's and the client's names, the period and its comparison, and
the same server-side SVG charts. Colours are the Okabe-Ito palette (readable with colour
blindness) and are written as SVG attributes, since the PDF has no page stylesheet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from accounts.logos import client_logo_get, logo_data_url
from accounts.security import agency_get
from config.tenancy import current_client
from reports.document import BarRow, ReportDocument
from reports.figures import Slice
from routing.models import Department
from sources.models import Source

PALETTE = {
    "negative": "#d55e00",
    "neutral": "#a3a3a3",
    "positive": "#0072b2",
    "other": "#dedede",
}


@dataclass(frozen=True)
class Letterhead:
    agency: str  # the agency's name (its own, public Client row)
    client: str
    filters: str  # the filters applied, in words ("" for none)
    made_at: datetime  # aware, in the client's zone
    agency_logo: str = ""  # a data: URL, "" for none (white label: `accounts.logos`)
    client_logo: str = ""


def filters_in_words(slice_: Slice) -> str:
    """The slice's filters as a reader would say them ("" for none)."""
    words = []
    if slice_.source_id is not None:
        name = Source.all_objects.filter(pk=slice_.source_id).values_list("name", flat=True).first()
        words.append(f"source {name or slice_.source_id}")
    if slice_.language:
        words.append(f"language {slice_.language}")
    if slice_.department_id is not None:
        name = (
            Department.objects.filter(pk=slice_.department_id)
            .values_list("name", flat=True)
            .first()
        )
        words.append(f"department {name or slice_.department_id}")
    if slice_.aspect:
        words.append(f"aspect {slice_.aspect}")
    if slice_.kind:
        words.append(f"kind {slice_.kind}")
    if slice_.departments is not None:
        words.append("only the reader's departments")
    return ", ".join(words)


def letterhead_for(*, slice_: Slice, zone: ZoneInfo) -> Letterhead:
    """The agency's name and logo (its own row), the current client's, the filters and now."""
    agency = agency_get()
    client = current_client()
    return Letterhead(
        agency=agency.name if agency is not None else "",
        client=client.name,
        filters=filters_in_words(slice_),
        made_at=datetime.now(zone),
        agency_logo=logo_data_url(client_logo_get(client=agency)) if agency is not None else "",
        client_logo=logo_data_url(client_logo_get(client=client)),
    )


def _coloured(doc: ReportDocument) -> list[dict[str, Any]]:
    return [
        {
            "bar": bar,
            "segments": [
                {"y": s.y, "height": s.height, "fill": PALETTE.get(s.css, PALETTE["other"])}
                for s in bar.segments
            ],
        }
        for bar in doc.volume.bars
    ]


def _breakdowns(doc: ReportDocument) -> list[tuple[str, list[dict[str, Any]]]]:
    def rows(found: list[BarRow]) -> list[dict[str, Any]]:
        return [
            {
                "label": bar.row.label,
                "total": bar.row.total,
                "parts": [
                    (round(bar.width * part / 100, 1), PALETTE[name])
                    for part, name in (
                        (bar.neg, "negative"),
                        (bar.neu, "neutral"),
                        (bar.pos, "positive"),
                    )
                    if part
                ],
            }
            for bar in found
        ]

    return [
        ("By source", rows(doc.by_source)),
        ("By language", rows(doc.by_language)),
        ("By kind", rows(doc.by_kind)),
        ("By department", rows(doc.by_department)),
    ]


def report_html(*, document: ReportDocument, letterhead: Letterhead) -> str:
    return render_to_string(
        "reports/report_pdf.html",
        {
            "doc": document,
            "head": letterhead,
            "bars": _coloured(document),
            "breakdowns": _breakdowns(document),
            "palette": PALETTE,
        },
    )


def report_pdf(*, document: ReportDocument, letterhead: Letterhead) -> bytes:
    """The report as PDF bytes. Nothing is fetched: the fetcher allows only inline `data:`
    URLs, so no text in a report can make the server request a file or an address."""
    html = report_html(document=document, letterhead=letterhead)
    fetcher = URLFetcher(allowed_protocols={"data"})
    return bytes(HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf())
