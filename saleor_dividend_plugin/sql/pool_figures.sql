-- Figures anyone may read, kept in the statement that changes what they count, so that reading
-- them costs one row whatever the history:
-- * each account's total_in and total_out (what its entries put in and took out), next to its
--   balance, by the ledger trigger;
-- * each channel's queue tally (entries waiting, what they are still owed, entries freed), by a
--   trigger on the queue entries.
-- Like balances, neither can be written directly; the audit checks both against the rows.

-- forward
ALTER TABLE dividend_account ALTER COLUMN total_in SET DEFAULT 0;
ALTER TABLE dividend_account ALTER COLUMN total_out SET DEFAULT 0;
UPDATE dividend_account a SET total_in = s.total_in, total_out = s.total_out
  FROM (SELECT account_id,
               coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS total_in,
               coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS total_out
          FROM dividend_entry GROUP BY account_id) s
 WHERE a.id = s.account_id;

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
        SELECT account_id, unit, sum(amount) AS delta,
               coalesce(sum(amount) FILTER (WHERE amount > 0), 0) AS delta_in,
               coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS delta_out
          FROM new_entries GROUP BY account_id, unit ORDER BY account_id),
    u AS (UPDATE dividend_account a SET balance = a.balance + d.delta,
                 total_in = a.total_in + d.delta_in, total_out = a.total_out + d.delta_out
            FROM d WHERE a.id = d.account_id AND a.unit = d.unit RETURNING 1)
    SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM u) INTO groups, updated;
    IF groups <> updated THEN
        RAISE EXCEPTION 'ledger entries name an account that does not exist or has another unit'
            USING ERRCODE = '23503', CONSTRAINT = 'dividend_entry_account_unit';
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER dividend_account_balance_guard ON dividend_account;
DROP TRIGGER dividend_account_opening_guard ON dividend_account;
CREATE TRIGGER dividend_account_balance_guard
    BEFORE UPDATE OF balance, total_in, total_out ON dividend_account
    FOR EACH ROW WHEN (pg_trigger_depth() < 1 AND (OLD.balance, OLD.total_in, OLD.total_out)
                       IS DISTINCT FROM (NEW.balance, NEW.total_in, NEW.total_out))
    EXECUTE FUNCTION dividend_refuse_balance_write();
CREATE TRIGGER dividend_account_opening_guard BEFORE INSERT ON dividend_account
    FOR EACH ROW WHEN (NEW.balance <> 0 OR NEW.total_in <> 0 OR NEW.total_out <> 0)
    EXECUTE FUNCTION dividend_refuse_balance_write();

INSERT INTO dividend_queue_tally (channel_id, waiting, remaining, freed)
SELECT channel_id, count(*) FILTER (WHERE status = 'waiting'),
       coalesce(sum(target - received) FILTER (WHERE status = 'waiting'), 0),
       count(*) FILTER (WHERE status = 'freed')
  FROM dividend_queue_entry GROUP BY channel_id;

-- One function for the three events; each branch reads only the transition tables its event has.
CREATE FUNCTION dividend_queue_tally_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM dividend_queue_tally_add(array_agg(channel_id), array_agg(status),
                                         array_agg(target - received), array_agg(1))
           FROM new_rows;
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM dividend_queue_tally_add(array_agg(channel_id), array_agg(status),
                                         array_agg(owed), array_agg(sign))
           FROM (SELECT channel_id, status, target - received AS owed, 1 AS sign FROM new_rows
                 UNION ALL
                 SELECT channel_id, status, target - received, -1 FROM old_rows) changes;
    ELSE
        PERFORM dividend_queue_tally_add(array_agg(channel_id), array_agg(status),
                                         array_agg(target - received), array_agg(-1))
           FROM old_rows;
    END IF;
    RETURN NULL;
END
$$;

-- Adds rows entering (sign 1) and leaving (sign -1) the tally's counts.
CREATE FUNCTION dividend_queue_tally_add(channels bigint[], statuses varchar[], owed numeric[],
                                         signs int[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO dividend_queue_tally AS t (channel_id, waiting, remaining, freed)
    SELECT c.channel_id,
           coalesce(sum(c.sign) FILTER (WHERE c.status = 'waiting'), 0),
           coalesce(sum(c.sign * c.owed) FILTER (WHERE c.status = 'waiting'), 0),
           coalesce(sum(c.sign) FILTER (WHERE c.status = 'freed'), 0)
      FROM unnest(channels, statuses, owed, signs) AS c(channel_id, status, owed, sign)
     GROUP BY c.channel_id
    HAVING sum(c.sign) FILTER (WHERE c.status = 'waiting') <> 0
        OR sum(c.sign * c.owed) FILTER (WHERE c.status = 'waiting') <> 0
        OR sum(c.sign) FILTER (WHERE c.status = 'freed') <> 0
    ON CONFLICT (channel_id) DO UPDATE SET waiting = t.waiting + excluded.waiting,
        remaining = t.remaining + excluded.remaining, freed = t.freed + excluded.freed;
$$;

CREATE TRIGGER dividend_queue_tally_insert AFTER INSERT ON dividend_queue_entry
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dividend_queue_tally_apply();
CREATE TRIGGER dividend_queue_tally_update AFTER UPDATE ON dividend_queue_entry
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dividend_queue_tally_apply();
CREATE TRIGGER dividend_queue_tally_delete AFTER DELETE ON dividend_queue_entry
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION dividend_queue_tally_apply();

-- The tally moves only with the queue entries (the triggers above run at depth 1).
CREATE FUNCTION dividend_refuse_tally_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'dividend_queue_tally is kept from the queue entries: change those instead'
        USING ERRCODE = '42501';
END
$$;

CREATE TRIGGER dividend_queue_tally_guard BEFORE INSERT OR UPDATE OR DELETE ON dividend_queue_tally
    FOR EACH ROW WHEN (pg_trigger_depth() < 1)
    EXECUTE FUNCTION dividend_refuse_tally_write();

-- reverse
DROP TRIGGER IF EXISTS dividend_queue_tally_guard ON dividend_queue_tally;
DROP FUNCTION IF EXISTS dividend_refuse_tally_write();
DROP TRIGGER IF EXISTS dividend_queue_tally_delete ON dividend_queue_entry;
DROP TRIGGER IF EXISTS dividend_queue_tally_update ON dividend_queue_entry;
DROP TRIGGER IF EXISTS dividend_queue_tally_insert ON dividend_queue_entry;
DROP FUNCTION IF EXISTS dividend_queue_tally_apply();
DROP FUNCTION IF EXISTS dividend_queue_tally_add(bigint[], varchar[], numeric[], int[]);
DELETE FROM dividend_queue_tally;
DROP TRIGGER dividend_account_opening_guard ON dividend_account;
DROP TRIGGER dividend_account_balance_guard ON dividend_account;
CREATE TRIGGER dividend_account_balance_guard BEFORE UPDATE OF balance ON dividend_account
    FOR EACH ROW WHEN (pg_trigger_depth() < 1 AND OLD.balance IS DISTINCT FROM NEW.balance)
    EXECUTE FUNCTION dividend_refuse_balance_write();
CREATE TRIGGER dividend_account_opening_guard BEFORE INSERT ON dividend_account
    FOR EACH ROW WHEN (NEW.balance <> 0)
    EXECUTE FUNCTION dividend_refuse_balance_write();
CREATE OR REPLACE FUNCTION dividend_entry_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
    groups bigint;
    updated bigint;
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
