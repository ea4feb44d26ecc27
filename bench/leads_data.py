"""Generate the lead benchmark's data set in Postgres: 1,000,000 leads, one business with half.

Names are 75% Hebrew and 25% English, phones Israeli mobiles, statuses and
sources spread like a real pipeline, created_at over two years with import
batches that share a timestamp (the leads anchors' generator, in SQL).
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from crm_app.db import unit_of_work
from crm_app.services import accounts

HEBREW_FIRST = [
    "נועה",
    "יוסי",
    "מיכל",
    "אבי",
    "שירה",
    "דני",
    "תמר",
    "איתי",
    "רונית",
    "משה",
    "הילה",
    "עומר",
    "יעל",
    "אורי",
    "ליאת",
    "גיל",
    "מאיה",
    "רועי",
    "ענבל",
    "אלון",
    "שרה",
    "דוד",
]
HEBREW_LAST = [
    "כהן",
    "לוי",
    "מזרחי",
    "פרץ",
    "ביטון",
    "אברהם",
    "פרידמן",
    "אזולאי",
    "דהן",
    "אוחיון",
    "גבאי",
    "שפירא",
    "רוזנברג",
    "חדד",
    "קליין",
    "אביטל",
    "גולדשטיין",
    "יוסף",
]
ENGLISH_FIRST = [
    "David",
    "Sarah",
    "Michael",
    "Emily",
    "Daniel",
    "Rachel",
    "Jonathan",
    "Hannah",
    "Adam",
    "Olivia",
    "Ethan",
    "Leah",
    "William",
    "John",
    "Elizabeth",
]
ENGLISH_LAST = [
    "Cohen",
    "Smith",
    "Levy",
    "Goldberg",
    "Miller",
    "Katz",
    "Brown",
    "Friedman",
    "Stein",
    "Green",
    "Kaiser",
    "Williams",
]
BUSINESSES = 20
BIG_SHARE = 0.5


def _array(values: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def create_businesses(count: int = BUSINESSES) -> list[int]:
    """Businesses with the default statuses, and one owner each."""
    ids = []
    with unit_of_work() as session:
        for i in range(count):
            business = accounts.create_business(
                session, name=f"עסק {i + 1}", phone=f"+9723{5000000 + i:07d}"
            )
            assert business.id is not None
            ids.append(business.id)
    return ids


def _insert_sql(business_id: int, rows: int, offset: int) -> str:
    return f"""
    WITH s AS (SELECT id, key FROM lead_status WHERE business_id = {business_id}),
    g AS (
      SELECT n, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5,
             random() AS r6, random() AS r7, random() AS r8, random() AS r9
      FROM generate_series({offset}, {offset + rows - 1}) AS n
    )
    INSERT INTO lead (business_id, name, phone_e164, phone_digits, email, city, source, status_id,
                      owner_id, created_at, updated_at)
    SELECT {business_id},
      CASE WHEN r1 < 0.75
        THEN ({_array(HEBREW_FIRST)})[1 + floor(r2 * {len(HEBREW_FIRST)})::int] || ' ' ||
             ({_array(HEBREW_LAST)})[1 + floor(r3 * {len(HEBREW_LAST)})::int]
        ELSE ({_array(ENGLISH_FIRST)})[1 + floor(r2 * {len(ENGLISH_FIRST)})::int] || ' ' ||
             ({_array(ENGLISH_LAST)})[1 + floor(r3 * {len(ENGLISH_LAST)})::int] END,
      '+9725' || lpad(n::text, 8, '0'),
      '9725' || lpad(n::text, 8, '0'),
      CASE WHEN r4 < 0.6 THEN 'user' || n || (ARRAY['@gmail.com','@walla.co.il','@example.com'])
           [1 + floor(r5 * 3)::int] ELSE '' END,
      (ARRAY['תל אביב','ירושלים','חיפה','באר שבע',''])[1 + floor(r6 * 5)::int],
      (ARRAY['phone_ai','web_form','manual','whatsapp','import','referral'])
        [1 + floor(r7 * 6)::int],
      (SELECT id FROM s WHERE key = CASE
          WHEN r5 < 0.30 THEN 'new' WHEN r5 < 0.50 THEN 'attempting' WHEN r5 < 0.68 THEN 'contacted'
          WHEN r5 < 0.78 THEN 'qualified' WHEN r5 < 0.84 THEN 'won' WHEN r5 < 0.94 THEN 'lost'
          ELSE 'unqualified' END),
      NULL,
      now() - (CASE WHEN r8 < 0.064 THEN floor(r9 * 200) ELSE r9 * 730 END) * interval '1 day',
      now()
    FROM g
    """


def generate(engine: Engine, total: int = 1_000_000) -> int:
    """Fill the database; returns the id of the business holding half the leads."""
    started = time.monotonic()
    businesses = create_businesses()
    big = int(total * BIG_SHARE)
    rest = total - big
    weights = [1 / (i + 1) for i in range(len(businesses) - 1)]
    shares = [int(rest * w / sum(weights)) for w in weights]
    shares[0] += rest - sum(shares)
    offset = 0
    with engine.begin() as conn:
        for business_id, rows in zip(businesses, [big, *shares], strict=True):
            for chunk_start in range(0, rows, 100_000):
                chunk = min(100_000, rows - chunk_start)
                conn.execute(sa.text(_insert_sql(business_id, chunk, offset)))
                offset += chunk
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE lead"))
    print(
        f"generated {total:,} leads in {time.monotonic() - started:.0f} s "
        f"(business {businesses[0]} holds {big:,})"
    )
    return businesses[0]
