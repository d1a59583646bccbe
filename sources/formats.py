"""The documented mention format, and how hostile input is made storable.

```json
{"external_id": "1789", "url": "https://…", "text": "…", "published_at": "2026-11-23T10:00:00Z",
 "author": {"handle": "jane", "name": "Jane", "followers": 120, "following": 80, "posts": 5400},
 "engagement": {"likes": 12, "reposts": 3, "replies": 4},
 "language": "de", "in_reply_to": "1788", "raw": {…}}
```

Author counts (`followers`, `following`, `posts` = statuses written) and `engagement` (and
each of its counts) are optional; absent or null means unknown, and an unknown count never
erases the author's known one. They feed the author's influence (mentions/influence.py).

Text is kept as sent, with two exceptions PostgreSQL forces on us: NUL characters and lone
UTF-16 surrogates (which UTF-8 cannot encode) become U+FFFD. Everything else (HTML, scripts,
right-to-left marks, emoji, 200,000 characters) is stored as is and escaped on output.
"""

from __future__ import annotations

import json
import math
import threading
from typing import Any

from rest_framework import serializers

MAX_TEXT_CHARS = 200_000


def text_make_storable(value: str) -> str:
    if value.isascii():
        return value.replace("\x00", "\ufffd")
    # Re-pair valid surrogate pairs and replace lone surrogates.
    repaired = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return repaired.replace("\x00", "\ufffd")


def json_make_storable(value: Any) -> Any:
    """Apply `text_make_storable` to every string (keys too) of a parsed JSON value."""
    if isinstance(value, str):
        return text_make_storable(value)
    if isinstance(value, list):
        return [json_make_storable(item) for item in value]
    if isinstance(value, dict):
        return {text_make_storable(str(k)): json_make_storable(v) for k, v in value.items()}
    return value


class BodyError(ValueError):
    pass


def json_body_parse(body: bytes) -> Any:
    """Parse a request body as UTF-8 JSON, with a clear reason when it is not."""
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(f"The body is not valid UTF-8 (byte {exc.start}).") from exc
    try:
        return json_make_storable(
            json.loads(decoded, parse_constant=_refuse_constant, parse_float=_finite_float)
        )
    except json.JSONDecodeError as exc:
        raise BodyError(f"The body is not valid JSON: {exc.msg} at character {exc.pos}.") from exc
    except RecursionError as exc:
        raise BodyError("The body is nested too deeply.") from exc
    except ValueError as exc:  # e.g. integers longer than Python converts
        raise BodyError(f"The body has a value JSON cannot carry: {exc}") from exc


def _refuse_constant(name: str) -> float:
    raise BodyError(f"{name} is not valid JSON (PostgreSQL cannot store it).")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BodyError(f"The number {text[:40]} is too large.")
    return value


class AuthorInSerializer(serializers.Serializer):
    handle = serializers.CharField(max_length=200)
    name = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    # Absent means "unknown": an author's known follower count is then kept as it is.
    followers = serializers.IntegerField(
        min_value=0, max_value=2**63 - 1, required=False, allow_null=True, default=None
    )
    following = serializers.IntegerField(
        min_value=0, max_value=2**63 - 1, required=False, allow_null=True, default=None
    )
    posts = serializers.IntegerField(
        min_value=0, max_value=2**63 - 1, required=False, allow_null=True, default=None
    )


def _count() -> serializers.IntegerField:
    return serializers.IntegerField(
        min_value=0, max_value=2**62, required=False, allow_null=True, default=None
    )


class EngagementInSerializer(serializers.Serializer):
    """Reactions to this one mention, as the network counted them when we fetched it."""

    likes = _count()
    reposts = _count()
    replies = _count()


class MentionInSerializer(serializers.Serializer):
    """One mention in the documented ingest format."""

    external_id = serializers.CharField(max_length=300)
    url = serializers.URLField(max_length=2000, required=False, allow_blank=True, default="")
    text = serializers.CharField(max_length=MAX_TEXT_CHARS, trim_whitespace=False)
    published_at = serializers.DateTimeField()
    author = AuthorInSerializer()
    engagement = EngagementInSerializer(required=False, allow_null=True, default=None)
    language = serializers.RegexField(
        r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$",
        max_length=8,
        required=False,
        allow_blank=True,
        default="",
    )
    in_reply_to = serializers.CharField(
        max_length=300, required=False, allow_blank=True, allow_null=True, default=""
    )
    raw = serializers.DictField(required=False, default=dict)


class MentionBatchInSerializer(serializers.Serializer):
    """Documentation shape of a pushed batch; items are validated one by one."""

    mentions = MentionInSerializer(many=True)


_validators = threading.local()


def _item_validator() -> MentionInSerializer:
    """One serializer per thread, reused for every item: building a serializer deep-copies
    its fields, which cost more than validating (as DRF's own list serializer does it)."""
    validator = getattr(_validators, "serializer", None)
    if validator is None:
        validator = _validators.serializer = MentionInSerializer()
    return validator


def mention_item_validate(item: Any) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Validate one item. Returns (normalized item ready for a batch, None) or (None, errors)."""
    if not isinstance(item, dict):
        return None, {"non_field_errors": ["Each mention must be a JSON object."]}
    try:
        validated = _item_validator().run_validation(item)
    except serializers.ValidationError as error:
        detail = error.detail
        return None, detail if isinstance(detail, dict) else {"non_field_errors": detail}
    data = dict(validated)
    data["published_at"] = data["published_at"].isoformat()
    data["author"] = dict(data["author"])
    engagement = data.get("engagement")
    if engagement is not None and any(v is not None for v in engagement.values()):
        data["engagement"] = dict(engagement)
    else:
        data.pop("engagement", None)
    data["in_reply_to"] = data.get("in_reply_to") or ""
    return data, None
