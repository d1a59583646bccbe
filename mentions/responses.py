"""Responses to mentions: saved replies, the client's policy checks, approval, and delivery
through the source's connector (in a worker) or recorded as answered elsewhere.

Flow: `response_check` (what the composer shows) → `response_create` (409 when someone
answered meanwhile; pending approval, queued for the network, or recorded) →
`response_approve` / `response_reject` → `response_deliver` (Celery) → sent or failed
(`response_retry`). The first sent response stamps the mention's first response (SLA) and
its response time (`Response.response_seconds`, `is_first`) for reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from accounts.audit.services import audit_record
from accounts.models import Client, Role, User
from accounts.selectors import client_members, membership_role_for, role_at_least
from config.celery import task_send
from config.errors import Conflict, DomainError, NotAllowed
from config.tenancy import current_client, current_schema
from mentions import events
from mentions.models import (
    ANSWERING,
    Channel,
    Kind,
    Mention,
    Response,
    ResponseStatus,
    SavedReply,
    Status,
)
from mentions.selectors import cluster_members_for_user
from mentions.services import _mention_lock, _mention_save, mentions_bulk
from routing.models import Notification, ResponsePolicy
from routing.services.notifications import notification_create
from routing.services.policy import response_policy_get, staff_member_for
from routing.services.sla import mention_sla_on_status
from routing.training.selectors import reply_rights_for
from sources.connectors.base import ConnectorError
from sources.connectors.http import SafeHttpClient
from sources.connectors.registry import connector_class, connector_for_source

MAX_RESPONSE = 10_000
MAX_REASON = 1_000
VARIABLES = ("{author}", "{agent}", "{brand}")
ELSEWHERE = (Channel.DM, Channel.EMAIL, Channel.PHONE)
DASH = "\u2013"  # en dash, as in the signature line of a reply
TRAINING_URL = "/training/"
GUIDELINES_URL = "/training/guidelines/"


# -- saved replies and variables ---------------------------------------------------------
def variables_fill(text: str, *, mention: Mention, agent: User, client: Client) -> str:
    """`{author}`, `{agent}`, `{brand}` filled in; other braces are left as they are."""
    author = mention.author.name or f"@{mention.author.handle}"
    agent_name = agent.name or agent.display_name
    values = {"{author}": author, "{agent}": agent_name, "{brand}": client.name}
    for token, value in values.items():
        text = text.replace(token, value)
    return text


def _saved_reply_clean(data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    if "title" in data:
        cleaned["title"] = " ".join(str(data["title"]).split())
        if not cleaned["title"] or len(cleaned["title"]) > 200:
            errors["title"] = ["required, at most 200 characters"]
    if "text" in data:
        cleaned["text"] = str(data["text"]).strip()
        if not cleaned["text"] or len(cleaned["text"]) > MAX_RESPONSE:
            errors["text"] = [f"required, at most {MAX_RESPONSE} characters"]
    if "language" in data:
        cleaned["language"] = str(data["language"] or "").strip().lower()
        language = cleaned["language"]
        if language and (len(language) > 8 or not language.replace("-", "").isalnum()):
            errors["language"] = ["a language code such as de or en, or empty"]
    if errors:
        raise DomainError("The saved reply has invalid fields.", fields=errors)
    return cleaned


def _require_role(user: User, minimum: str, what: str) -> None:
    if not role_at_least(membership_role_for(user=user, client=current_client()), minimum):
        raise NotAllowed(f"Your role may not {what} (needs {minimum} or above).")


def _title_taken(cleaned: Mapping[str, Any], *, exclude: int | None = None) -> None:
    clash = SavedReply.objects.filter(title=cleaned["title"], language=cleaned.get("language", ""))
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise DomainError(
            "A saved reply with this title and language exists.",
            fields={"title": ["already used for this language"]},
        )


# Starting replies for a new client (onboarding): `{author}`, `{agent}`, `{brand}` are filled
# in the composer. One set per language; the industry adds its own on top.
SAVED_REPLY_PRESETS: dict[str, list[dict[str, str]]] = {
    "en": [
        {
            "title": "Thanks for telling us",
            "text": "Hi {author}, thank you for letting us know. We are looking into it and "
            "will get back to you here. {agent} for {brand}",
        },
        {
            "title": "Please send us a direct message",
            "text": "Hi {author}, we are sorry to hear that. Please send us a direct message "
            "with your details so we can help you personally. {agent} for {brand}",
        },
        {
            "title": "Solved, glad to help",
            "text": "Hi {author}, glad we could sort this out. Thanks for your patience! "
            "{agent} for {brand}",
        },
    ],
    "de": [
        {
            "title": "Danke für den Hinweis",
            "text": "Hallo {author}, danke für deinen Hinweis. Wir sehen uns das an und melden "
            "uns hier. {agent} für {brand}",
        },
        {
            "title": "Bitte per Direktnachricht",
            "text": "Hallo {author}, das tut uns leid. Schreib uns bitte eine Direktnachricht "
            "mit deinen Angaben, damit wir dir persönlich helfen können. {agent} für {brand}",
        },
    ],
}
SAVED_REPLY_INDUSTRY: dict[str, dict[str, str]] = {
    "retail": {
        "title": "Order number, please",
        "text": "Hi {author}, sorry your order is causing trouble. Please send us your order "
        "number by direct message and we will check it right away. {agent} for {brand}",
    },
    "telecom": {
        "title": "Outage: we are on it",
        "text": "Hi {author}, we know about the disruption in your area and our technicians "
        "are working on it. We will post an update here. {agent} for {brand}",
    },
    "transport": {
        "title": "Delay: compensation",
        "text": "Hi {author}, sorry for the delay. You can claim compensation for delays "
        "on our website; we are happy to help if anything is unclear. {agent} for {brand}",
    },
    "airline": {
        "title": "Booking reference, please",
        "text": "Hi {author}, sorry about your trip. Please send us your booking reference "
        "by direct message so we can look into it. {agent} for {brand}",
    },
}


@transaction.atomic
def saved_replies_seed(*, industry: str, languages: list[str], by: User | None) -> int:
    """Give a new client starting replies for its languages (English when it names none of
    ours) and its industry; existing titles are kept. Returns how many were added."""
    wanted = [language for language in languages if language in SAVED_REPLY_PRESETS] or ["en"]
    rows: list[dict[str, str]] = []
    for language in wanted:
        rows.extend({**row, "language": language} for row in SAVED_REPLY_PRESETS[language])
    if industry in SAVED_REPLY_INDUSTRY:
        rows.append({**SAVED_REPLY_INDUSTRY[industry], "language": "en" if "en" in wanted else ""})
    existing = set(SavedReply.objects.values_list("title", "language"))
    new = [
        SavedReply(**row, created_by_id=by.pk if by else None)
        for row in rows
        if (row["title"], row["language"]) not in existing
    ]
    SavedReply.objects.bulk_create(new)
    if new:
        audit_record(
            actor=by,
            action="saved_reply.seeded",
            target_type="saved_reply",
            target_id=None,
            summary=f"Added {len(new)} starting saved replies ({industry})",
            after=[{"title": reply.title, "language": reply.language} for reply in new],
        )
    return len(new)


@transaction.atomic
def saved_reply_create(*, data: Mapping[str, Any], by: User) -> SavedReply:
    _require_role(by, Role.MANAGER, "manage saved replies")
    cleaned = _saved_reply_clean({"language": "", **data})
    missing = {"title", "text"} - cleaned.keys()
    if missing:
        raise DomainError(
            "Title and text are required.", fields={name: ["required"] for name in missing}
        )
    _title_taken(cleaned)
    reply = SavedReply.objects.create(**cleaned, created_by_id=by.pk)
    audit_record(
        actor=by,
        action="saved_reply.created",
        target_type="saved_reply",
        target_id=reply.pk,
        summary=f"Added the saved reply {reply.title!r}",
        after=cleaned,
    )
    return reply


@transaction.atomic
def saved_reply_update(*, reply: SavedReply, data: Mapping[str, Any], by: User) -> SavedReply:
    _require_role(by, Role.MANAGER, "manage saved replies")
    cleaned = _saved_reply_clean(data)
    before = {name: getattr(reply, name) for name in cleaned}
    if cleaned == before:
        return reply
    _title_taken({"title": reply.title, "language": reply.language, **cleaned}, exclude=reply.pk)
    for name, value in cleaned.items():
        setattr(reply, name, value)
    reply.updated_at = timezone.now()
    reply.save()
    audit_record(
        actor=by,
        action="saved_reply.updated",
        target_type="saved_reply",
        target_id=reply.pk,
        summary=f"Changed the saved reply {reply.title!r}",
        before=before,
        after=cleaned,
    )
    return reply


@transaction.atomic
def saved_reply_delete(*, reply: SavedReply, by: User) -> None:
    _require_role(by, Role.MANAGER, "manage saved replies")
    audit_record(
        actor=by,
        action="saved_reply.deleted",
        target_type="saved_reply",
        target_id=reply.pk,
        summary=f"Deleted the saved reply {reply.title!r}",
        before={"title": reply.title, "text": reply.text, "language": reply.language},
    )
    reply.delete()


# -- policy checks -----------------------------------------------------------------------
@dataclass(frozen=True)
class Finding:
    code: str  # banned_phrase, signature_added, unsigned, too_long, empty, approval
    message: str
    blocking: bool = False
    start: int | None = None  # where in the final text (banned phrases)
    end: int | None = None


@dataclass(frozen=True)
class PolicyInput:
    """Everything the checks need, as plain values (so they are testable as a table)."""

    text: str
    channel: str
    agent_name: str  # the person's real name ('' when only an e-mail is known)
    signature: str  # the staff member's own signature, '' for none
    approver: bool  # managers and up approve, and are not queued themselves
    certified: bool
    mention_kind: str
    author_followers: int
    author_segment: str
    routed_approval: bool  # the routing rule said "require approval"
    max_chars: int | None  # the network's limit for public replies
    # From training: the certification level this reply needs (`certified` says whether the
    # person holds it), the modules still to take for it, and the current guidelines'
    # version when the person has not acknowledged it yet (blocks public replies).
    certificate_level: str = ""
    modules_to_take: tuple[str, ...] = ()
    guideline_version: int | None = None


@dataclass(frozen=True)
class PolicyCheck:
    text: str  # the text as it would be sent (signature added)
    findings: list[Finding] = field(default_factory=list)
    approval_reasons: list[str] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return any(finding.blocking for finding in self.findings)


def policy_evaluate(item: PolicyInput, *, policy: ResponsePolicy) -> PolicyCheck:
    """Apply the client's policy to a reply: banned phrases block, a public reply gets the
    agent's signature (and cannot go out unsigned), and says why it needs approval."""
    text = item.text.strip()
    findings: list[Finding] = []
    reasons: list[str] = []
    if not text:
        return PolicyCheck(text="", findings=[Finding("empty", "Write a reply first.", True)])
    public = item.channel == Channel.PUBLIC
    if public and policy.require_signature:
        signature = item.signature or item.agent_name
        if not signature:
            findings.append(
                Finding(
                    "unsigned",
                    "Public replies are signed by a named employee: add your name to your "
                    "profile (or a signature on the policy page) first.",
                    True,
                )
            )
        elif signature.casefold() not in text.casefold():
            text = f"{text}\n{DASH} {signature}"
            findings.append(Finding("signature_added", f"Signed “{DASH} {signature}” for you."))
    folded = text.casefold()
    for phrase in policy.banned_phrases:
        needle = phrase.casefold()
        start = folded.find(needle) if needle else -1
        while start >= 0:
            findings.append(
                Finding(
                    "banned_phrase",
                    f"“{phrase}” may not be used in replies.",
                    True,
                    start,
                    start + len(needle),
                )
            )
            start = folded.find(needle, start + len(needle))
    limit = item.max_chars if public else MAX_RESPONSE
    if limit is not None and len(text) > limit:
        where = "the network" if public else "Lotse"
        findings.append(
            Finding(
                "too_long",
                f"{len(text)} characters: {where} takes at most {limit} (signature included).",
                True,
            )
        )
    if public and item.guideline_version is not None:
        findings.append(
            Finding(
                "guidelines",
                f"Read and acknowledge the social media guidelines (version "
                f"{item.guideline_version}) before your next public reply: {GUIDELINES_URL}",
                True,
            )
        )
    if public and not item.approver:
        if policy.approval_uncertified and not item.certified:
            reasons.append(_uncertified_reason(item))
        if policy.approval_crisis and item.mention_kind == Kind.CRISIS:
            reasons.append("crisis mention")
        limit_followers = policy.approval_min_followers
        if limit_followers is not None and item.author_followers >= limit_followers:
            reasons.append(f"influential author ({item.author_followers:,} followers)")
        if item.author_segment and item.author_segment in policy.approval_segments:
            reasons.append(f"author is a {item.author_segment.replace('_', ' ')}")
        if item.routed_approval:
            reasons.append("the routing rule requires approval")
    if reasons:
        findings.append(
            Finding("approval", "Needs a manager's approval: " + "; ".join(reasons) + ".")
        )
    return PolicyCheck(text=text, findings=findings, approval_reasons=reasons)


