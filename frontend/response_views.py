"""Pages for responses: the composer on the mention page, the approval queue, saved
replies and the client's response policy with staff certification."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.audit.selectors import audit_list
from accounts.models import Role, User
from accounts.selectors import client_member_get, client_members, role_at_least
from config.errors import Conflict, DomainError
from config.tenancy import current_client
from frontend.access import client_member_required
from frontend.params import form_int
from mentions.models import Mention, ResponseStatus
from mentions.responses import (
    response_approve,
    response_channels,
    response_create,
    response_is_stuck,
    response_latest_id,
    response_reject,
    response_retry,
    saved_reply_create,
    saved_reply_delete,
    saved_reply_update,
    variables_fill,
)
from mentions.selectors import (
    answers_since,
    approval_queue_for_user,
    mention_get_for_user,
    mention_thread,
    response_get_for_user,
    response_list_for_mention,
    saved_reply_get,
    saved_reply_list,
)
from routing.selectors import staff_by_user_id
from routing.services.matrix import SEGMENTS
from routing.services.policy import response_policy_get, response_policy_update
from routing.training.services import staff_certification_set


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def composer_context(request: HttpRequest, mention: Mention) -> dict[str, Any]:
    """What `frontend/_composer.html` shows: the responses so far and, for responders, the
    composer with saved replies (variables filled in) and the channels this source allows."""
    can_respond = role_at_least(request.lotse_role, Role.RESPONDER)  # type: ignore[attr-defined]
    now = timezone.now()
    responses = list(response_list_for_mention(mention=mention))
    for response in responses:
        response.stuck = response_is_stuck(response, now=now)  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "responses": responses,
        "can_respond": can_respond,
    }
    if can_respond:
        client = current_client()
        context["saved_replies"] = [
            {
                "id": reply.pk,
                "title": reply.title,
                "language": reply.language,
                "text": variables_fill(
                    reply.text, mention=mention, agent=_user(request), client=client
                ),
            }
            for reply in saved_reply_list(language=mention.language or None)
        ]
        context["channels"] = response_channels(mention)
        context["seen_response_id"] = response_latest_id(mention=mention, responses=responses)
    return context


@require_POST
@client_member_required(Role.RESPONDER)
def mention_respond(request: HttpRequest, pk: int) -> HttpResponse:
    mention = mention_get_for_user(user=_user(request), mention_id=pk)
    text = request.POST.get("text", "")
    channel = request.POST.get("channel", "")
    seen = request.POST.get("seen_response_id", "")
    try:
        response = response_create(
            mention=mention,
            text=text,
            channel=channel,
            by=_user(request),
            seen_response_id=form_int(seen),
            confirm=request.POST.get("confirm") == "1",
        )
    except DomainError as exc:
        # Keep the draft; say what is wrong (or who answered meanwhile) next to it.
        parent, replies = mention_thread(mention=mention)
        context = {
            "mention": mention,
            "parent": parent,
            "replies": replies,
            "notes": list(mention.notes.all()),
            "can_act": True,
            **composer_context(request, mention),
            "draft_text": text,
            "draft_channel": channel,
        }
        if isinstance(exc, Conflict):
            context["response_conflict"] = exc.message
        else:
            context["response_errors"] = [exc.message] + [
                m for ms in exc.fields.values() for m in ms
            ]
        return render(request, "frontend/mention.html", context, status=exc.status_code)
    done = {
        ResponseStatus.PENDING_APPROVAL: "Your reply waits for a manager's approval.",
        ResponseStatus.QUEUED: "Your reply is being sent.",
        ResponseStatus.RECORDED: "Recorded as answered.",
    }
    messages.success(request, done.get(ResponseStatus(response.status), "Saved."))
    return redirect(f"/mentions/{mention.pk}/#response-{response.pk}")


def _back(request: HttpRequest, fallback: str) -> str:
    back = request.POST.get("next", "")
    safe = back.startswith("/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    )
    return back if safe else fallback


@require_POST
@client_member_required(Role.RESPONDER)
def response_action(request: HttpRequest, pk: int) -> HttpResponse:
    response = response_get_for_user(user=_user(request), response_id=pk)
    action = request.POST.get("action", "")
    back = _back(request, f"/mentions/{response.mention_id}/#response-{response.pk}")
    try:
        if action == "approve":
            approved = response_approve(
                response=response,
                by=_user(request),
                confirm=request.POST.get("confirm") == "1",
                text=request.POST.get("text"),
            )
            messages.success(
                request,
                "Approved with your changes: the reply is being sent."
                if approved.original_text
                else "Approved: the reply is being sent.",
            )
        elif action == "reject":
            response_reject(
                response=response, by=_user(request), reason=request.POST.get("reason", "")
            )
            messages.success(request, "Rejected; the author has been told why.")
        elif action == "retry":
            response_retry(response=response, by=_user(request))
            messages.success(request, "Sending again.")
        else:
            return HttpResponse("Unknown action", status=400, content_type="text/plain")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(back)


@client_member_required(Role.RESPONDER)
def approvals_page(request: HttpRequest) -> HttpResponse:
    pending = list(approval_queue_for_user(user=_user(request))[:200])
    meanwhile = answers_since(responses=pending)
    for response in pending:
        response.answered_meanwhile = meanwhile.get(response.pk)  # type: ignore[attr-defined]
    return render(
        request,
        "frontend/approvals.html",
        {
            "pending": pending,
            "can_approve": role_at_least(request.lotse_role, Role.MANAGER),  # type: ignore[attr-defined]
        },
    )


@client_member_required(Role.RESPONDER)
def saved_replies_page(request: HttpRequest) -> HttpResponse:
    can_edit = role_at_least(request.lotse_role, Role.MANAGER)  # type: ignore[attr-defined]
    errors: dict[str, list[str]] = {}
    form: dict[str, str] = {}
    if request.method == "POST":
        if not can_edit:
            return render(request, "frontend/forbidden.html", {"needs": Role.MANAGER}, status=403)
        action = request.POST.get("action", "save")
        reply_id = request.POST.get("id", "")
        form = {name: request.POST.get(name, "") for name in ("title", "text", "language")}
        try:
            number = form_int(reply_id)
            reply = saved_reply_get(reply_id=number) if number is not None else None
            if action == "delete" and reply is not None:
                saved_reply_delete(reply=reply, by=_user(request))
                messages.success(request, f"Deleted “{reply.title}”.")
            elif reply is not None:
                saved_reply_update(reply=reply, data=form, by=_user(request))
                messages.success(request, f"Saved “{reply.title}”.")
            else:
                reply = saved_reply_create(data=form, by=_user(request))
                messages.success(request, f"Added “{reply.title}”.")
            return redirect("saved-replies")
        except DomainError as exc:
            errors = {"page": [exc.message], **exc.fields}
        except Http404:
            errors = {"page": ["That saved reply was deleted meanwhile."]}
    return render(
        request,
        "frontend/saved_replies.html",
        {"replies": saved_reply_list(), "can_edit": can_edit, "errors": errors, "form": form},
        status=400 if errors else 200,
    )


@client_member_required(Role.MANAGER)
def response_policy_page(request: HttpRequest) -> HttpResponse:
    can_edit = role_at_least(request.lotse_role, Role.CLIENT_ADMIN)  # type: ignore[attr-defined]
    errors: list[str] = []
    if request.method == "POST":
        if not can_edit:
            return render(
                request, "frontend/forbidden.html", {"needs": Role.CLIENT_ADMIN}, status=403
            )
        try:
            if request.POST.get("form") == "staff":
                member = client_member_get(
                    client=current_client(), user_id=int(request.POST.get("user_id", "0") or 0)
                )
                if member is None:
                    raise DomainError("No such member of this client.")
                staff_certification_set(
                    user=member,
                    certified=request.POST.get("certified") == "on",
                    signature=request.POST.get("signature", ""),
                    by=_user(request),
                )
                messages.success(request, f"Saved {member.display_name}.")
            else:
                followers = request.POST.get("approval_min_followers", "").strip()
                if followers and form_int(followers) is None:
                    raise DomainError("Followers: a whole number, or empty for no limit.")
                response_policy_update(
                    changes={
                        "banned_phrases": request.POST.get("banned_phrases", "").splitlines(),
                        "require_signature": request.POST.get("require_signature") == "on",
                        "approval_uncertified": request.POST.get("approval_uncertified") == "on",
                        "approval_crisis": request.POST.get("approval_crisis") == "on",
                        "approval_min_followers": form_int(followers),
                        "approval_segments": request.POST.getlist("approval_segments"),
                    },
                    by=_user(request),
                )
                messages.success(request, "Saved the response policy.")
            return redirect("response-policy")
        except (DomainError, ValueError) as exc:
            errors = [getattr(exc, "message", str(exc))]
    staff = staff_by_user_id()
    people = [
        {"user": user, "staff": staff.get(user.pk)}
        for user in client_members(client=current_client(), min_role=Role.RESPONDER)
    ]
    policy = response_policy_get()
    return render(
        request,
        "frontend/response_policy.html",
        {
            "policy": policy,
            "segments": [(s, s.replace("_", " ")) for s in SEGMENTS if s != "regular"],
            "banned_text": "\n".join(policy.banned_phrases),
            "people": people,
            "can_edit": can_edit,
            "errors": errors,
            "history": sorted(
                [
                    *audit_list(target_type="response_policy")[:10],
                    *audit_list(target_type="staff")[:10],
                ],
                key=lambda entry: entry.pk,
                reverse=True,
            ),
        },
        status=400 if errors else 200,
    )
