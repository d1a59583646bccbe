"""What is pushed live about routing: a person's notifications (to that person only).

Event shapes (checked by tests):
`{"type": "notification.created", "notification": {id, text, link, created_at}, "unread": n}`
and `{"type": "notifications.read", "unread": n}`, sent to the user's own group in the client
that owns the notification.
"""

from __future__ import annotations

from config.live import live_send_to_user_on_commit
from config.tenancy import current_client
from routing.models import Notification

NOTIFICATION_CREATED = "notification.created"
NOTIFICATIONS_READ = "notifications.read"


def notification_payload(notification: Notification) -> dict[str, object]:
    return {
        "id": notification.pk,
        "text": notification.text,
        "link": notification.link,
        "created_at": notification.created_at,
        "read_at": notification.read_at,
    }


def notification_broadcast(*, notification: Notification, unread: int) -> None:
    live_send_to_user_on_commit(
        client_id=current_client().pk,
        user_id=notification.user_id,
        events=[
            {
                "type": NOTIFICATION_CREATED,
                "notification": notification_payload(notification),
                "unread": unread,
            }
        ],
    )


def notifications_read_broadcast(*, user_id: int, unread: int) -> None:
    live_send_to_user_on_commit(
        client_id=current_client().pk,
        user_id=user_id,
        events=[{"type": NOTIFICATIONS_READ, "unread": unread}],
    )
