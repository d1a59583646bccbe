from django.db import migrations

# Which event types a client's webhooks subscribe to is compiled once per process and kept
# until the 'webhooks' stamp moves (`config.stamps`, routing 0008), so a batch nobody
# listens for costs no query beyond the stamps it reads anyway. Only what decides the
# types moves it: a subscription added or removed (per statement), or one whose events or
# switch changed (per row, so the sender's bookkeeping on every delivery round, its
# failure streak and timestamps, neither moves the stamp nor locks its row).
FORWARD = """
INSERT INTO config_stamp (area, stamp) VALUES ('webhooks', nextval('public.config_stamp_seq'))
    ON CONFLICT (area) DO NOTHING;
CREATE TRIGGER webhooks_subscriptions_added_or_removed AFTER INSERT OR DELETE OR TRUNCATE
    ON webhooks_subscription FOR EACH STATEMENT EXECUTE FUNCTION config_stamp_bump('webhooks');
CREATE TRIGGER webhooks_subscription_types_changed AFTER UPDATE ON webhooks_subscription
    FOR EACH ROW
    WHEN (OLD.events IS DISTINCT FROM NEW.events OR OLD.is_active IS DISTINCT FROM NEW.is_active)
    EXECUTE FUNCTION config_stamp_bump('webhooks');
"""
BACKWARD = """
DROP TRIGGER IF EXISTS webhooks_subscription_types_changed ON webhooks_subscription;
DROP TRIGGER IF EXISTS webhooks_subscriptions_added_or_removed ON webhooks_subscription;
DELETE FROM config_stamp WHERE area = 'webhooks';
"""


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("routing", "0008_config_stamps"),
    ]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