def _uncertified_reason(item: PolicyInput) -> str:
    if not item.certificate_level:
        return "you are not certified to answer publicly yet"
    reason = f"you need the {item.certificate_level} certificate"
    if item.modules_to_take:
        reason += " (take " + ", ".join(f"“{title}”" for title in item.modules_to_take)
        reason += f" on {TRAINING_URL})"
    return reason


def public_reply_limit(mention: Mention) -> tuple[bool, int | None]:
    """Whether the mention's source can post replies, and its length limit."""
    try:
        cls = connector_class(mention.source.kind)
    except KeyError:
        return False, None
    return cls.supports_reply(), cls.reply_max_chars


def direct_message_supported(mention: Mention) -> bool:
    """Whether the mention's source can send its author a direct message from Lotse."""
    try:
        return connector_class(mention.source.kind).supports_direct_message()
    except KeyError:
        return False


def response_channels(mention: Mention) -> list[tuple[str, str]]:
    supported, _ = public_reply_limit(mention)
    dm = direct_message_supported(mention)
    channels = []
    for value, label in Channel.choices:
        if value == Channel.DM:
            label = "Direct message (sent from Lotse)" if dm else f"{label} (answered elsewhere)"
        if supported or value in ELSEWHERE:
            channels.append((value, label))
    return channels


