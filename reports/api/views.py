"""Report endpoints: parse the parameters, ask `reports.figures`, serialize. Every member
of the client may read reports; staff limited to departments get their departments'
figures only (`report_scope_for_user`)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from reports import figures
from reports.api.serializers import (
    CareParamsSerializer,
    CareSerializer,
    ReportParamsSerializer,
    ShareOfVoiceSerializer,
    SummarySerializer,
    TableParamsSerializer,
    TopParamsSerializer,
    TopSerializer,
    VolumeParamsSerializer,
    VolumeSerializer,
)
from reports.care_figures import CareClocks, CareRow, care_by, care_clocks, care_times_of
from reports.document import report_document
from reports.exports import CSV_HEADER, csv_row
from reports.pdf import letterhead_for, report_pdf
from reports.tables import report_table
from reports.terms import rising_terms


def _parse(request: Request, serializer_class: type[ReportParamsSerializer]) -> dict[str, Any]:
    """Validated parameters plus the period and the slice the reader may see."""
    scope = figures.report_scope_for_user(user=request.user)  # type: ignore[arg-type]
    params = serializer_class(data=request.query_params)
    params.is_valid(raise_exception=True)
    data = dict(params.validated_data)
    data["slice"] = figures.Slice(
        source_id=data.get("source"),
        language=data.get("language", ""),
        department_id=data.get("department"),
        aspect=data.get("aspect", ""),
        kind=data.get("kind", ""),
        departments=scope,
    )
    return data


def _figures(summary: figures.Summary, clocks: CareClocks) -> dict[str, Any]:
    care = summary.care
    business = clocks.first_response_business
    return {
        "total": summary.total,
        "negative": summary.negative,
        "neutral": summary.neutral,
        "positive": summary.positive,
        "negative_share": summary.negative_share,
        "net_sentiment": summary.net_sentiment,
        "responded": care.responded,
        "response_rate": summary.response_rate,
        "first_response_median_seconds": care.median_seconds,
        "first_response_p90_seconds": care.p90_seconds,
        "first_response_mean_seconds": care.mean_seconds,
        "first_response_median_business_seconds": business.median_seconds,
        "first_response_p90_business_seconds": business.p90_seconds,
        "first_response_mean_business_seconds": business.mean_seconds,
        "sla_met_share": care.sla_met_share,
        "business_sample": (
            {
                "every_hours": clocks.sample_every_hours,
                "measured": business.count,
                "answered": clocks.answered,
            }
            if clocks.sampled
            else None
        ),
    }


def _period_figures(*, period: figures.Period, slice_: figures.Slice) -> dict[str, Any]:
    # One pass over the period's answers for both clocks and the SLA counts.
    clocks = care_clocks(period=period, slice_=slice_, resolution=False)
    found = figures.summary(period=period, slice_=slice_, care=care_times_of(clocks))
    return _figures(found, clocks)


def summary_payload(*, period: figures.Period, slice_: figures.Slice) -> dict[str, Any]:
    """The period's figures, the previous period's, and the differences."""
    now = _period_figures(period=period, slice_=slice_)
    before = _period_figures(period=period.previous(), slice_=slice_)
    deltas = {
        key: (now[key] - before[key] if now[key] is not None and before[key] is not None else None)
        for key in now
        if key != "business_sample"
    }
    return {
        **now,
        "from": period.start,
        "to": period.end,
        "timezone": period.zone.key,
        "previous": before,
        "deltas": deltas,
    }


class ReportVolumeView(APIView):
    """Mentions per hour, day, week or month by sentiment (buckets in the client's zone)."""

    @extend_schema(parameters=[VolumeParamsSerializer], responses=VolumeSerializer)
    def get(self, request: Request) -> Response:
        data = _parse(request, VolumeParamsSerializer)
        series = figures.volume_series(
            period=data["period"], interval=data["interval"], slice_=data["slice"]
        )
        return Response(
            VolumeSerializer(
                {
                    "interval": data["interval"],
                    "timezone": data["period"].zone.key,
                    "series": series,
                }
            ).data
        )


class ReportSummaryView(APIView):
    """Volume, sentiment and care figures of the period, with deltas to the period before."""

    @extend_schema(parameters=[ReportParamsSerializer], responses=SummarySerializer)
    def get(self, request: Request) -> Response:
        data = _parse(request, ReportParamsSerializer)
        payload = summary_payload(period=data["period"], slice_=data["slice"])
        return Response(SummarySerializer(payload).data)


def care_rows(rows: list[CareRow]) -> list[dict[str, Any]]:
    return [
        {
            "id": row.key,
            "name": row.label,
            "received": row.received,
            "responded": row.care.responded,
            "response_rate": row.response_rate,
            "first_response_median_seconds": row.care.median_seconds,
            "first_response_p90_seconds": row.care.p90_seconds,
            "first_response_mean_seconds": row.care.mean_seconds,
            "sla_answered": row.care.sla_answered,
            "sla_met": row.care.sla_met,
            "sla_met_share": row.care.sla_met_share,
            "open": row.open,
            "overdue": row.overdue,
        }
        for row in rows
    ]


class ReportCareView(APIView):
    """First-response times, response rate, SLA compliance and open load per department,
    team or person (the author of the first response; open load: the assignee)."""

    @extend_schema(parameters=[CareParamsSerializer], responses=CareSerializer)
    def get(self, request: Request) -> Response:
        data = _parse(request, CareParamsSerializer)
        rows = care_by(period=data["period"], by=data["by"], slice_=data["slice"])
        return Response(CareSerializer({"by": data["by"], "rows": care_rows(rows)}).data)


def top_payload(*, what: str, period: figures.Period, slice_: figures.Slice) -> dict[str, Any]:
    if what == "aspects":
        rows = figures.breakdown(period=period, dimension="aspect", slice_=slice_, limit=20)
        return {"what": what, "items": [_breakdown(row) for row in rows]}
    if what == "authors":
        authors = figures.top_authors(period=period, slice_=slice_)
        return {"what": what, "items": [author.__dict__ for author in authors]}
    if what == "ideas":
        found = figures.ideas(period=period, slice_=slice_)
        return {
            "what": what,
            "total": found.total,
            "items": [
                {
                    "id": mention.pk,
                    "text": mention.text,
                    "author": mention.author.handle,
                    "published_at": mention.published_at.isoformat(),
                    "aspects": mention.aspects,
                    "url": mention.url,
                }
                for mention in found.examples
            ],
            "by_aspect": [_breakdown(row) for row in found.by_aspect],
        }
    if what == "terms":
        terms = rising_terms(period=period, slice_=slice_)
        return {
            "what": what,
            "sampled": terms.sampled,
            "sample": (
                {
                    "read": terms.read[0],
                    "mentions": terms.mentions[0],
                    "read_before": terms.read[1],
                    "mentions_before": terms.mentions[1],
                }
                if terms.sampled
                else None
            ),
            "items": [
                {
                    "term": row.term,
                    "hashtag": row.hashtag,
                    "mentions": row.now,
                    "mentions_before": row.before,
                    "growth": row.growth,
                }
                for row in terms.rows
            ],
        }
    cases = figures.top_cases(period=period, slice_=slice_)
    return {
        "what": what,
        "items": [
            {
                "id": case.pk,
                "title": case.title,
                "aspect": case.aspect,
                "reports": case.member_count,
                "status": case.status,
                "department": case.department.name if case.department else "",
                "first_seen": case.first_seen.isoformat(),
                "last_seen": case.last_seen.isoformat(),
            }
            for case in cases
        ],
    }


def _breakdown(row: figures.BreakdownRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "name": row.label,
        "total": row.total,
        "negative": row.negative,
        "neutral": row.neutral,
        "positive": row.positive,
        "negative_share": row.negative_share,
    }


class ReportTopView(APIView):
    """Top aspects (by sentiment), authors (by volume, with influence and segment), ideas
    (count, by aspect, newest examples) and problem cases of the period."""

    @extend_schema(parameters=[TopParamsSerializer], responses=TopSerializer)
    def get(self, request: Request) -> Response:
        data = _parse(request, TopParamsSerializer)
        payload = top_payload(what=data["what"], period=data["period"], slice_=data["slice"])
        return Response(TopSerializer(payload).data)


def voice_payload(voice: figures.ShareOfVoice) -> dict[str, Any]:
    brand = voice.role_total("brand")
    competitors = voice.role_total("competitor")
    both = brand + competitors
    return {
        "brand": brand,
        "competitors": competitors,
        "brand_share": voice.brand_share,
        "checked": voice.checked,
        "sampled": voice.sampled,
        "matching": voice.matching,
        "queries": [
            {**row.__dict__, "share": row.mentions / both if both else None} for row in voice.rows
        ],
    }


class ReportShareOfVoiceView(APIView):
    """How the period's mentions split between the brand's and the competitors' listening
    queries, over every mention of the period (`matching`: the mentions are being matched
    against the queries again, so far `done` of `total`; until then the counts are short)."""

    @extend_schema(parameters=[ReportParamsSerializer], responses=ShareOfVoiceSerializer)
    def get(self, request: Request) -> Response:
        data = _parse(request, ReportParamsSerializer)
        voice = figures.share_of_voice(period=data["period"], slice_=data["slice"])
        return Response(ShareOfVoiceSerializer(voice_payload(voice)).data)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(rows: Iterator[list[str]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for row in rows:
        yield writer.writerow(row)


class ReportExportCsvView(APIView):
    """Every mention of the period and filters, one row each with its triage, routing and
    care columns (times in the client's zone), streamed."""

    @extend_schema(
        parameters=[ReportParamsSerializer],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)},
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        data = _parse(request, ReportParamsSerializer)
        period: figures.Period = data["period"]
        user: User = request.user  # type: ignore[assignment]
        names = figures.member_names()
        mentions = figures.export_mentions(user=user, period=period, slice_=data["slice"])
        rows = (csv_row(mention, zone=period.zone, names=names) for mention in mentions)
        response = StreamingHttpResponse(csv_stream(rows), content_type="text/csv")
        response["Content-Disposition"] = (
            f'attachment; filename="mentions-{period.first}-{period.last}.csv"'
        )
        return response


class ReportTableCsvView(APIView):
    """One table of the report as CSV (`table`: volume, sources, languages, kinds,
    departments, aspects, share-of-voice, authors, ideas, cases, care-departments,
    care-teams, care-people), for the same period and filters as the page. Shares are
    fractions, times seconds."""

    @extend_schema(
        parameters=[TableParamsSerializer],
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)},
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        data = _parse(request, TableParamsSerializer)
        period: figures.Period = data["period"]
        table = report_table(name=data["table"], period=period, slice_=data["slice"])
        writer = csv.writer(_Echo())
        response = StreamingHttpResponse(
            (writer.writerow(row) for row in table.csv_rows()), content_type="text/csv"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{data["table"]}-{period.first}-{period.last}.csv"'
        )
        return response


class ReportExportPdfView(APIView):
    """The report as a PDF (the reports page's figures and charts, under the agency's and
    the client's names, with the period and its comparison)."""

    @extend_schema(
        parameters=[ReportParamsSerializer],
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)},
    )
    def get(self, request: Request) -> HttpResponse:
        data = _parse(request, ReportParamsSerializer)
        period: figures.Period = data["period"]
        document = report_document(period=period, slice_=data["slice"])
        pdf = report_pdf(
            document=document, letterhead=letterhead_for(slice_=data["slice"], zone=period.zone)
        )
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="report-{period.first}-{period.last}.pdf"'
        )
        return response
