from django.db import migrations

# The client's staff as assignment reads them (switch, schedule, languages, countries,
# tags, capacity, teams) are compiled once per process and kept until the 'staff' stamp
# moves (`config.stamps`, routing 0008): every statement that changes a staff entry or
# its teams bumps it.
FORWARD = """
INSERT INTO config_stamp (area, stamp) VALUES ('staff', nextval('public.config_stamp_seq'))
    ON CONFLICT (area) DO NOTHING;
CREATE TRIGGER routing_staff_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON routing_staffmember FOR EACH STATEMENT EXECUTE FUNCTION config_stamp_bump('staff');
CREATE TRIGGER routing_staff_teams_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON routing_staffmember_teams FOR EACH STATEMENT EXECUTE FUNCTION config_stamp_bump('staff');
"""
BACKWARD = """
DROP TRIGGER IF EXISTS routing_staff_teams_changed ON routing_staffmember_teams;
DROP TRIGGER IF EXISTS routing_staff_changed ON routing_staffmember;
DELETE FROM config_stamp WHERE area = 'staff';
"""


class Migration(migrations.Migration):
    dependencies = [("routing", "0008_config_stamps")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
