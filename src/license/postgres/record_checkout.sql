-- Records a checkout in one statement, which commits by itself: the write of a checkout
-- in one round trip, with the locks held only while the server runs it.
--
-- Takes the ClientToken lock, then the license lock, as every write of libcheckout does.
-- Returns the recorded response (part 1) when the ClientToken has one. Returns the usage
-- (part 3 rows, then a part 2 row) when the consumed quantity of an entitlement is outside
-- the bounds within which the caller's plan grants the same entitlements. Otherwise inserts
-- the consumption, its holdings, their usage and the ClientToken record, and returns a part 0
-- row. The lock keys come from the caller, which computes them as every other write does.
-- The commit does not wait for the disk; the caller waits for a durability barrier after it.
--
-- The name carries a version: a change to the parameters, the result or the behaviour gets a
-- new name, so servers of different versions can share one database, and a store creates the
-- function only when it is missing.
CREATE OR REPLACE FUNCTION lm_record_checkout_v1(
    p_operation TEXT, p_client_token TEXT, p_request_hash TEXT, p_response TEXT,
    p_token_lock_high INTEGER, p_token_lock_low INTEGER, p_license_lock BIGINT, p_now BIGINT,
    p_bound_names TEXT[], p_bound_min BIGINT[], p_bound_max BIGINT[],
    p_token TEXT, p_license_arn TEXT, p_kind TEXT, p_node_id TEXT, p_issued_at BIGINT,
    p_expiration BIGINT, p_checked_in BOOLEAN, p_algorithm TEXT, p_metadata TEXT,
    p_entitlements TEXT, p_held_until BIGINT,
    p_names TEXT[], p_quantities BIGINT[], p_overages BIGINT[])
RETURNS TABLE (part INTEGER, text1 TEXT, text2 TEXT, n1 BIGINT, n2 BIGINT)
LANGUAGE plpgsql AS $body$
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);

    PERFORM pg_advisory_xact_lock(p_token_lock_high, p_token_lock_low);
    RETURN QUERY SELECT 1, t.request_hash, t.response, NULL::BIGINT, NULL::BIGINT
        FROM lm_client_tokens t
        WHERE t.operation = p_operation AND t.client_token = p_client_token;
    IF FOUND THEN
        RETURN;
    END IF;

    -- Each statement of this function reads a new snapshot, so the statements after the lock
    -- see what the lock's previous holder committed.
    PERFORM pg_advisory_xact_lock(p_license_lock);
    IF EXISTS (
        SELECT 1 FROM unnest(p_bound_names, p_bound_min, p_bound_max) AS b (name, low, high)
        WHERE (SELECT COALESCE(SUM(u.quantity), 0) FROM lm_usage u
               WHERE u.license_arn = p_license_arn AND u.held_until > p_now AND u.name = b.name)
            NOT BETWEEN b.low AND b.high
    ) THEN
        RETURN QUERY SELECT 3, u.name, NULL::TEXT, SUM(u.quantity)::BIGINT, SUM(u.overage)::BIGINT
            FROM lm_usage u
            WHERE u.license_arn = p_license_arn AND u.held_until > p_now
            GROUP BY u.name;
        RETURN QUERY SELECT 2, NULL::TEXT, NULL::TEXT, NULL::BIGINT, NULL::BIGINT;
        RETURN;
    END IF;

    INSERT INTO lm_consumptions (token, license_arn, kind, node_id, issued_at, expiration,
                                 checked_in, algorithm, metadata, entitlements)
        VALUES (p_token, p_license_arn, p_kind, p_node_id, p_issued_at, p_expiration,
                p_checked_in, p_algorithm, p_metadata, p_entitlements);
    INSERT INTO lm_holdings (token, license_arn, name, quantity, overage, held_until)
        SELECT p_token, p_license_arn, g.name, g.quantity, g.overage, p_held_until
        FROM unnest(p_names, p_quantities, p_overages) AS g (name, quantity, overage);
    INSERT INTO lm_usage AS u (license_arn, name, held_until, quantity, overage)
        SELECT p_license_arn, g.name, COALESCE(p_held_until, 9223372036854775807),
               SUM(g.quantity), SUM(g.overage)
        FROM unnest(p_names, p_quantities, p_overages) AS g (name, quantity, overage)
        GROUP BY g.name
        ON CONFLICT (license_arn, held_until, name) DO UPDATE
        SET quantity = u.quantity + EXCLUDED.quantity, overage = u.overage + EXCLUDED.overage;
    INSERT INTO lm_client_tokens (operation, client_token, request_hash, response)
        VALUES (p_operation, p_client_token, p_request_hash, p_response);
    RETURN QUERY SELECT 0, NULL::TEXT, NULL::TEXT, NULL::BIGINT, NULL::BIGINT;
END
$body$;
