"""The unclustered-keys GIN index without a pending list (`fastupdate = off`).

Every stored batch asks this index for the earlier reports its mentions may pair with
(`mentions.clusters.clusters_plan`). With `fastupdate` on, new entries wait in a pending
list that only VACUUM (autovacuum) or a 4 MB overflow moves into the index, and every read
scans the whole list: 48 ms of a 51 ms lookup at 135,000 mentions where autovacuum is off,
paid by each pushed mention on its way to the inbox. Without the list an insert writes its
keys into the index at once (a few keys per mention) and the lookup takes under a
millisecond. The entries waiting now are moved in once.
"""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mentions", "0023_mention_published_covers_hourly_counts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="mention", name="mention_unclustered_keys"),
                migrations.AddIndex(
                    model_name="mention",
                    index=GinIndex(
                        condition=models.Q(cluster_keys__isnull=False, cluster__isnull=True),
                        fastupdate=False,
                        fields=["cluster_keys"],
                        name="mention_unclustered_keys",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "ALTER INDEX mention_unclustered_keys SET (fastupdate = off);\n"
                    "SELECT gin_clean_pending_list('mention_unclustered_keys'::regclass);",
                    reverse_sql="ALTER INDEX mention_unclustered_keys RESET (fastupdate);",
                ),
            ],
        ),
    ]
