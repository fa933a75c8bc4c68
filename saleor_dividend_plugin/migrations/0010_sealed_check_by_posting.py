import re
from pathlib import Path

from django.db import migrations

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"
# The ledger's statement trigger as 0008_transfers created it (sql/transfers.sql).
APPLY = re.search(
    r"CREATE FUNCTION dividend_transfer_apply\(\).*?\n\$\$;\n",
    (SQL_DIR / "transfers.sql").read_text(),
    re.S,
).group(0)
# Its sealed-posting check asked for an older transfer of the posting by `id < first id`, which
# PostgreSQL planned as a walk down the primary key wherever its statistics gave a posting many
# transfers (a store whose daily release is most of its transfers): half a second per posting at
# four million transfers. The posting's first transfer, read in the order of its index, answers
# the same question in one index probe whatever the statistics say.
BY_ID = """\
     WHERE EXISTS (SELECT 1 FROM dividend_transfer x
                    WHERE x.transaction_id = n.transaction_id AND x.id < n.first_id)
"""
# (A range rather than `=`: with `=` the planner takes transaction_id as fixed, finds the primary
# key in the order asked for, and walks it again. Only the (transaction_id, id) index holds the
# rows in this order, so one probe of it finds the posting's first transfer.)
BY_POSTING = """\
     CROSS JOIN LATERAL (SELECT x.id FROM dividend_transfer x
                          WHERE x.transaction_id BETWEEN n.transaction_id AND n.transaction_id
                          ORDER BY x.transaction_id, x.id LIMIT 1) earliest
     WHERE earliest.id < n.first_id
"""
assert APPLY.count(BY_ID) == 1, "sql/transfers.sql's sealed check changed"
BEFORE = APPLY.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
AFTER = BEFORE.replace(BY_ID, BY_POSTING)


class Migration(migrations.Migration):

    dependencies = [
        ("saleor_dividend_plugin", "0009_drain_calls"),
    ]

    operations = [migrations.RunSQL(AFTER, BEFORE)]
