"""The inbox's rows as HTML, written in Python: a page has 50 of them, and through the
template engine each cost about a millisecond (some 40 variable lookups and filters and
three date formats per row); here a row is one f-string of escaped values.

The markup is the one live.js and inbox.js expect (ids, classes, data attributes); the
author's influence meter is shared with the mention page (`{% influence %}`)."""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Callable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from frontend.times import format_local, sla_text, time_html
from mentions.models import Author, ClusterStatus, Mention, ProblemCluster, Segment

TEXT_CHARS = 280
CASE_TEXT_CHARS = 120

# The columns a row reads (`QuerySet.only`): a mention's other columns (its raw payload
# above all) cost the inbox reading, parsing and building them for every row.
ROW_FIELDS = (
    "id",
    "cluster_id",
    "status",
    "published_at",
    "text",
    "language",
    "sentiment",
    "kind",
    "first_response_due",
    "first_response_at",
    "sla_paused_at",
    "sla_state",
    "author__handle",
    "author__followers",
    "author__influence",
    "author__segment",
    "department__slug",
    "department__name",
    "assignee__name",
    "assignee__email",
)
# What a case's preview of its newest reports reads.
CASE_MEMBER_FIELDS = ("id", "cluster_id", "text", "author__handle")


def _e(value: object) -> str:
    """Escaped for HTML text and attributes (what Django's `escape` does, without its lazy
    wrapper: this runs some 20 times per row)."""
    return html.escape(str(value), quote=True)


def _truncated(text: str, limit: int) -> str:
    """`Truncator(text).chars(limit)`, without its walk over every character for the many
    texts that fit (Truncator counts characters of the NFC form, leaving out combining
    marks: a form of at most `limit` code points always fits, and comes back as it is)."""
    normal = unicodedata.normalize("NFC", text)
    if len(normal) <= limit:
        return normal
    return Truncator(text).chars(limit)


def _paths(name: str) -> Callable[[int], str]:
    """`reverse(name, args=[pk])` for many pks, looked up once (a reverse costs about
    25 µs, and a page asks for one per row)."""
    marker = 987_654_321_987
    head, _, tail = reverse(name, args=[marker]).partition(str(marker))
    return lambda pk: f"{head}{int(pk)}{tail}"


