"""The care clocks' histogram rollups: for each measure (calendar and business seconds to the
first response and to the resolution), answers and their summed seconds per bucket of
seconds, per UTC day (`reports_clockday`) and per UTC month (`reports_clockmonth`) of
publication and one dimension value at a time (as `DimensionDay`). Kept current by
statement-level triggers on mentions_mention (reports migration 0010).

Buckets are fine (0: no time at all, so its answers are not read; -1: below zero; k >= 1:
[1.05**(k-1), 1.05**k) seconds, under one second in 1), so that a bucket of a year holds
few answers: a percentile finds the bucket of its rank here and reads only that bucket's
answers of the period from the mentions, through a covering index on (bucket,
published_at) per measure, for the exact value."""

from __future__ import annotations

# measure -> (end column, stored business column or None for calendar seconds)
MEASURES = {
    1: ("first_response_at", None),
    2: ("first_response_at", "first_response_business_seconds"),
    3: ("resolved_at", None),
    4: ("resolved_at", "resolution_business_seconds"),
}
# In `public`, like `public.mention_window_keys`: the bucket indexes of every client schema
# (cloned from the template) then call the same function, not the template schema's copy.
BUCKET_FUNCTION = """
CREATE OR REPLACE FUNCTION public.reports_clock_bucket(secs float8) RETURNS smallint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN secs < 0 THEN -1 WHEN secs = 0 THEN 0
                ELSE 1 + GREATEST(0, floor(ln(secs) / ln(1.05)))::int END::smallint
$$;
"""


def measure_seconds(measure: int, alias: str = "m") -> str:
    """The measure's seconds of a mention row (NULL when its clock has not stopped or, for
    business time, is not measured yet)."""
    end, stored = MEASURES[measure]
    if stored is None:
        return (
            f"CASE WHEN {alias}.{end} IS NOT NULL THEN"
            f" GREATEST(0, date_part('epoch', {alias}.{end} - {alias}.received_at)) END"
        )
    return f"CASE WHEN {alias}.{end} IS NOT NULL THEN {alias}.{stored} END"


def measure_condition(measure: int, alias: str = "m") -> str:
    """The rows a measure counts (also the predicate of its bucket index)."""
    end, stored = MEASURES[measure]
    found = f"{alias}.relevant AND {alias}.{end} IS NOT NULL"
    return found if stored is None else f"{found} AND {alias}.{stored} IS NOT NULL"


def plain_seconds(measure: int, alias: str = "m") -> str:
    """The measure's seconds of a row that `measure_condition` holds for."""
    end, stored = MEASURES[measure]
    if stored is None:
        return f"GREATEST(0, date_part('epoch', {alias}.{end} - {alias}.received_at))"
    return f"{alias}.{stored}"


def measure_bucket(measure: int, alias: str = "m") -> str:
    """The expression of the measure's bucket index (`reports_clock_bucket` of its seconds,
    written as the index is so the planner matches it)."""
    return f"public.reports_clock_bucket({plain_seconds(measure, alias)})"


# What a bucket read needs besides the bucket and the publication time, so that it reads the
# index alone (the slice's filter columns too).
_READ_COLUMNS = ("relevant", "source_id", "language", "kind", "department_id", "aspects")


def bucket_indexes() -> str:
    found = []
    for measure, (end, stored) in MEASURES.items():
        columns = [end, stored or "received_at", *_READ_COLUMNS]
        found.append(
            f"CREATE INDEX IF NOT EXISTS mention_clock_bucket_{measure} ON mentions_mention"
            f" ({measure_bucket(measure, 'mentions_mention')}, published_at)"
            f" INCLUDE ({', '.join(columns)})"
            f" WHERE {measure_condition(measure, 'mentions_mention')};\n"
        )
    return "".join(found)


# Every mention once per measure it has seconds for, and once per dimension value.
_MEASURES_OF = "CROSS JOIN LATERAL (VALUES {values}) AS c(measure, secs)".format(
    values=", ".join(f"({n}, {measure_seconds(n)})" for n in MEASURES)
)
EACH_DIMENSION = """CROSS JOIN LATERAL (
    SELECT 'all', '' UNION ALL
    SELECT 'source', m.source_id::text UNION ALL
    SELECT 'language', m.language UNION ALL
    SELECT 'kind', m.kind UNION ALL
    SELECT 'department', COALESCE(m.department_id, 0)::text UNION ALL
    SELECT 'aspect', a FROM unnest(m.aspects) AS a
) AS d(dimension, value)"""


_ADD = """ON CONFLICT (measure, dimension, value, day, bucket)
    DO UPDATE SET answers = r.answers + EXCLUDED.answers, seconds = r.seconds + EXCLUDED.seconds"""