def _sent_from_lotse(mention: Mention, channel: str) -> bool:
    """Public replies, and direct messages where the network takes them, go out through the
    source's connector; the other channels record an answer given elsewhere."""
    return channel == Channel.PUBLIC or (
        channel == Channel.DM and direct_message_supported(mention)
    )


def response_check(*, mention: Mention, text: str, channel: str, by: User) -> PolicyCheck:
    """What the composer shows before sending (nothing is stored)."""
    if channel not in Channel.values:
        raise DomainError(f"Unknown channel {channel!r}", fields={"channel": Channel.values})
    supported, max_chars = public_reply_limit(mention)
    if channel == Channel.PUBLIC and not supported:
        raise DomainError(
            f"{mention.source.name} cannot post replies; record it as answered elsewhere.",
            fields={"channel": ["public replies are not possible on this source"]},
        )
    if len(text) > MAX_RESPONSE * 2:
        raise DomainError(f"At most {MAX_RESPONSE} characters.", fields={"text": ["too long"]})
    role = membership_role_for(user=by, client=current_client())
    staff = staff_member_for(user_id=by.pk)
    rights = reply_rights_for(
        user_id=by.pk, mention_kind=mention.kind, author_segment=mention.author.segment
    )
    return policy_evaluate(
        PolicyInput(
            text=text,
            channel=channel,
            agent_name=by.name.strip(),
            signature=staff.signature if staff else "",
            approver=role_at_least(role, Role.MANAGER),
            certified=rights.certified,
            mention_kind=mention.kind,
            author_followers=mention.author.followers,
            author_segment=mention.author.segment,
            routed_approval=mention.requires_approval,
            max_chars=max_chars,
            certificate_level=rights.level,
            modules_to_take=tuple(rights.modules_to_take),
            guideline_version=rights.guideline_version,
        ),
        policy=response_policy_get(),
    )


