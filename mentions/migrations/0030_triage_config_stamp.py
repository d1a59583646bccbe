from django.db import migrations

# A client's triage additions (its profile, active aspects, active learned models) are
# compiled once per process and kept until the 'triage' stamp moves (`config.stamps`,
# routing 0008): every statement that changes one of these tables bumps it.
FORWARD = """
INSERT INTO config_stamp (area, stamp) VALUES ('triage', nextval('public.config_stamp_seq'))
    ON CONFLICT (area) DO NOTHING;
CREATE TRIGGER mentions_triage_profile_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON mentions_triageprofile FOR EACH STATEMENT EXECUTE FUNCTION config_stamp_bump('triage');
CREATE TRIGGER mentions_aspects_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON mentions_aspect FOR EACH STATEMENT EXECUTE FUNCTION config_stamp_bump('triage');
CREATE TRIGGER mentions_triage_models_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON mentions_triagemodel FOR EACH STATEMENT EXECUTE FUNCTION config_stamp_bump('triage');
"""
BACKWARD = """
DROP TRIGGER IF EXISTS mentions_triage_models_changed ON mentions_triagemodel;
DROP TRIGGER IF EXISTS mentions_aspects_changed ON mentions_aspect;
DROP TRIGGER IF EXISTS mentions_triage_profile_changed ON mentions_triageprofile;
DELETE FROM config_stamp WHERE area = 'triage';
"""


class Migration(migrations.Migration):
    dependencies = [
        ("mentions", "0029_care_clocks_business_seconds"),
        ("routing", "0008_config_stamps"),
    ]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
