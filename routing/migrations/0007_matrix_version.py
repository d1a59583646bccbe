from django.db import migrations

# The routing matrix is compiled once per process and kept until it changes. PostgreSQL
# itself stamps every change that reaches the compiled matrix (rules; departments added,
# removed, renamed or made the default) with a new number from a sequence: numbers are
# never reused, even when a change is rolled back, so a stamp names one matrix for good.
FORWARD = """
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
BACKWARD = """
DROP TRIGGER IF EXISTS routing_department_renamed ON routing_department;
DROP TRIGGER IF EXISTS routing_departments_added_or_removed ON routing_department;
DROP TRIGGER IF EXISTS routing_rules_changed ON routing_routingrule;
DROP FUNCTION IF EXISTS routing_matrix_changed();
DROP TABLE IF EXISTS routing_matrixversion;
DROP SEQUENCE IF EXISTS routing_matrix_version_seq;
"""


class Migration(migrations.Migration):
    dependencies = [("routing", "0006_response_policy")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
