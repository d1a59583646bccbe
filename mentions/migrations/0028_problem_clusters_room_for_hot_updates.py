"""Problem cluster rows keep half of each page free (`fillfactor = 50`) for in-place updates.

Every stored batch updates each cluster it touched, twice (terms and title, then counts and
times; `mentions.clusters._settle`). A row that cannot be rewritten on its own page gets a
new entry in every index, among them `cluster_open_keys` with up to 400 band keys per row;
with full pages, 94 % of these updates were such (PostgreSQL's statistics in the demo
client). With room on the page, an update that changes no indexed column stays on it (a
HOT update: no index entries at all): 52 % of them did in the same bench, and the two
statements took 0.035 instead of 0.11 ms of database CPU per stored mention
(bench/ingest_cpu.py --queries; measured after the table was also rewritten). Existing pages
keep their fill until the table is rewritten (VACUUM FULL, not done here: it locks the
table); new ones get the room. Schema cloning copies the setting (`accounts.cloning`).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("mentions", "0027_unclustered_keys_by_window"),
    ]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE mentions_problemcluster SET (fillfactor = 50)",
            reverse_sql="ALTER TABLE mentions_problemcluster RESET (fillfactor)",
        ),
    ]
