"""The unclustered reports' band keys indexed together with their six-hour time bucket.

`mention_unclustered_keys` indexed the bare band keys of every report that never joined a
case, since the first one: a batch's lookup matched them all, however old, and the window
was applied to the rows afterwards. In the demo client (a year of history, 8,000 such
reports) a 500-mention batch's 2,400 keys matched 7,700 rows of which 2 were in the window,
and PostgreSQL compared each of them with every key: 0.7 ms of database CPU per stored
mention, more than the insert itself, and growing with the history.

Now the index holds `public.mention_window_keys(cluster_keys, published_at)`: each key mixed
with its report's bucket (twelve hours, counted from the epoch). `clusters_plan` asks for
each key in the two buckets its own report's window (six hours either side) touches, so only
reports near in time are found. `mentions.clusters.window_keys` is the same mix in
Python; a test holds the two equal. The function lives in `public` (one definition for
every client schema; schema cloning copies the index as it is).
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import migrations, models

FUNCTION = """
CREATE OR REPLACE FUNCTION public.mention_window_keys(keys bigint[], published timestamptz)
RETURNS bigint[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_agg(k # (floor(extract(epoch FROM published) / 43200)::bigint * 2654435761))
    FROM unnest(keys) AS k
$$
"""


class Migration(migrations.Migration):
    dependencies = [
        ("mentions", "0026_open_cluster_keys_without_pending_list"),
    ]

    operations = [
        # Shared by every client schema: never dropped by one of them going back.
        migrations.RunSQL(FUNCTION, reverse_sql=migrations.RunSQL.noop),
        migrations.RemoveIndex(model_name="mention", name="mention_unclustered_keys"),
        migrations.AddIndex(
            model_name="mention",
            index=GinIndex(
                models.Func(
                    models.F("cluster_keys"),
                    models.F("published_at"),
                    function="public.mention_window_keys",
                    output_field=ArrayField(models.BigIntegerField()),
                ),
                condition=models.Q(cluster_keys__isnull=False, cluster__isnull=True),
                fastupdate=False,
                name="mention_unclustered_near",
            ),
        ),
    ]
