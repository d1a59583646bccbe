"""Every client starts with two levels, "Responder" and "Crisis responder", and whoever had
the manual `certified` flag gets a certificate at both (source "migrated"), so nothing
changes for people already certified: they answer publicly without approval as before."""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

VALIDITY_MONTHS = 12


def forwards(apps, schema_editor):
    Level = apps.get_model("training", "CertificationLevel")
    Certificate = apps.get_model("training", "Certificate")
    StaffMember = apps.get_model("routing", "StaffMember")
    responder, _ = Level.objects.get_or_create(
        name="Responder", defaults={"rank": 1, "validity_months": VALIDITY_MONTHS}
    )
    crisis, _ = Level.objects.get_or_create(
        name="Crisis responder",
        defaults={
            "rank": 2,
            "validity_months": VALIDITY_MONTHS,
            "for_crisis": True,
            "for_segments": ["mass_connector"],
        },
    )
    now = timezone.now()
    expires = now + timedelta(days=365)
    rows = []
    for member in StaffMember.objects.filter(certified=True):
        issued = member.certified_at or now
        for level in (responder, crisis):
            rows.append(
                Certificate(
                    level=level,
                    user_id=member.user_id,
                    source="migrated",
                    issued_at=issued,
                    expires_at=expires,
                )
            )
    Certificate.objects.bulk_create(rows)


def backwards(apps, schema_editor):
    Certificate = apps.get_model("training", "Certificate")
    Certificate.objects.filter(source="migrated").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0001_initial"),
        ("routing", "0007_matrix_version"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