def _two_places(value: float) -> str:
    """`value|floatformat:2` (half up, as the template filter rounds)."""
    return str(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def influence_html(author: Author) -> SafeString:
    """The author's influence as a meter, and their segment when it is not "regular"."""
    shown = _two_places(author.influence)
    segment = (
        f' <span class="badge segment segment-{_e(author.segment)}">'
        f"{_e(author.get_segment_display())}</span>"
        if author.segment != Segment.REGULAR
        else ""
    )
    return mark_safe(  # noqa: S308 (every value is escaped above)
        f'<span class="influence" title="Influence {shown} of 1 (reach, following ratio, '
        f'activity, engagement)"><meter min="0" max="1" value="{author.influence:.3f}" '
        f'aria-label="Influence">{shown}</meter>{segment}</span>'
    )


def _sla_html(mention: Mention, *, now: datetime) -> str:
    due = mention.first_response_due
    if due is None or mention.first_response_at is not None:
        return ""
    local = timezone.localtime(due)
    paused = "1" if mention.sla_paused_at else ""
    return (
        f'<br><span class="sla sla-{_e(mention.sla_state)}" data-due="{local.isoformat()}" '
        f'data-paused="{paused}" title="{_e(mention.get_sla_state_display())}, due '
        f'{_e(format_local(local, "D j M H:i T"))}">'
        f"{_e(sla_text(due=due, paused=bool(mention.sla_paused_at), now=now))}</span>"
    )


def mention_row_html(
    *,
    mention: Mention,
    can_act: bool,
    now: datetime,
    detail_path: Callable[[int], str] | None = None,
) -> SafeString:
    """One `<tr>` of the inbox (and of a case's member list)."""
    m = mention
    path = (detail_path or _paths("mention-detail"))(m.pk)
    department = m.department
    pick = (
        f'<td class="pick"><input type="checkbox" name="ids" value="{m.pk}" form="bulk-form" '
        f'aria-label="Select mention {m.pk}"></td>'
        if can_act
        else ""
    )
    cluster = f' data-cluster="{m.cluster_id}"' if m.cluster_id else ""
    department_slug = department.slug if department is not None else ""
    department_name = (department.name if department is not None else "") or "—"
    assignee = (m.assignee.display_name if m.assignee is not None else "") or "—"
    status = _e(m.status)
    return mark_safe(  # noqa: S308 (every value is escaped or a number)
        f'<tr id="mention-{m.pk}" class="mention-row status-{status}" data-id="{m.pk}" '
        f'data-status="{status}" data-department="{_e(department_slug)}"{cluster}>\n'
        f"  {pick}\n"
        f'  <td class="when">{time_html(at=m.published_at, relative=True, now=now)}</td>\n'
        f'  <td class="author">@{_e(m.author.handle)}<br><span class="muted">'
        f"{_e(m.author.followers)} followers</span>{influence_html(m.author)}</td>\n"
        f'  <td class="text"><a href="{_e(path)}">'
        f"{_e(_truncated(m.text, TEXT_CHARS))}</a></td>\n"
        f'  <td><span class="badge lang">{_e(m.language or "?")}</span> '
        f'<span class="badge sentiment-{_e(m.sentiment)}">{_e(m.sentiment)}</span> '
        f'<span class="badge">{_e(m.kind)}</span></td>\n'
        f'  <td class="dept">{_e(department_name)}</td>\n'
        f'  <td class="status"><span class="badge status">{_e(m.get_status_display())}</span>'
        f"{_sla_html(m, now=now)}</td>\n"
        f'  <td class="assignee">{_e(assignee)}</td>\n'
        "</tr>"
    )


def _case_time(local: datetime, css_class: str) -> str:
    return (
        f'<time class="{css_class}" datetime="{local.isoformat()}" '
        f'title="{_e(format_local(local, "D j M Y, H:i T"))}">'
        f"{_e(format_local(local, 'd M H:i T'))}</time>"
    )


def case_item_html(
    *,
    cluster: ProblemCluster,
    members: list[Mention],
    detail_path: Callable[[int], str] | None = None,
    cluster_path: Callable[[int], str] | None = None,
) -> SafeString:
    """One open problem case of the inbox's case strip, with its newest few reports (the
    markup cases.js keeps live)."""
    path = detail_path or _paths("mention-detail")
    case_path = (cluster_path or _paths("cluster-detail"))(cluster.pk)
    department = cluster.department
    first_seen, last_seen = (
        timezone.localtime(cluster.first_seen),
        timezone.localtime(cluster.last_seen),
    )
    about = f" · about {_e(cluster.aspect)}" if cluster.aspect else ""
    waiting = (
        ' <span class="badge status">Waiting on a fix</span>'
        if cluster.status == ClusterStatus.WAITING
        else ""
    )
    reports = ""
    if members:
        reports = (
            '<ul class="cluster-members">'
            + "".join(
                f'<li><a href="{_e(path(m.pk))}">@{_e(m.author.handle)}'
                f'</a> <span dir="auto">{_e(_truncated(m.text, CASE_TEXT_CHARS))}</span></li>'
                for m in members
            )
            + "</ul>"
        )
    return mark_safe(  # noqa: S308 (every value is escaped or a number)
        f'      <li id="cluster-{cluster.pk}" class="case status-{_e(cluster.status)}" '
        f'data-cluster-id="{cluster.pk}" data-count="{cluster.member_count}" '
        f'data-department="{_e(department.slug if department is not None else "")}">\n'
        f'        <a class="case-link cluster-open" '
        f'href="{_e(case_path)}"><span class="cluster-count">'
        f'{cluster.member_count}</span> reports: <span class="cluster-title" dir="auto">'
        f"{_e(cluster.title)}</span></a>\n"
        f'        <span class="muted case-meta">since {_case_time(first_seen, "cluster-since")}'
        f" · latest {_case_time(last_seen, 'cluster-latest')}{about}</span>\n"
        f'        <span class="cluster-dept badge">'
        f"{_e((department.name if department is not None else '') or 'no department')}</span>"
        f"{waiting}\n"
        f"        {reports}\n"
        "      </li>\n"
    )


def case_items_html(*, clusters: list[tuple[ProblemCluster, list[Mention]]]) -> SafeString:
    """The case strip's list items."""
    path, case_path = _paths("mention-detail"), _paths("cluster-detail")
    return mark_safe(  # noqa: S308 (each item is escaped above)
        "".join(
            case_item_html(
                cluster=cluster, members=members, detail_path=path, cluster_path=case_path
            )
            for cluster, members in clusters
        )
    )


def mention_rows_html(*, mentions: list[Mention], can_act: bool) -> SafeString:
    """The rows of a page, one clock for all of them."""
    now = timezone.now()
    path = _paths("mention-detail")
    return mark_safe(  # noqa: S308 (each row is built by format_html)
        "\n".join(
            mention_row_html(mention=m, can_act=can_act, now=now, detail_path=path)
            for m in mentions
        )
    )
