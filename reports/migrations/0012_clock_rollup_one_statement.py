from django.db import migrations

from reports import clock_rollup as R

# The clock rollups' trigger functions spread and group the changed rows once, for the days,
# and sum the months from those day groups in the same statement (reports.clock_rollup).
# Backwards the functions stay: the counts they keep are the same.


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0011_response_histograms_dropped'),
    ]

    operations = [
        migrations.RunSQL(sql=R.trigger_functions(), reverse_sql=migrations.RunSQL.noop),
    ]
