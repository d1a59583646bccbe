"""Full-text search over mentions: a `search` tsvector kept by a trigger, and its GIN index.

The column is not a model field (every SELECT would carry it); `mentions.search` reads it.
What goes in (see `mention_search_vector`):
- the text in the German and English configurations (stemmed: "Verspätungen" finds
  "Verspätung") and in `simple` with weight B (every word as written: exact words,
  prefixes `verspät*`, stop words; NEAR compares positions among the B lexemes only, so
  the parts never run into each other);
- umlauts spelled out (ä → ae, ö → oe, ü → ue, ß → ss), German-stemmed, when the text has
  any, so "Verspaetung" finds "Verspätungen";
- hashtags and @handles as written (`#bahn`, `@nordbahn`) and the author's `@handle`;
- the author's handle and name and the URL in `simple`.

A BEFORE trigger computes it on INSERT (unless the row brings one, as a bulk copy of a
stored row does) and when the text, URL or author change. Existing rows are filled in one
UPDATE with the table's other triggers off (the search column counts in no rollup), then
ANALYZEd with a larger statistics target for the column (see below).
"""

from django.db import migrations

FUNCTIONS = r"""
-- Self-contained (no other function of the schema): SQL bodies are checked when a new
-- client's schema is cloned, under another search_path.
CREATE OR REPLACE FUNCTION mention_search_vector(body text, url text, handle text, name text)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT to_tsvector('pg_catalog.german', body)
        || to_tsvector('pg_catalog.english', body)
        || setweight(to_tsvector('pg_catalog.simple', body), 'B')
        || CASE WHEN body ~ '[äöüßÄÖÜ]'
                THEN to_tsvector('pg_catalog.german', replace(replace(replace(replace(
                         lower(body), 'ä', 'ae'), 'ö', 'oe'), 'ü', 'ue'), 'ß', 'ss'))
                ELSE ''::tsvector END
        || to_tsvector('pg_catalog.simple',
                       coalesce(handle, '') || ' ' || coalesce(name, '') || ' ' || coalesce(url, ''))
        || array_to_tsvector(ARRAY(
               SELECT DISTINCT tag FROM (
                   SELECT lower(found[1]) AS tag
                   FROM regexp_matches(body, '([#@][[:alnum:]_]+)', 'g') AS found
                   UNION ALL
                   SELECT '@' || lower(handle) WHERE coalesce(handle, '') <> ''
               ) AS tags
           ))
$$;

CREATE OR REPLACE FUNCTION mention_search_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    author_handle text;
    author_name text;
BEGIN
    IF TG_OP = 'INSERT' AND NEW.search IS NOT NULL THEN
        RETURN NEW;
    END IF;
    SELECT a.handle, a.name INTO author_handle, author_name
    FROM mentions_author AS a WHERE a.id = NEW.author_id;
    NEW.search := mention_search_vector(NEW.text, NEW.url, author_handle, author_name);
    RETURN NEW;
END $$;
"""

FORWARD = (
    "ALTER TABLE mentions_mention ADD COLUMN search tsvector;"
    + FUNCTIONS
    + """
CREATE TRIGGER mention_search_insert BEFORE INSERT ON mentions_mention
    FOR EACH ROW EXECUTE FUNCTION mention_search_update();
CREATE TRIGGER mention_search_update BEFORE UPDATE OF text, url, author_id ON mentions_mention
    FOR EACH ROW EXECUTE FUNCTION mention_search_update();

ALTER TABLE mentions_mention DISABLE TRIGGER USER;
UPDATE mentions_mention AS m
SET search = mention_search_vector(m.text, m.url, a.handle, a.name)
FROM mentions_author AS a WHERE a.id = m.author_id;
ALTER TABLE mentions_mention ENABLE TRIGGER USER;

CREATE INDEX mention_search ON mentions_mention USING gin (search);
-- A long list of common lexemes: with the default (100) a rare word was estimated at
-- thousands of rows, and PostgreSQL walked the whole table newest first instead of
-- asking the index (3 s instead of 0.1 ms at a million mentions).
ALTER TABLE mentions_mention ALTER COLUMN search SET STATISTICS 1000;
ANALYZE mentions_mention;
"""
)

BACKWARD = """
DROP INDEX IF EXISTS mention_search;
DROP TRIGGER IF EXISTS mention_search_insert ON mentions_mention;
DROP TRIGGER IF EXISTS mention_search_update ON mentions_mention;
DROP FUNCTION IF EXISTS mention_search_update();
DROP FUNCTION IF EXISTS mention_search_vector(text, text, text, text);
ALTER TABLE mentions_mention DROP COLUMN IF EXISTS search;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("mentions", "0013_report_indexes"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
