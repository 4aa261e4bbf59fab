"""``json_number(float8)``: a float as JSON text, written as the API's serialiser (orjson)
writes it, so JSON that PostgreSQL builds is byte for byte what the Python path sends.

orjson writes plain decimals for 1e-5 <= |x| < 1e16, with ".0" when the value is whole
(52000.0), and otherwise the shortest digits in scientific form without zero-padding the
exponent (1.5e-7, 1e+16). PostgreSQL's float8 output has the same shortest digits but
switches to scientific form outside 1e-4 <= |x| < 1e15 and pads the exponent (1.5e-07).
The two agree on every value below 1e16 in magnitude (checked on 100,000 random floats);
above it, whole numbers get a 17th digit from PostgreSQL. Nothing in the register (amounts
in 万元, distances in metres, coordinates) comes near.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CREATE = r"""
-- PostgreSQL wrote "d[.ddd]e±XX"; orjson writes plain digits from 1e-5 to below 1e16.
CREATE FUNCTION json_number_scientific(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  WITH parts AS (
    SELECT (regexp_match(t, '^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$')) AS m
  ), split AS (
    SELECT m[1] AS sign, m[2] || coalesce(m[3], '') AS digits, m[4]::int AS e,
           m[2] || coalesce('.' || m[3], '') AS mantissa
    FROM parts
  )
  SELECT CASE
    WHEN e < -5 OR e >= 16 THEN sign || mantissa || 'e' || CASE WHEN e > 0 THEN '+' ELSE '' END || e
    WHEN e < 0 THEN sign || '0.' || repeat('0', -e - 1) || digits
    WHEN length(digits) > e + 1 THEN sign || left(digits, e + 1) || '.' || substr(digits, e + 2)
    ELSE sign || rpad(digits, e + 1, '0') || '.0'
  END
  FROM split
$$;

CREATE FUNCTION json_number(v float8) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN v IS NULL OR v = 'NaN'::float8 OR v IN ('Infinity', '-Infinity') THEN 'null'
    WHEN v::text ~ 'e' THEN json_number_scientific(v::text)
    WHEN v::text ~ '\.' THEN v::text
    ELSE v::text || '.0'
  END
$$;
"""


def upgrade() -> None:
    op.execute(CREATE)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS json_number(float8)")
    op.execute("DROP FUNCTION IF EXISTS json_number_scientific(text)")
