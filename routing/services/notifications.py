"""In-app notifications: created for one person, pushed live to their open pages, read."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from routing import events
from routing.models import Notification
from routing.selectors import notification_unread_count

MAX_MARK = 500


def notification_create(*, user_id: int, text: str, link: str = "") -> Notification:
    """Notify one person in the current client; their unread badge updates live."""
    notification = Notification.objects.create(user_id=user_id, text=text[:500], link=link[:300])
    events.notification_broadcast(
        notification=notification, unread=notification_unread_count(user_id=user_id)
    )
    return notification


@transaction.atomic
def notifications_mark_read(*, user_id: int, ids: list[int] | None = None) -> int:
    """Mark the person's unread notifications read (all, or those of `ids`); returns how
    many changed. Other people's ids are ignored, never an error that would reveal them."""
    unread = Notification.objects.filter(user_id=user_id, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids[:MAX_MARK])
    changed = unread.update(read_at=timezone.now())
    if changed:
        events.notifications_read_broadcast(
            user_id=user_id, unread=notification_unread_count(user_id=user_id)
        )
    return changed
