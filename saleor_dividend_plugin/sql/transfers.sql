-- The ledger keeps one row per movement (TigerBeetle's shape): a transfer debits one account and
-- credits another by a positive amount of one unit, so a posting balances by construction and
-- the trigger no longer sums each posting's legs. `dividend_entry`, which held one row per leg,
-- becomes a view of the transfers as their accounts see them, so everything that reads an
-- account's lines (a member's history, the audit, the reports) reads them as before.

-- forward
-- Each posting's legs become transfers. Per posting and unit, the debit legs and the credit
-- legs are laid end to end in entry order, each covering an interval as long as its amount;
-- every overlap of a debit interval with a credit interval is one transfer of the overlap's
-- length. The legs balance, so the two rows cover the same length and every amount is used up
-- exactly; a posting of one debit and n credits (an order's funding, a release) gives n
-- transfers. Legs were merged per account, so no transfer has the same account on both sides
-- and each account's totals in and out stay what they were.
INSERT INTO dividend_transfer (transaction_id, debit_account_id, credit_account_id, unit, amount)
WITH legs AS MATERIALIZED (
    SELECT id, transaction_id, account_id, unit, abs(amount) AS size, amount < 0 AS debit,
           sum(abs(amount)) OVER (PARTITION BY transaction_id, unit, amount < 0
                                  ORDER BY id) AS upto
      FROM dividend_entry)
SELECT d.transaction_id, d.account_id, c.account_id, d.unit,
       least(d.upto, c.upto) - greatest(d.upto - d.size, c.upto - c.size)
  FROM legs d
  JOIN legs c ON c.transaction_id = d.transaction_id AND c.unit = d.unit AND NOT c.debit
             AND c.upto - c.size < d.upto AND d.upto - d.size < c.upto
 WHERE d.debit
 ORDER BY d.transaction_id, d.id, c.id;

DROP TABLE dividend_entry;
DROP FUNCTION dividend_entry_apply();

-- A transfer's two sides. The id is the transfer's times two (plus one on the debit side):
-- unique across both halves and in posting order.
CREATE VIEW dividend_entry AS
    SELECT 2 * id AS id, transaction_id, credit_account_id AS account_id, unit, amount
      FROM dividend_transfer
    UNION ALL
    SELECT 2 * id + 1, transaction_id, debit_account_id, unit, -amount
      FROM dividend_transfer;

ALTER TABLE dividend_transfer ADD CONSTRAINT dividend_transfer_whole_points
    CHECK (unit <> 'PTS' OR amount = trunc(amount));

CREATE FUNCTION dividend_transfer_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
    groups bigint;
    updated bigint;
BEGIN
    -- A posting's transfers are written by one statement: none may be added later.
    SELECT n.transaction_id INTO bad
      FROM (SELECT transaction_id, min(id) AS first_id FROM new_transfers GROUP BY 1) n
     WHERE EXISTS (SELECT 1 FROM dividend_transfer x
                    WHERE x.transaction_id = n.transaction_id AND x.id < n.first_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % already has transfers: postings are immutable',
            bad.transaction_id USING ERRCODE = '23514', CONSTRAINT = 'dividend_transfer_sealed';
    END IF;
    SELECT n.transaction_id INTO bad
      FROM (SELECT DISTINCT transaction_id FROM new_transfers) n
     WHERE NOT EXISTS (SELECT 1 FROM dividend_transaction t WHERE t.id = n.transaction_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not exist', bad.transaction_id
            USING ERRCODE = '23503', CONSTRAINT = 'dividend_transfer_transaction';
    END IF;
    -- Each account's change, in account order (their physical order; see ledger_bulk.sql). An
    -- account whose unit is not the transfer's matches no row, and the counts differ.
    WITH sides AS (
        SELECT credit_account_id AS account_id, unit, amount AS put_in, 0::numeric AS took_out
          FROM new_transfers
        UNION ALL
        SELECT debit_account_id, unit, 0, amount FROM new_transfers),
    d AS MATERIALIZED (
        SELECT account_id, unit, sum(put_in) AS put_in, sum(took_out) AS took_out
          FROM sides GROUP BY account_id, unit ORDER BY account_id),
    u AS (UPDATE dividend_account a SET balance = a.balance + d.put_in - d.took_out,
                 total_in = a.total_in + d.put_in, total_out = a.total_out + d.took_out
            FROM d WHERE a.id = d.account_id AND a.unit = d.unit RETURNING 1)
    SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM u) INTO groups, updated;
    IF groups <> updated THEN
        RAISE EXCEPTION 'a transfer names an account that does not exist or has another unit'
            USING ERRCODE = '23503', CONSTRAINT = 'dividend_transfer_account_unit';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER dividend_transfer_apply AFTER INSERT ON dividend_transfer
    REFERENCING NEW TABLE AS new_transfers
    FOR EACH STATEMENT EXECUTE FUNCTION dividend_transfer_apply();
CREATE TRIGGER dividend_transfer_immutable BEFORE UPDATE OR DELETE ON dividend_transfer
    FOR EACH STATEMENT EXECUTE FUNCTION dividend_refuse_change();

CREATE OR REPLACE FUNCTION dividend_account_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.unit = OLD.unit THEN
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM dividend_transfer WHERE debit_account_id = OLD.id)
       OR EXISTS (SELECT 1 FROM dividend_transfer WHERE credit_account_id = OLD.id) THEN
        RAISE EXCEPTION 'account % has ledger entries: it cannot be removed or change unit',
            OLD.id USING ERRCODE = '23503', CONSTRAINT = 'dividend_transfer_account_unit';
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;

-- reverse
-- Back to one row per leg: each transfer gives its two sides (the view's rows, ids kept).
CREATE TABLE dividend_entry_legs (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    transaction_id bigint NOT NULL,
    account_id bigint NOT NULL,
    unit varchar(8) NOT NULL,
    amount numeric(20, 3) NOT NULL,
    CONSTRAINT dividend_entry_not_zero CHECK (NOT (amount = 0)),
    CONSTRAINT dividend_entry_whole_points CHECK (unit <> 'PTS' OR amount = trunc(amount)));
INSERT INTO dividend_entry_legs (id, transaction_id, account_id, unit, amount)
    SELECT id, transaction_id, account_id, unit, amount FROM dividend_entry ORDER BY id;
SELECT setval(pg_get_serial_sequence('dividend_entry_legs', 'id'), coalesce(max(id), 0) + 1, false)
  FROM dividend_entry_legs;
DROP VIEW dividend_entry;
ALTER TABLE dividend_entry_legs RENAME TO dividend_entry;
ALTER INDEX dividend_entry_legs_pkey RENAME TO dividend_entry_pkey;
CREATE INDEX dividend_entry_account ON dividend_entry (account_id, transaction_id);
CREATE INDEX dividend_entry_transaction ON dividend_entry (transaction_id, id);
-- ENTRY_APPLY: the previous version's trigger function (sql/pool_figures.sql), put here by the
-- migration.
CREATE TRIGGER dividend_entry_apply AFTER INSERT ON dividend_entry
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION dividend_entry_apply();
CREATE TRIGGER dividend_entry_immutable BEFORE UPDATE OR DELETE ON dividend_entry
    FOR EACH STATEMENT EXECUTE FUNCTION dividend_refuse_change();
CREATE OR REPLACE FUNCTION dividend_account_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.unit = OLD.unit THEN
        RETURN NEW;
    END IF;
    IF EXISTS (SELECT 1 FROM dividend_entry WHERE account_id = OLD.id) THEN
        RAISE EXCEPTION 'account % has ledger entries: it cannot be removed or change unit',
            OLD.id USING ERRCODE = '23503', CONSTRAINT = 'dividend_entry_account_unit';
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$$;
DROP TRIGGER dividend_transfer_immutable ON dividend_transfer;
DROP TRIGGER dividend_transfer_apply ON dividend_transfer;
DROP FUNCTION dividend_transfer_apply();