# -- creating, approving, delivering -------------------------------------------------------
def _latest_answer(mention: Mention) -> Response | None:
    return (
        Response.objects.filter(mention=mention)
        .exclude(status=ResponseStatus.REJECTED)
        .order_by("-id")
        .first()
    )


def response_latest_id(*, mention: Mention, responses: list[Response] | None = None) -> int:
    """What the composer remembers: the newest response it has seen (0 for none). Given
    the mention's `responses` (all of them, as the page lists them), reads nothing."""
    if responses is not None:
        answers = (r.pk for r in responses if r.status != ResponseStatus.REJECTED)
        return max(answers, default=0)
    latest = _latest_answer(mention)
    return latest.pk if latest else 0


def _check_collision(
    mention: Mention, *, seen_response_id: int | None, by: User, only_answers: bool = False
) -> None:
    """Someone else answered (or is answering) since the composer was opened (or, for an
    approval, since the reply was written)."""
    if seen_response_id is None:
        return
    later = Response.objects.filter(mention=mention, pk__gt=seen_response_id).exclude(
        author_id=by.pk
    )
    if only_answers:
        later = later.filter(status__in=ANSWERING)
    latest = later.exclude(status=ResponseStatus.REJECTED).order_by("-id").first()
    if latest is None:
        return
    when = latest.sent_at or latest.created_at
    what = {
        ResponseStatus.PENDING_APPROVAL: "wrote a reply that waits for approval",
        ResponseStatus.QUEUED: "is sending a reply",
        ResponseStatus.SENDING: "is sending a reply",
        ResponseStatus.FAILED: "tried to send a reply",
    }.get(ResponseStatus(latest.status), "answered")
    raise Conflict(
        f"{latest.author_name} {what} at {when:%Y-%m-%d %H:%M} UTC "
        + (
            "after this reply was written. Approve it anyway?"
            if only_answers
            else "since you opened this mention. Send yours anyway?"
        ),
        fields={
            "answered_by": [latest.author_name],
            "answered_at": [when.isoformat()],
            "latest_response_id": [str(latest.pk)],
        },
    )


