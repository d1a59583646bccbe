"""White-label logos: a client's (on its report) and the agency's (its own public row).

An upload is never trusted: not its file name, not its declared type. The bytes are decoded
with Pillow, which is allowed to recognise PNG, JPEG and WebP only (an SVG is refused: it
can carry script), the size is checked before anything is decoded and the pixel count
before the pixels are, and what is stored is a new PNG drawn from the decoded pixels, so no
metadata, trailing payload or second file format survives. Changes are audited: a client's
in its own audit log, the agency's in the agency's.
"""

from __future__ import annotations

import base64
import io
import warnings
from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from accounts.audit.services import audit_record
from accounts.models import AgencyAuditEntry, Client, ClientLogo, User
from accounts.security import AGENCY_SCHEMA
from config.errors import DomainError

LOGO_MAX_BYTES = 1024 * 1024  # the upload
LOGO_MAX_SIDE = 6000  # pixels, either side, before decoding
LOGO_MAX_PIXELS = 16_000_000
LOGO_BOX = (1200, 600)  # what is stored fits in this box (a letterhead needs no more)
ACCEPTED = ("PNG", "JPEG", "WEBP")


class LogoTooLarge(DomainError):
    code = "too_large"
    status_code = 413


@dataclass(frozen=True)
class CleanLogo:
    png: bytes
    width: int
    height: int


def _refuse(message: str) -> DomainError:
    return DomainError("The logo was not accepted.", fields={"file": [message]})


def logo_clean(*, data: bytes) -> CleanLogo:
    """The upload decoded and drawn anew as PNG, or a DomainError on the `file` field that
    says why (413 when it is too large)."""
    if len(data) > LOGO_MAX_BYTES:
        raise LogoTooLarge(
            f"The logo is larger than {LOGO_MAX_BYTES // 1024} KB.",
            fields={"file": [f"At most {LOGO_MAX_BYTES // 1024} KB."]},
        )
    if not data:
        raise _refuse("The file is empty.")
    head = data[:512].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head:
        raise _refuse("SVG is not accepted (it can carry script): upload PNG, JPEG or WebP.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED)
            width, height = image.size
            if max(width, height) > LOGO_MAX_SIDE or width * height > LOGO_MAX_PIXELS:
                raise _refuse(
                    f"At most {LOGO_MAX_SIDE} pixels a side and {LOGO_MAX_PIXELS:,} pixels."
                )
            if image.format == "PNG":
                # Chunk by chunk with checksums: WeasyPrint makes Pillow accept truncated
                # images process-wide, and a half logo is no logo.
                Image.open(io.BytesIO(data), formats=["PNG"]).verify()
            image.seek(0)  # an animation's first frame
            image.load()
    except DomainError:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        ValueError,
        SyntaxError,  # Pillow's PNG reader raises it for some broken chunks
        EOFError,
    ) as error:
        raise _refuse("Not a readable PNG, JPEG or WebP image.") from error
    if width < 1 or height < 1:
        raise _refuse("The image has no pixels.")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    drawn = image.convert("RGBA" if has_alpha else "RGB")
    drawn.thumbnail(LOGO_BOX)
    out = io.BytesIO()
    drawn.save(out, format="PNG", optimize=True)
    return CleanLogo(png=out.getvalue(), width=drawn.width, height=drawn.height)


def logo_upload_read(*, upload: UploadedFile | None) -> bytes:
    """The bytes of an uploaded logo (a form's or the API's `file`), refused as too large
    before they are read when the upload says its size."""
    if upload is None:
        raise _refuse("Choose an image file to upload.")
    if upload.size is not None and upload.size > LOGO_MAX_BYTES:
        raise LogoTooLarge(
            f"The logo is larger than {LOGO_MAX_BYTES // 1024} KB.",
            fields={"file": [f"At most {LOGO_MAX_BYTES // 1024} KB."]},
        )
    return upload.read(LOGO_MAX_BYTES + 1)


def clients_with_logo_version(clients: QuerySet[Client]) -> QuerySet[Client]:
    """`clients` with `logo_version`: when each one's logo last changed (None: no logo), in
    the same query, so a page header can show the logo without loading it or asking again."""
    changed = ClientLogo.objects.filter(client=OuterRef("pk")).values("updated_at")[:1]
    return clients.annotate(logo_version=Subquery(changed))


def client_logo_get(*, client: Client) -> ClientLogo | None:
    return ClientLogo.objects.filter(client=client).first()


def logo_data_url(logo: ClientLogo | None) -> str:
    """The logo as an inline `data:` URL (the PDF fetches nothing else), "" for none."""
    if logo is None:
        return ""
    return "data:image/png;base64," + base64.b64encode(bytes(logo.image)).decode("ascii")


def _audit(*, client: Client, actor: User, action: str, summary: str) -> None:
    if client.schema_name == AGENCY_SCHEMA:
        AgencyAuditEntry.objects.create(
            actor_id=actor.pk, action=action, client_slug=client.slug, summary=summary[:500]
        )
    else:
        audit_record(
            actor=actor,
            action=action,
            target_type="client",
            target_id=client.pk,
            summary=summary,
        )


def client_logo_set(*, client: Client, data: bytes, actor: User) -> ClientLogo:
    """Upload or replace `client`'s logo (the caller checked the role, and for a client
    that the request runs in its schema, where the audit log is)."""
    clean = logo_clean(data=data)
    with transaction.atomic():
        logo, created = ClientLogo.objects.update_or_create(
            client=client,
            defaults={
                "image": clean.png,
                "width": clean.width,
                "height": clean.height,
                "updated_at": timezone.now(),
                "updated_by_id": actor.pk,
            },
        )
        _audit(
            client=client,
            actor=actor,
            action="logo.uploaded" if created else "logo.replaced",
            summary=f"Logo of {client.name} {'uploaded' if created else 'replaced'} "
            f"({clean.width} x {clean.height} px)",
        )
    return logo


def client_logo_delete(*, client: Client, actor: User) -> bool:
    """Remove `client`'s logo; False when there was none (nothing is audited then)."""
    with transaction.atomic():
        deleted, _ = ClientLogo.objects.filter(client=client).delete()
        if deleted:
            _audit(
                client=client,
                actor=actor,
                action="logo.deleted",
                summary=f"Logo of {client.name} deleted",
            )
    return bool(deleted)
