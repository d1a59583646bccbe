from django.db import migrations

# A client's enabled listening queries are compiled once per process and kept until the
# 'queries' stamp moves (`config.stamps`, routing 0008): every statement that changes
# the table bumps it.
FORWARD = """
INSERT INTO config_stamp (area, stamp) VALUES ('queries', nextval('public.config_stamp_seq'))
    ON CONFLICT (area) DO NOTHING;
CREATE TRIGGER sources_listening_queries_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON sources_listeningquery FOR EACH STATEMENT EXECUTE FUNCTION config_stamp_bump('queries');
"""
BACKWARD = """
DROP TRIGGER IF EXISTS sources_listening_queries_changed ON sources_listeningquery;
DELETE FROM config_stamp WHERE area = 'queries';
"""


class Migration(migrations.Migration):
    dependencies = [
        ("sources", "0008_ingestbatch_settling"),
        ("routing", "0008_config_stamps"),
    ]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
