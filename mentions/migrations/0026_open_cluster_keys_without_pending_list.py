"""The open clusters' keys GIN index without a pending list (`fastupdate = off`).

Every stored batch asks it for the open clusters its mentions may join
(`mentions.clusters.clusters_plan`), as it asks `mention_unclustered_keys` (0024) for
earlier reports: with a pending list, which only VACUUM or a 4 MB overflow empties, each read
scans the whole list. The entries waiting now are moved in once.
"""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("mentions", "0025_mention_cluster_index_members_only"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="problemcluster", name="cluster_open_keys"),
                migrations.AddIndex(
                    model_name="problemcluster",
                    index=GinIndex(
                        condition=models.Q(status__in=["open", "waiting"]),
                        fastupdate=False,
                        fields=["keys"],
                        name="cluster_open_keys",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "ALTER INDEX cluster_open_keys SET (fastupdate = off);\n"
                    "SELECT gin_clean_pending_list('cluster_open_keys'::regclass);",
                    reverse_sql="ALTER INDEX cluster_open_keys RESET (fastupdate);",
                ),
            ],
        ),
    ]
