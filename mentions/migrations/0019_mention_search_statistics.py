"""The search column's larger statistics target (0014) in every client's schema.

Clients created from the template schema after 0014 got the column at the default target:
the fast schema copy (`accounts.cloning`) did not carry statistics targets over (it does
now). With the default, a rare or absent word is estimated at thousands of rows and
PostgreSQL walks a million mentions newest first instead of asking the GIN index (1.7-2.7 s
instead of milliseconds, bench/inbox_scale.py). Setting it again is harmless where it was
kept; only the column is ANALYZEd (a sample, well under a second at a million rows).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("mentions", "0018_response_original_text"),
    ]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE mentions_mention ALTER COLUMN search SET STATISTICS 1000;\n"
            "ANALYZE mentions_mention (search);",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