@transaction.atomic
def response_create(
    *,
    mention: Mention,
    text: str,
    channel: str,
    by: User,
    seen_response_id: int | None = None,
    confirm: bool = False,
    notify_approvers: bool = True,
) -> Response:
    """Check and store a reply. Public replies go to the approval queue when the policy
    says so (approvers are told, unless the caller tells them itself), else to the network
    through a worker; other channels are recorded as answered."""
    _require_role(by, Role.RESPONDER, "respond")
    if len(text) > MAX_RESPONSE * 2:
        raise DomainError(f"At most {MAX_RESPONSE} characters.", fields={"text": ["too long"]})
    check = response_check(mention=mention, text=text, channel=channel, by=by)
    if check.blocked:
        raise DomainError(
            "The reply breaks the client's response policy.",
            fields={"text": [f.message for f in check.findings if f.blocking]},
        )
    mention = _mention_lock(mention)  # one reply decision at a time per mention
    if not confirm:
        _check_collision(mention, seen_response_id=seen_response_id, by=by)
    now = timezone.now()
    if not _sent_from_lotse(mention, channel):
        status = ResponseStatus.RECORDED
    elif check.approval_reasons:
        status = ResponseStatus.PENDING_APPROVAL
    else:
        status = ResponseStatus.QUEUED
    response = Response.objects.create(
        mention=mention,
        channel=channel,
        text=check.text,
        status=status,
        author_id=by.pk,
        author_name=by.display_name,
        approval_reasons=check.approval_reasons,
        created_at=now,
    )
    label = Channel(channel).label.split(" (")[0].lower()
    audit_record(
        actor=by,
        action="response.created",
        target_type="mention",
        target_id=mention.pk,
        summary=f"{label.capitalize()} on mention {mention.pk}: "
        + {
            ResponseStatus.RECORDED: "recorded as answered elsewhere",
            ResponseStatus.PENDING_APPROVAL: "waits for approval",
            ResponseStatus.QUEUED: "queued for sending",
        }[status],
        after={
            "response_id": response.pk,
            "channel": channel,
            "status": status,
            "text": response.text[:2000],
            "approval_reasons": check.approval_reasons,
        },
    )
    if status == ResponseStatus.RECORDED:
        _answered(response, mention=mention, at=now)
    elif status == ResponseStatus.QUEUED:
        _enqueue(response)
    elif notify_approvers:
        approvers_notify(
            text=f"{by.display_name}'s reply on mention {mention.pk} waits for your approval",
            link=f"/responses/approvals/#approval-{response.pk}",
            by=by,
        )
    events.responses_broadcast(mention=mention, responses=[response])
    return response


def approvers_notify(*, text: str, link: str, by: User) -> int:
    """Tell everyone who may approve replies here (managers and up, the writer left out)
    that a reply waits: an in-app notice, live on their badge. Returns how many."""
    approvers = [
        person
        for person in client_members(client=current_client(), min_role=Role.MANAGER)
        if person.pk != by.pk
    ]
    for person in approvers:
        notification_create(user_id=int(person.pk), text=text, link=link)
    return len(approvers)


def _enqueue(response: Response) -> None:
    schema, response_id = current_schema(), response.pk
    transaction.on_commit(
        lambda: task_send("mentions.response_deliver", schema, response_id), robust=True
    )


