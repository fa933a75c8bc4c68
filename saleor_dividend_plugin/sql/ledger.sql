-- The ledger's rules, kept by PostgreSQL itself so that no code path can break them.
-- Statement-level triggers with transition tables keep a million-row settlement set-based.

-- forward
-- Confirmation order of queue entries: strictly FIFO, ties impossible.
CREATE SEQUENCE dividend_queue_seq;
ALTER TABLE dividend_account ADD CONSTRAINT dividend_account_id_unit UNIQUE (id, unit);
ALTER TABLE dividend_entry ADD CONSTRAINT dividend_entry_account_unit
    FOREIGN KEY (account_id, unit) REFERENCES dividend_account (id, unit);
ALTER TABLE dividend_entry ADD CONSTRAINT dividend_entry_whole_points
    CHECK (unit <> 'PTS' OR amount = trunc(amount));

CREATE FUNCTION dividend_entry_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
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

CREATE TRIGGER dividend_entry_apply AFTER INSERT ON dividend_entry
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION dividend_entry_apply();

CREATE FUNCTION dividend_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: post a correcting transaction instead', TG_TABLE_NAME
        USING ERRCODE = '42501';
END
$$;

CREATE TRIGGER dividend_entry_immutable BEFORE UPDATE OR DELETE ON dividend_entry
    FOR EACH STATEMENT EXECUTE FUNCTION dividend_refuse_change();
CREATE TRIGGER dividend_transaction_immutable BEFORE UPDATE OR DELETE ON dividend_transaction
    FOR EACH STATEMENT EXECUTE FUNCTION dividend_refuse_change();

-- Balances move only through entries: a direct write (depth 0) is refused, the entry trigger's
-- own UPDATE (depth 1) passes. Evaluated in WHEN so the common path calls no function per row.
CREATE FUNCTION dividend_refuse_balance_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'dividend_account.balance is kept by the ledger: post entries instead'
        USING ERRCODE = '42501';
END
$$;

CREATE TRIGGER dividend_account_balance_guard BEFORE UPDATE OF balance ON dividend_account
    FOR EACH ROW WHEN (pg_trigger_depth() < 1 AND OLD.balance IS DISTINCT FROM NEW.balance)
    EXECUTE FUNCTION dividend_refuse_balance_write();
CREATE TRIGGER dividend_account_opening_guard BEFORE INSERT ON dividend_account
    FOR EACH ROW WHEN (NEW.balance <> 0)
    EXECUTE FUNCTION dividend_refuse_balance_write();

-- reverse
DROP SEQUENCE IF EXISTS dividend_queue_seq;
DROP TRIGGER IF EXISTS dividend_account_opening_guard ON dividend_account;
DROP TRIGGER IF EXISTS dividend_account_balance_guard ON dividend_account;
DROP FUNCTION IF EXISTS dividend_refuse_balance_write();
DROP TRIGGER IF EXISTS dividend_transaction_immutable ON dividend_transaction;
DROP TRIGGER IF EXISTS dividend_entry_immutable ON dividend_entry;
DROP FUNCTION IF EXISTS dividend_refuse_change();
DROP TRIGGER IF EXISTS dividend_entry_apply ON dividend_entry;
DROP FUNCTION IF EXISTS dividend_entry_apply();
ALTER TABLE dividend_entry DROP CONSTRAINT IF EXISTS dividend_entry_whole_points;
ALTER TABLE dividend_entry DROP CONSTRAINT IF EXISTS dividend_entry_account_unit;
ALTER TABLE dividend_account DROP CONSTRAINT IF EXISTS dividend_account_id_unit;
