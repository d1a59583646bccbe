"""Saved inbox views: a person's named filters + sort + search, one default, shareable
with a team. Reads and writes in one place; the inbox page and the sidebar call these."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.models import Role, User
from accounts.selectors import membership_role_for, role_at_least
from config.errors import DomainError
from config.tenancy import current_client_or_none
from mentions.models import SavedView, Segment, Status
from mentions.search import search_parse
from mentions.selectors import DEFAULT_SORT, SORTS
from routing.models import Team
from routing.selectors import team_get, team_list

# The inbox parameters a view keeps, in the order they are written into its link.
VIEW_PARAMS: Final = ("status", "department", "segment", "sort", "q")
VIEW_STATUSES: Final = ("open", "all", *Status.values)
MAX_VIEWS: Final = 50
_SLUG: Final = re.compile(r"[a-z0-9-]{1,50}")


def _role(user: User) -> str:
    client = current_client_or_none()
    role = membership_role_for(user=user, client=client) if client is not None else None
    if role is None:
        raise Http404("No such view")
    return role


def _team_ids(user: User) -> QuerySet[Team, Any]:
    """The ids of the person's teams, as a subquery (no query of its own)."""
    return Team.objects.filter(members__user_id=int(user.pk or 0)).values("pk")


def saved_view_params_clean(params: Mapping[str, Any]) -> dict[str, str]:
    """The inbox parameters worth keeping, checked; raises DomainError by field."""
    clean: dict[str, str] = {}
    errors: dict[str, list[str]] = {}
    for name in VIEW_PARAMS:
        value = str(params.get(name) or "").strip()
        if not value:
            continue
        if name == "status" and value not in VIEW_STATUSES:
            errors[name] = [f"one of: {', '.join(VIEW_STATUSES)}"]
        elif name == "department" and not _SLUG.fullmatch(value):
            errors[name] = ["a department slug"]
        elif name == "segment" and value not in Segment.values:
            errors[name] = [f"one of: {', '.join(Segment.values)}"]
        elif name == "sort" and value not in SORTS:
            errors[name] = [f"one of: {', '.join(SORTS)}"]
        elif name == "q":
            search_parse(text=value)  # a search that cannot be read is not saved
        clean[name] = value
    if errors:
        raise DomainError("This view cannot be saved.", fields=errors)
    if clean.get("sort") == DEFAULT_SORT:
        del clean["sort"]
    return clean


def saved_view_query(view: SavedView) -> str:
    """The inbox query string of a view (without the leading `?`)."""
    return urlencode([(name, view.params[name]) for name in VIEW_PARAMS if view.params.get(name)])


def saved_view_teams_for_user(*, user: User) -> QuerySet[Team]:
    """The teams a person may share a view with: their own; every team for managers."""
    if role_at_least(_role(user), Role.MANAGER):
        return team_list()
    return team_list().filter(pk__in=_team_ids(user))


def saved_view_list_for_user(*, user: User) -> list[SavedView]:
    """The person's own views, then those shared with a team they are in, by name."""
    _role(user)
    owner_id = int(user.pk or 0)
    views = SavedView.objects.select_related("team").filter(
        Q(owner_id=owner_id) | Q(team_id__in=_team_ids(user))
    )
    return sorted(views, key=lambda v: (v.owner_id != owner_id, v.name.casefold(), v.pk))


def saved_view_get_for_user(*, user: User, view_id: int) -> SavedView:
    """A view the person owns or that is shared with their team (404 otherwise)."""
    for view in saved_view_list_for_user(user=user):
        if view.pk == view_id:
            return view
    raise Http404("No such view")


def saved_view_default_among(*, views: list[SavedView], user: User) -> SavedView | None:
    """The person's default view among `views` (from `saved_view_list_for_user`): the
    inbox reads its views once for the sidebar and the default."""
    owner_id = int(user.pk or 0)
    return next((v for v in views if v.owner_id == owner_id and v.is_default), None)


def _owned(*, user: User, view_id: int) -> SavedView:
    _role(user)
    view = SavedView.objects.filter(pk=view_id, owner_id=int(user.pk or 0)).first()
    if view is None:
        raise Http404("No such view")
    return view


@transaction.atomic
def saved_view_create(
    *,
    user: User,
    name: str,
    params: Mapping[str, Any],
    is_default: bool = False,
    team_id: int | None = None,
) -> SavedView:
    """Save the inbox's current filters, sort and search under a name (replacing the
    person's view of that name), optionally as their default and shared with a team."""
    _role(user)
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise DomainError("Give the view a name.", fields={"name": ["1 to 80 characters"]})
    clean = saved_view_params_clean(params)
    team = None
    if team_id is not None:
        team = team_get(team_id=team_id)
        if team is None or not saved_view_teams_for_user(user=user).filter(pk=team_id).exists():
            raise DomainError(
                "You can share a view only with a team you are in.",
                fields={"team": ["not one of your teams"]},
            )
    owner_id = int(user.pk or 0)
    if SavedView.objects.filter(owner_id=owner_id).exclude(name=name).count() >= MAX_VIEWS:
        raise DomainError(f"You can keep at most {MAX_VIEWS} views; delete one first.")
    if is_default:
        SavedView.objects.filter(owner_id=owner_id, is_default=True).update(is_default=False)
    try:
        view, _ = SavedView.objects.update_or_create(
            owner_id=owner_id,
            name=name,
            defaults={
                "owner_name": user.display_name,
                "params": clean,
                "is_default": is_default,
                "team": team,
            },
        )
    except IntegrityError as exc:  # a concurrent save of the same name or default
        raise DomainError("The view changed meanwhile; try again.") from exc
    return view


@transaction.atomic
def saved_view_set_default(*, user: User, view_id: int, is_default: bool = True) -> SavedView:
    """Make one of the person's views their default (or no longer)."""
    view = _owned(user=user, view_id=view_id)
    if is_default:
        SavedView.objects.filter(owner_id=view.owner_id, is_default=True).exclude(
            pk=view.pk
        ).update(is_default=False)
    view.is_default = is_default
    view.save(update_fields=["is_default"])
    return view


def saved_view_delete(*, user: User, view_id: int) -> None:
    """Delete one of the person's views (a view shared with them is not theirs to delete)."""
    _owned(user=user, view_id=view_id).delete()
