from pathlib import Path

from django.db import migrations

SQL = (Path(__file__).resolve().parent.parent / "sql" / "ledger.sql").read_text()
FORWARD, REVERSE = SQL.split("-- reverse\n")


class Migration(migrations.Migration):
    dependencies = [("saleor_dividend_plugin", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