def _answered(response: Response, *, mention: Mention, at: datetime) -> None:
    """The mention got an answer: first response (SLA) and response time, status responded.
    `mention` must be locked by the caller."""
    response.sent_at = at
    response.response_seconds = max(0, int((at - mention.received_at).total_seconds()))
    response.is_first = not Response.objects.filter(mention=mention, is_first=True).exists()
    response.save(update_fields=["sent_at", "response_seconds", "is_first"])
    fields = mention_sla_on_status(
        mention=mention, old=mention.status, new=Status.RESPONDED, now=at
    )
    if mention.status not in (Status.RESPONDED, Status.RESOLVED):
        mention.status = Status.RESPONDED
        fields.append("status")
    if fields:
        _mention_save(mention, fields)


def _notify(user_id: int, text: str, mention_id: int) -> None:
    Notification.objects.create(
        user_id=user_id, text=text[:500], link=f"/mentions/{mention_id}/#responses"
    )


def _response_lock(response: Response) -> Response:
    return Response.objects.select_for_update().select_related("mention").get(pk=response.pk)


@transaction.atomic
def response_approve(
    *, response: Response, by: User, confirm: bool = False, text: str | None = None
) -> Response:
    """A manager approves a reply waiting for approval: it is sent. With `text`, the
    approver's edit is sent instead; the author's text is kept (`original_text`) and both
    are audited. When the mention was answered since the reply was written, 409 unless
    `confirm`."""
    _require_role(by, Role.MANAGER, "approve replies")
    response = _response_lock(response)
    if response.status != ResponseStatus.PENDING_APPROVAL:
        raise Conflict(
            f"This reply is no longer waiting for approval (it is {response.get_status_display()}"
            f"{', by ' + response.decided_by_name if response.decided_by_name else ''}).",
        )
    edited = False
    if text is not None:
        # Browsers submit a textarea's line breaks as CRLF; the reply was stored with LF.
        text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if text is not None and text != response.text.strip():
        _response_edit(response, text=text, by=by)
        edited = True
    # The policy may have changed while the reply waited: a phrase banned since still blocks.
    banned = [
        phrase
        for phrase in response_policy_get().banned_phrases
        if phrase and phrase.casefold() in response.text.casefold()
    ]
    if banned:
        raise DomainError(
            "The reply breaks the client's response policy as it stands now; reject it and "
            "ask for a new one.",
            fields={"text": [f"“{phrase}” may not be used in replies." for phrase in banned]},
        )
    if not confirm:
        _check_collision(response.mention, seen_response_id=response.pk, by=by, only_answers=True)
    response.status = ResponseStatus.QUEUED
    response.decided_by_id = by.pk
    response.decided_by_name = by.display_name
    response.decided_at = timezone.now()
    response.save(
        update_fields=[
            "status",
            "decided_by_id",
            "decided_by_name",
            "decided_at",
            "text",
            "original_text",
        ]
    )
    audit_record(
        actor=by,
        action="response.approved",
        target_type="mention",
        target_id=response.mention_id,
        summary=f"Approved {response.author_name}'s reply on mention {response.mention_id}"
        + (" with changes" if edited else ""),
        before={"response_id": response.pk, "status": ResponseStatus.PENDING_APPROVAL},
        after={"response_id": response.pk, "status": response.status, "edited": edited},
    )
    if response.author_id != by.pk:
        _notify(
            response.author_id,
            f"{by.display_name} {'edited and approved' if edited else 'approved'} your reply "
            f"on mention {response.mention_id}",
            response.mention_id,
        )
    _enqueue(response)
    events.responses_broadcast(mention=response.mention, responses=[response])
    return response


def _response_edit(response: Response, *, text: str, by: User) -> None:
    """The approver's wording replaces the author's (kept once, as first written); audited
    with both texts. The caller saves and checks the policy on the new text."""
    if not text:
        raise DomainError("The reply cannot be empty.", fields={"text": ["required"]})
    if len(text) > MAX_RESPONSE * 2:
        raise DomainError(f"At most {MAX_RESPONSE} characters.", fields={"text": ["too long"]})
    before = response.text
    if not response.original_text:
        response.original_text = before
    response.text = text
    audit_record(
        actor=by,
        action="response.edited",
        target_type="mention",
        target_id=response.mention_id,
        summary=f"{by.display_name} edited {response.author_name}'s reply on mention "
        f"{response.mention_id} before approving it",
        before={"response_id": response.pk, "text": before[:4000]},
        after={
            "response_id": response.pk,
            "text": text[:4000],
            "original_text": response.original_text[:4000],
        },
    )


