-- Bulk postings (the daily release writes two entries per member in one statement) check and
-- apply their entries set-based instead of row by row. Supersedes parts of ledger.sql:
-- * the (account, unit) foreign key: its row-level check locked every account row once for the
--   check and again for the balance update. The balance UPDATE below matches on (id, unit) and
--   must touch one account per distinct (account, unit) of the statement, or it fails.
-- * Django's foreign key from an entry to its transaction: checked per row at commit. The
--   trigger checks each transaction of the statement once; transactions are never deleted.
-- * the balance UPDATE visits the accounts in id order (their physical order) instead of
--   hash order: at a million members the account table outgrows shared_buffers, and random
--   order turned each row update into a page read.

-- forward
ALTER TABLE dividend_entry DROP CONSTRAINT dividend_entry_account_unit;
ALTER TABLE dividend_account DROP CONSTRAINT dividend_account_id_unit;

CREATE OR REPLACE FUNCTION dividend_entry_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
    groups bigint;
    updated bigint;
BEGIN
    -- A transaction's entries are written by one statement, so the new rows alone decide
    -- whether it balances.
    SELECT n.transaction_id INTO bad
      FROM (SELECT transaction_id, min(id) AS first_id FROM new_entries GROUP BY 1) n
     WHERE EXISTS (SELECT 1 FROM dividend_entry e
                    WHERE e.transaction_id = n.transaction_id AND e.id < n.first_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % already has entries: entries are immutable',
            bad.transaction_id USING ERRCODE = '23514', CONSTRAINT = 'dividend_entry_sealed';
    END IF;
    SELECT n.transaction_id INTO bad
      FROM (SELECT DISTINCT transaction_id FROM new_entries) n
     WHERE NOT EXISTS (SELECT 1 FROM dividend_transaction t WHERE t.id = n.transaction_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not exist', bad.transaction_id
            USING ERRCODE = '23503', CONSTRAINT = 'dividend_entry_transaction';
    END IF;
    SELECT transaction_id, unit, sum(amount) AS off INTO bad
      FROM new_entries GROUP BY transaction_id, unit HAVING sum(amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance in %: off by %',
            bad.transaction_id, bad.unit, bad.off
            USING ERRCODE = '23514', CONSTRAINT = 'dividend_entry_balanced';
    END IF;
    WITH d AS MATERIALIZED (
        SELECT account_id, unit, sum(amount) AS delta FROM new_entries
         GROUP BY account_id, unit ORDER BY account_id),
    u AS (UPDATE dividend_account a SET balance = a.balance + d.delta
            FROM d WHERE a.id = d.account_id AND a.unit = d.unit RETURNING 1)
    SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM u) INTO groups, updated;
    IF groups <> updated THEN
        RAISE EXCEPTION 'ledger entries name an account that does not exist or has another unit'
            USING ERRCODE = '23503', CONSTRAINT = 'dividend_entry_account_unit';
    END IF;
    RETURN NULL;
END
$$;

-- Without foreign keys pointing at them, accounts are kept from going away (or changing unit)
-- under their entries here.
CREATE FUNCTION dividend_account_keep() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER dividend_account_keep BEFORE DELETE OR UPDATE OF id, unit ON dividend_account
    FOR EACH ROW EXECUTE FUNCTION dividend_account_keep();

-- reverse
DROP TRIGGER IF EXISTS dividend_account_keep ON dividend_account;
DROP FUNCTION IF EXISTS dividend_account_keep();
CREATE OR REPLACE FUNCTION dividend_entry_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    SELECT n.transaction_id INTO bad
      FROM (SELECT transaction_id, min(id) AS first_id FROM new_entries GROUP BY 1) n
     WHERE EXISTS (SELECT 1 FROM dividend_entry e
                    WHERE e.transaction_id = n.transaction_id AND e.id < n.first_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % already has entries: entries are immutable',
            bad.transaction_id USING ERRCODE = '23514', CONSTRAINT = 'dividend_entry_sealed';
    END IF;
    SELECT transaction_id, unit, sum(amount) AS off INTO bad
      FROM new_entries GROUP BY transaction_id, unit HAVING sum(amount) <> 0 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance in %: off by %',
            bad.transaction_id, bad.unit, bad.off
            USING ERRCODE = '23514', CONSTRAINT = 'dividend_entry_balanced';
    END IF;
    UPDATE dividend_account a
       SET balance = a.balance + d.delta
      FROM (SELECT account_id, sum(amount) AS delta FROM new_entries GROUP BY account_id) d
     WHERE a.id = d.account_id;
    RETURN NULL;
END
$$;
ALTER TABLE dividend_account ADD CONSTRAINT dividend_account_id_unit UNIQUE (id, unit);
ALTER TABLE dividend_entry ADD CONSTRAINT dividend_entry_account_unit
    FOREIGN KEY (account_id, unit) REFERENCES dividend_account (id, unit);
