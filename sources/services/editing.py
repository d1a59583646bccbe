"""Client admins edit a source and delete it softly.

A deleted source keeps its row (its mentions still name it) but leaves every list, poll and
push: `Source.objects` hides it, and it is disabled so nothing that reads `enabled` picks it
up either. Both are audited with what changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.audit.services import audit_record
from config.errors import DomainError
from sources.connectors import ConfigError, connector_class
from sources.credentials import credentials_decrypt, credentials_encrypt
from sources.models import PUSH_KINDS, Source

MIN_INTERVAL_SECONDS = 30
MAX_INTERVAL_SECONDS = 7 * 24 * 3600
EDITABLE = frozenset({"name", "enabled", "poll_interval_seconds", "config", "apply_queries"})


def _snapshot(source: Source) -> dict[str, Any]:
    """What the audit log keeps: settings, never secrets or credentials."""
    return {
        "name": source.name,
        "kind": source.kind,
        "enabled": source.enabled,
        "poll_interval_seconds": source.poll_interval_seconds,
        "apply_queries": source.apply_queries,
        "config": dict(source.config),
    }


def _clean(
    source: Source, changes: Mapping[str, Any], credentials: Mapping[str, str] | None
) -> dict[str, Any]:
    """Validated new values for the fields in `changes` (DomainError with fields if not)."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    unknown = sorted(set(changes) - EDITABLE)
    if unknown:
        errors.update({key: ["not editable"] for key in unknown})
    polled = source.kind not in PUSH_KINDS
    if "name" in changes:
        name = str(changes["name"] or "").strip()
        if not name:
            errors["name"] = ["a name is required"]
        elif len(name) > 200:
            errors["name"] = ["at most 200 characters"]
        clean["name"] = name
    if "enabled" in changes:
        if not isinstance(changes["enabled"], bool):
            errors["enabled"] = ["true or false"]
        clean["enabled"] = changes["enabled"]
    if "apply_queries" in changes:
        if not isinstance(changes["apply_queries"], bool):
            errors["apply_queries"] = ["true or false"]
        clean["apply_queries"] = changes["apply_queries"]
    if "poll_interval_seconds" in changes:
        value = changes["poll_interval_seconds"]
        if not polled:
            errors["poll_interval_seconds"] = ["pushed sources are not polled"]
        elif isinstance(value, bool) or not isinstance(value, int):
            errors["poll_interval_seconds"] = ["a whole number of seconds"]
        elif not MIN_INTERVAL_SECONDS <= value <= MAX_INTERVAL_SECONDS:
            errors["poll_interval_seconds"] = [
                f"between {MIN_INTERVAL_SECONDS} and {MAX_INTERVAL_SECONDS} seconds"
            ]
        clean["poll_interval_seconds"] = value
    if "config" in changes:
        config = changes["config"]
        if not polled:
            errors["config"] = ["pushed sources have no settings"]
        elif not isinstance(config, dict):
            errors["config"] = ["an object of settings"]
        else:
            try:
                clean["config"] = connector_class(source.kind).validate_config(config)
            except ConfigError as exc:
                errors.update({f"config.{key}": [value] for key, value in exc.fields.items()})
    if credentials and polled:
        allowed = set(connector_class(source.kind).credential_fields)
        bad = sorted(set(credentials) - allowed)
        if bad:
            errors.update({f"credential_{key}": ["unknown credential"] for key in bad})
    if errors:
        raise DomainError("The source settings are not valid.", fields=errors)
    return clean


@transaction.atomic
def source_update(
    *,
    source: Source,
    changes: Mapping[str, Any],
    by: Any,
    credentials: Mapping[str, str] | None = None,
) -> Source:
    """Change a source's name, settings, polling interval, query filter or switch.

    Credentials given with a value replace the stored ones of that name (blank keeps them).
    New settings start polling afresh: soon, from the start, without the old backoff."""
    source = Source.objects.select_for_update().get(pk=source.pk)
    clean = _clean(source, changes, credentials)
    before = _snapshot(source)
    fresh_start = ("config" in clean and clean["config"] != source.config) or (
        clean.get("enabled") is True and not source.enabled
    )
    for key, value in clean.items():
        setattr(source, key, value)
    new_credentials = {key: value for key, value in (credentials or {}).items() if value}
    if new_credentials and source.kind not in PUSH_KINDS:
        source.credentials_encrypted = credentials_encrypt(
            credentials_decrypt(source.credentials_encrypted) | new_credentials
        )
    if "config" in clean and clean["config"] != before["config"]:
        source.cursor = {}
    if fresh_start:
        source.next_poll_at, source.backoff_until, source.consecutive_failures = (
            timezone.now(),
            None,
            0,
        )
    elif "poll_interval_seconds" in clean and source.last_polled_at and source.enabled:
        source.next_poll_at = source.last_polled_at + timedelta(
            seconds=source.poll_interval_seconds
        )
    source.save()
    after = _snapshot(source)
    changed = sorted(key for key in after if after[key] != before[key])
    if new_credentials:
        changed.append("credentials")
    if changed:
        audit_record(
            actor=by,
            action="source.updated",
            target_type="source",
            target_id=source.pk,
            summary=f'Changed source "{source.name}": {", ".join(changed)}',
            before={key: before[key] for key in changed if key in before},
            after={key: after[key] for key in changed if key in after}
            | ({"credentials": "replaced"} if new_credentials else {}),
        )
    return source


@transaction.atomic
def source_delete(*, source: Source, by: Any) -> Source:
    """Delete softly: the source stops (no polls, no pushes, no listeners) and leaves every
    list; its mentions stay and still show its name."""
    source = Source.objects.select_for_update().get(pk=source.pk)
    before = _snapshot(source)
    source.deleted_at = timezone.now()
    source.enabled = False
    source.next_poll_at = None
    source.save(update_fields=["deleted_at", "enabled", "next_poll_at"])
    audit_record(
        actor=by,
        action="source.deleted",
        target_type="source",
        target_id=source.pk,
        summary=f'Deleted source "{source.name}" (its mentions are kept)',
        before=before,
    )
    return source
