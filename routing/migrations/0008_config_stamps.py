from django.db import migrations

# What every ingest batch reads of a client's configuration (the routing matrix, SLA
# policies, triage additions, listening queries) is compiled once per process and kept
# until it changes (`config.stamps`). PostgreSQL stamps every change itself: one row per
# area in `config_stamp`, bumped by statement-level triggers on the tables behind it
# (this migration: the matrix and SLA policies; mentions 0030: triage; sources 0009:
# listening queries), so a batch asks one small table for every stamp at once.
#
# Stamps come from one sequence in `public`, shared by every schema: numbers are never
# reused, even when a change is rolled back, or a client's schema is dropped and a new one
# gets its name, so a stamp names one configuration for good. (A new schema copies the
# template's rows, stamps included; what they name is then exactly the template's rows.)
#
# The bump function updates the stamp table of the schema the changed table lives in
# (TG_TABLE_SCHEMA), not whatever the search path finds: a change made from psql with
# another search path still reaches its own client's stamp.
#
# This replaces routing 0007's single matrix version (its table, function and sequence).
FORWARD = """
CREATE SEQUENCE IF NOT EXISTS public.config_stamp_seq;
CREATE TABLE config_stamp (
    area varchar(20) PRIMARY KEY,
    stamp bigint NOT NULL
);
CREATE OR REPLACE FUNCTION config_stamp_bump() RETURNS trigger AS $$
BEGIN
    EXECUTE format(
        'UPDATE %I.config_stamp SET stamp = nextval(''public.config_stamp_seq'') '
        'WHERE area = ANY($1)',
        TG_TABLE_SCHEMA
    ) USING TG_ARGV;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
INSERT INTO config_stamp (area, stamp) VALUES
    ('matrix', nextval('public.config_stamp_seq')),
    ('sla', nextval('public.config_stamp_seq'));

DROP TRIGGER IF EXISTS routing_department_renamed ON routing_department;
DROP TRIGGER IF EXISTS routing_departments_added_or_removed ON routing_department;
DROP TRIGGER IF EXISTS routing_rules_changed ON routing_routingrule;
DROP FUNCTION IF EXISTS routing_matrix_changed();
DROP TABLE IF EXISTS routing_matrixversion;
DROP SEQUENCE IF EXISTS routing_matrix_version_seq;

CREATE TRIGGER routing_rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON routing_routingrule FOR EACH STATEMENT EXECUTE FUNCTION config_stamp_bump('matrix');
CREATE TRIGGER routing_departments_added_or_removed AFTER INSERT OR DELETE OR TRUNCATE
    ON routing_department FOR EACH STATEMENT EXECUTE FUNCTION config_stamp_bump('matrix');
CREATE TRIGGER routing_department_renamed AFTER UPDATE ON routing_department FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.is_default IS DISTINCT FROM NEW.is_default)
    EXECUTE FUNCTION config_stamp_bump('matrix');
CREATE TRIGGER routing_sla_policies_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON routing_slapolicy FOR EACH STATEMENT EXECUTE FUNCTION config_stamp_bump('sla');
"""
BACKWARD = """
DROP TRIGGER IF EXISTS routing_sla_policies_changed ON routing_slapolicy;
DROP TRIGGER IF EXISTS routing_department_renamed ON routing_department;
DROP TRIGGER IF EXISTS routing_departments_added_or_removed ON routing_department;
DROP TRIGGER IF EXISTS routing_rules_changed ON routing_routingrule;
DROP TABLE IF EXISTS config_stamp;
DROP FUNCTION IF EXISTS config_stamp_bump();

CREATE SEQUENCE routing_matrix_version_seq;
CREATE TABLE routing_matrixversion (
    id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    version bigint NOT NULL
);
INSERT INTO routing_matrixversion (id, version) VALUES (1, nextval('routing_matrix_version_seq'));
CREATE OR REPLACE FUNCTION routing_matrix_changed() RETURNS trigger AS $$
BEGIN
    UPDATE routing_matrixversion SET version = nextval('routing_matrix_version_seq');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER routing_rules_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON routing_routingrule FOR EACH STATEMENT EXECUTE FUNCTION routing_matrix_changed();
CREATE TRIGGER routing_departments_added_or_removed AFTER INSERT OR DELETE OR TRUNCATE
    ON routing_department FOR EACH STATEMENT EXECUTE FUNCTION routing_matrix_changed();
CREATE TRIGGER routing_department_renamed AFTER UPDATE ON routing_department FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.is_default IS DISTINCT FROM NEW.is_default)
    EXECUTE FUNCTION routing_matrix_changed();
"""
# The shared sequence stays on the way back: other schemas may still be migrated forward.


class Migration(migrations.Migration):
    dependencies = [("routing", "0007_matrix_version")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
