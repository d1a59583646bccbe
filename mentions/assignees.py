"""Choosing a colleague for a mention by hand: who may take it (responder or above, and
able to see it: staff limited to departments see only theirs), with their open load and
whether they are on shift now, for the manager's typeahead and the API."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Role, User
from accounts.selectors import (
    client_members,
    membership_role_for,
    membership_roles_for,
    role_at_least,
)
from config.tenancy import current_client
from mentions.models import Mention
from mentions.selectors import mentions_open_load
from routing.services.assignment import StaffState, staff_states

MAX_ASSIGNEES = 20


@dataclass(frozen=True)
class Assignee:
    user_id: int
    name: str
    email: str
    role: str
    open_load: int
    max_open: int | None  # None: no staff entry, no limit set
    on_shift: bool | None  # None: no staff entry (not scheduled)

    @property
    def label(self) -> str:
        shift = {True: "on shift", False: "off shift", None: "no shift plan"}[self.on_shift]
        load = f"{self.open_load} open" + (f" of {self.max_open}" if self.max_open else "")
        return f"{self.name} · {load} · {shift}"


def _sees(mention: Mention, *, role: str | None, state: StaffState | None) -> bool:
    if not role_at_least(role, Role.RESPONDER):
        return False
    if role_at_least(role, Role.MANAGER) or state is None or state.departments is None:
        return True
    allowed = state.departments
    return mention.department_id in allowed or bool(allowed & set(mention.copied_to or ()))


def mention_may_take(*, mention: Mention, user: User) -> bool:
    """Whether `user` may be given `mention`: a responder or above here who sees it."""
    role = membership_role_for(user=user, client=current_client())
    states = staff_states(user_ids={int(user.pk)})
    return _sees(mention, role=role, state=states.get(int(user.pk)))


def mention_assignees(
    *, mention: Mention, query: str = "", limit: int = MAX_ASSIGNEES
) -> list[Assignee]:
    """Colleagues who may take `mention`, matching `query` (name or e-mail, any part), on
    shift first, then the least loaded, then by name."""
    client = current_client()
    query = " ".join(query.split()).casefold()[:100]
    people = [
        user
        for user in client_members(client=client, min_role=Role.RESPONDER)
        if not query or query in user.display_name.casefold() or query in user.email.casefold()
    ]
    ids = {int(user.pk) for user in people}
    states = staff_states(user_ids=ids)
    loads = mentions_open_load(user_ids=ids)
    roles = membership_roles_for(users=people, client=client)
    chosen = []
    for user in people:
        role = roles.get(int(user.pk))
        state = states.get(int(user.pk))
        if not _sees(mention, role=role, state=state):
            continue
        chosen.append(
            Assignee(
                user_id=int(user.pk),
                name=user.display_name,
                email=user.email,
                role=str(role),
                open_load=loads.get(int(user.pk), 0),
                max_open=state.max_open if state else None,
                on_shift=state.on_shift if state else None,
            )
        )
    chosen.sort(key=lambda a: (a.on_shift is False, a.open_load, a.name.casefold()))
    return chosen[:limit]