@transaction.atomic
def response_reject(*, response: Response, by: User, reason: str) -> Response:
    _require_role(by, Role.MANAGER, "reject replies")
    reason = reason.strip()
    if not reason:
        raise DomainError("Say why, so the author can fix it.", fields={"reason": ["required"]})
    if len(reason) > MAX_REASON:
        raise DomainError(f"At most {MAX_REASON} characters.", fields={"reason": ["too long"]})
    response = _response_lock(response)
    if response.status != ResponseStatus.PENDING_APPROVAL:
        raise Conflict(
            f"This reply is no longer waiting for approval (it is {response.get_status_display()})."
        )
    response.status = ResponseStatus.REJECTED
    response.decided_by_id = by.pk
    response.decided_by_name = by.display_name
    response.decided_at = timezone.now()
    response.reject_reason = reason
    response.save(
        update_fields=["status", "decided_by_id", "decided_by_name", "decided_at", "reject_reason"]
    )
    audit_record(
        actor=by,
        action="response.rejected",
        target_type="mention",
        target_id=response.mention_id,
        summary=f"Rejected {response.author_name}'s reply on mention {response.mention_id}",
        before={"response_id": response.pk, "status": ResponseStatus.PENDING_APPROVAL},
        after={"response_id": response.pk, "status": response.status, "reason": reason},
    )
    if response.author_id != by.pk:
        _notify(
            response.author_id,
            f"{by.display_name} rejected your reply on mention {response.mention_id}: {reason}",
            response.mention_id,
        )
    events.responses_broadcast(mention=response.mention, responses=[response])
    return response


@transaction.atomic
def response_retry(*, response: Response, by: User) -> Response:
    """Send a failed reply again (the network sees the same idempotency key)."""
    _require_role(by, Role.RESPONDER, "send replies")
    response = _response_lock(response)
    stuck = response_is_stuck(response, now=timezone.now())
    if response.status != ResponseStatus.FAILED and not stuck:
        raise Conflict(f"Only failed replies can be retried (this one is {response.status}).")
    response.status = ResponseStatus.QUEUED
    response.save(update_fields=["status"])
    audit_record(
        actor=by,
        action="response.retried",
        target_type="mention",
        target_id=response.mention_id,
        summary=f"Retried sending the reply on mention {response.mention_id}",
        after={"response_id": response.pk, "attempt": response.attempts + 1},
    )
    _enqueue(response)
    events.responses_broadcast(mention=response.mention, responses=[response])
    return response


STALE_SENDING = timedelta(minutes=10)


def _may_send(response: Response, *, now: datetime) -> bool:
    """Queued replies are sent; one stuck in "sending" (its worker died after the network
    call began) only after a while, and the network sees the same idempotency key."""
    if response.status == ResponseStatus.QUEUED:
        return True
    return (
        response.status == ResponseStatus.SENDING
        and response.sending_at is not None
        and response.sending_at < now - STALE_SENDING
    )


def response_is_stuck(response: Response, *, now: datetime) -> bool:
    return response.status == ResponseStatus.SENDING and _may_send(response, now=now)


def response_deliver(*, response_id: int) -> Response | None:
    """Post a queued reply through the source's connector (the network call runs outside
    any transaction). Idempotent: only queued replies are sent."""
    with transaction.atomic():
        response = (
            Response.objects.select_for_update(of=("self",))
            .select_related("mention__source", "mention__author")
            .filter(pk=response_id)
            .first()
        )
        if response is None or not _may_send(response, now=timezone.now()):
            return response
        response.status = ResponseStatus.SENDING
        response.attempts += 1
        response.sending_at = timezone.now()
        response.save(update_fields=["status", "attempts", "sending_at"])
    mention = response.mention
    error = ""
    posted = None
    try:
        with SafeHttpClient() as http:
            connector = connector_for_source(source=mention.source, http=http)
            if response.channel == Channel.DM:
                posted = connector.send_direct_message(
                    author_handle=mention.author.handle, mention_raw=mention.raw, text=response.text
                )
            else:
                posted = connector.post_reply(in_reply_to=mention.external_id, text=response.text)
    except ConnectorError as exc:
        error = str(exc)[:1000] or exc.__class__.__name__
    except KeyError:
        error = f"No connector can post replies on {mention.source.name}"
    except ImproperlyConfigured as exc:  # e.g. credentials encrypted with a retired key
        error = f"The source's setup is broken: {exc}"[:1000]
    with transaction.atomic():
        response = _response_lock(response)
        locked = _mention_lock(mention)
        author = User.objects.filter(pk=response.author_id).first()
        if posted is not None:
            response.status = ResponseStatus.SENT
            response.external_id = posted.external_id[:300]
            response.external_url = posted.url
            response.error = ""
            response.save(update_fields=["status", "external_id", "external_url", "error"])
            _answered(response, mention=locked, at=timezone.now())
            audit_record(
                actor=author,
                action="response.sent",
                target_type="mention",
                target_id=locked.pk,
                summary=(
                    f"Sent a direct message on mention {locked.pk} ({mention.source.name})"
                    if response.channel == Channel.DM
                    else f"Replied publicly on mention {locked.pk} ({mention.source.name})"
                ),
                after={
                    "response_id": response.pk,
                    "external_id": response.external_id,
                    "url": response.external_url,
                },
            )
        else:
            response.status = ResponseStatus.FAILED
            response.error = error
            response.save(update_fields=["status", "error"])
            audit_record(
                actor=author,
                action="response.failed",
                target_type="mention",
                target_id=locked.pk,
                summary=f"Could not send the reply on mention {locked.pk}: {error}",
                after={"response_id": response.pk, "attempt": response.attempts},
            )
            _notify(
                response.author_id,
                f"Your reply on mention {locked.pk} could not be sent: {error}",
                locked.pk,
            )
        events.responses_broadcast(mention=locked, responses=[response])
    return response


