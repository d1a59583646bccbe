"""What is pushed live about sources: backfill progress and connection tests."""

from __future__ import annotations

from config.live import live_send_on_commit
from config.tenancy import current_client
from sources.models import BackfillJob, Source

BACKFILL_PROGRESS = "backfill.progress"
SOURCE_TESTED = "source.tested"


def backfill_payload(job: BackfillJob) -> dict[str, object]:
    return {
        "id": job.pk,
        "source_id": job.source_id,
        "status": job.status,
        "progress": round(job.progress, 4),
        "pages": job.pages,
        "fetched": job.fetched,
        "stored": job.stored,
        "error": job.error,
    }


def backfill_progress(*, job: BackfillJob) -> None:
    live_send_on_commit(
        client_id=current_client().pk,
        events=[{"type": BACKFILL_PROGRESS, "backfill": backfill_payload(job)}],
    )


def source_tested(*, source: Source) -> None:
    live_send_on_commit(
        client_id=current_client().pk,
        events=[
            {
                "type": SOURCE_TESTED,
                "source": {
                    "id": source.pk,
                    "ok": source.last_test_ok,
                    "message": source.last_test_message,
                    "detail": source.last_test_detail,
                },
            }
        ],
    )