def upsert_days_and_months(rows: str) -> str:
    """Add the rows (with a `sign` column) to the day and the month rollup in one statement:
    the rows are spread over measures and dimension values and grouped by day once, and the
    month rows are summed from those day groups (a UTC month is whole UTC days), instead of
    spreading and grouping the changed rows a second time for the months (half the
    trigger's work on a bulk change). Both upserts go in key order, as one statement each
    did, so concurrent writers lock the rollup rows in the same order."""
    return f"""
    WITH delta AS (
        SELECT c.measure, d.dimension, d.value, date_trunc('day', m.published_at, 'UTC') AS day,
               public.reports_clock_bucket(c.secs) AS bucket, sum(m.sign) AS answers,
               sum(m.sign * c.secs) AS seconds
        FROM ({rows}) AS m {_MEASURES_OF} {EACH_DIMENSION}
        WHERE m.relevant AND c.secs IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5
    ), days AS (
        INSERT INTO reports_clockday AS r (measure, dimension, value, day, bucket, answers, seconds)
        SELECT * FROM delta ORDER BY 1, 2, 3, 4, 5
        {_ADD}
    )
    INSERT INTO reports_clockmonth AS r (measure, dimension, value, day, bucket, answers, seconds)
    SELECT measure, dimension, value, date_trunc('month', day, 'UTC'), bucket, sum(answers),
           sum(seconds)
    FROM delta GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    {_ADD};
"""  # noqa: S608 (the rows are this module's constants)


ROWS = {
    "insert": "SELECT 1 AS sign, * FROM new_rows",
    "delete": "SELECT -1 AS sign, * FROM old_rows",
    "update": """
        WITH changed AS (
            SELECT o.id FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE (o.published_at, o.source_id, o.language, o.kind, o.department_id,
                   o.aspects, o.relevant, o.first_response_at, o.resolved_at, o.received_at,
                   o.first_response_business_seconds, o.resolution_business_seconds)
                  IS DISTINCT FROM
                  (n.published_at, n.source_id, n.language, n.kind, n.department_id,
                   n.aspects, n.relevant, n.first_response_at, n.resolved_at, n.received_at,
                   n.first_response_business_seconds, n.resolution_business_seconds)
        )
        SELECT -1 AS sign, o.* FROM old_rows o JOIN changed USING (id)
        UNION ALL
        SELECT 1 AS sign, n.* FROM new_rows n JOIN changed USING (id)
    """,
}


def trigger_functions() -> str:
    return "".join(
        f"""
CREATE OR REPLACE FUNCTION reports_clock_{op}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{upsert_days_and_months(rows)}
    RETURN NULL;
END $$;
"""
        for op, rows in ROWS.items()
    )


TRIGGERS = """
CREATE TRIGGER reports_clock_insert AFTER INSERT ON mentions_mention
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_clock_insert();
CREATE TRIGGER reports_clock_update AFTER UPDATE ON mentions_mention
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION reports_clock_update();
CREATE TRIGGER reports_clock_delete AFTER DELETE ON mentions_mention
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_clock_delete();
CREATE OR REPLACE FUNCTION reports_clock_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE reports_clockday, reports_clockmonth;
    RETURN NULL;
END $$;
CREATE TRIGGER reports_clock_truncate AFTER TRUNCATE ON mentions_mention
    FOR EACH STATEMENT EXECUTE FUNCTION reports_clock_truncate();
"""
# The rollups counted again from the mentions, by the triggers' own statement.
BACKFILL = f"""
TRUNCATE reports_clockday, reports_clockmonth;
{upsert_days_and_months("SELECT 1 AS sign, * FROM mentions_mention")}
ANALYZE reports_clockday;
ANALYZE reports_clockmonth;
"""  # noqa: S608 (constants)
DROP = """
DROP TRIGGER IF EXISTS reports_clock_insert ON mentions_mention;
DROP TRIGGER IF EXISTS reports_clock_update ON mentions_mention;
DROP TRIGGER IF EXISTS reports_clock_delete ON mentions_mention;
DROP TRIGGER IF EXISTS reports_clock_truncate ON mentions_mention;
DROP FUNCTION IF EXISTS reports_clock_insert(), reports_clock_update(), reports_clock_delete(),
    reports_clock_truncate();
""" + "".join(f"DROP INDEX IF EXISTS mention_clock_bucket_{n};\n" for n in MEASURES)
# `public.reports_clock_bucket` stays: it is shared by every client's bucket indexes (in
# `public`, so that a schema cloned from the template indexes with the same function, not
# the template's), and the other schemas' indexes still use it.