# -- answering a problem cluster at once ---------------------------------------------------
MAX_CLUSTER_ANSWERS = 1_000


@dataclass
class ClusterAnswer:
    """What one reply to a whole problem cluster did, member by member."""

    answered: list[int] = field(default_factory=list)
    pending_approval: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    resolved: int = 0


def cluster_respond(
    *, cluster: Any, text: str, channel: str, by: User, resolve: bool = False
) -> ClusterAnswer:
    """Send one reply (variables filled per report) to every open report of a problem
    cluster the person may see and nobody has answered yet. Each reply goes through the
    same policy checks, approval and delivery as a single one; a report where it cannot go
    (the network takes no replies, the policy blocks it) is skipped with the reason. With
    `resolve`, the answered reports are resolved afterwards (not those awaiting approval)."""

    _require_role(by, Role.RESPONDER, "respond")
    if not text.strip():
        raise DomainError("Write a reply first.", fields={"text": ["required"]})
    client = current_client()
    members = list(
        cluster_members_for_user(user=by, cluster=cluster)
        .exclude(status__in=(Status.RESOLVED, Status.IGNORED))
        .select_related("author", "source")
        .order_by("id")[:MAX_CLUSTER_ANSWERS]
    )
    # Answered already (by anyone, in any way but a rejected reply): one query for all.
    answered = set(
        Response.objects.filter(mention_id__in=[m.pk for m in members])
        .exclude(status=ResponseStatus.REJECTED)
        .values_list("mention_id", flat=True)
    )
    outcome = ClusterAnswer()
    for mention in members:
        if mention.pk in answered:
            outcome.skipped.append((mention.pk, "already answered"))
            continue
        personal = variables_fill(text, mention=mention, agent=by, client=client)
        try:
            with transaction.atomic():
                response = response_create(
                    mention=mention,
                    text=personal,
                    channel=channel,
                    by=by,
                    confirm=True,
                    notify_approvers=False,
                )
        except DomainError as error:
            outcome.skipped.append((mention.pk, error.message))
            continue
        if response.status == ResponseStatus.PENDING_APPROVAL:
            outcome.pending_approval.append(mention.pk)
        else:
            outcome.answered.append(mention.pk)
    if outcome.pending_approval:
        count = len(outcome.pending_approval)
        approvers_notify(
            text=f"{by.display_name}'s {count} repl{'y' if count == 1 else 'ies'} to problem "
            f"case {cluster.pk} wait for your approval",
            link="/responses/approvals/",
            by=by,
        )
    if resolve and outcome.answered:
        outcome.resolved = mentions_bulk(
            mention_ids=outcome.answered, action="resolved", by=by
        ).changed
    audit_record(
        actor=by,
        action="cluster.answered",
        target_type="cluster",
        target_id=cluster.pk,
        summary=(
            f"Answered problem case {cluster.pk}: {len(outcome.answered)} answered, "
            f"{len(outcome.pending_approval)} awaiting approval, {len(outcome.skipped)} skipped"
        ),
        after={
            "channel": channel,
            "answered": outcome.answered,
            "pending_approval": outcome.pending_approval,
            "skipped": [mention_id for mention_id, _ in outcome.skipped],
            "resolved": outcome.resolved,
        },
    )
    return outcome
