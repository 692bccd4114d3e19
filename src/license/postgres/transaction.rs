//! The store's statements inside one transaction, and the advisory locks that serialize
//! writers of one license.
//!
//! A write transaction takes each lock just before it first reads what the lock guards: first
//! the ClientToken it may record (the two-integer lock space), then the license whose
//! consumptions it reads (the 64-bit lock space); where it locks several licenses it takes them
//! in the order of their keys. So two writers never wait for each other in a cycle, and the two
//! spaces never collide in PostgreSQL. A key is the first 8 bytes of the SHA-256 of a tagged
//! name, so every server and every libcheckout version computes the same key; two names that
//! share a key only share a lock.
//!
//! Statements whose results the store does not read wait in the transaction and travel in
//! the pipeline of the next statement that returns rows. A checkout records itself in one
//! statement instead, the function `lm_record_checkout_v1` of record_checkout.sql, and falls
//! back to the statements here when the usage moved.

use std::collections::HashMap;

use tokio_postgres::types::FromSql;
use tokio_postgres::Row;

use super::connection::{Connection, Param, Query};
use super::{corrupt, LicenseCache};
use crate::alg::Algorithm;
use crate::backend;
use crate::error::{Error, ErrorKind, Result};
use crate::license::model::{CheckoutKind, Consumption, Granted, License};
use crate::license::store::{
    record_checkout_in, CheckoutRecorded, Looked, Lookup, NewCheckout, Recorded, Transaction, Usage,
};

/// The `held_until` of a checked-in consumption's holdings: they hold nothing.
const CHECKED_IN: i64 = 0;

/// The columns of `lm_consumptions` in the order [`decode_consumption`] and the insert use.
macro_rules! consumption_columns {
    () => {
        "token, license_arn, kind, node_id, issued_at, expiration, checked_in, algorithm, metadata, entitlements"
    };
}

/// A consumption, its holdings and their addition to `lm_usage` in one statement; its parameters are
/// [`consumption_params`], $1 to $14. Holdings come from parallel arrays, one element
/// per entitlement with a quantity, and the statement's main clause follows the macro.
macro_rules! insert_consumption_with_holdings {
    () => {
        concat!(
            "WITH consumption AS (INSERT INTO lm_consumptions (",
            consumption_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)),
             granted AS (SELECT * FROM unnest($12::TEXT[], $13::BIGINT[], $14::BIGINT[])
                 AS granted (name, quantity, overage)),
             holdings AS (INSERT INTO lm_holdings (token, license_arn, name, quantity, overage, held_until)
                 SELECT $1, $2, name, quantity, overage, $11 FROM granted),
             usage AS (INSERT INTO lm_usage AS u (license_arn, name, held_until, quantity, overage)
                 SELECT $2, name, COALESCE($11, 9223372036854775807), SUM(quantity), SUM(overage)
                 FROM granted GROUP BY name
                 ON CONFLICT (license_arn, held_until, name) DO UPDATE
                 SET quantity = u.quantity + EXCLUDED.quantity, overage = u.overage + EXCLUDED.overage)"
        )
    };
}

/// Returns the parameters of [`insert_consumption_with_holdings`], $1 to $14: the consumption's
/// columns, its end, and one array element per entitlement with a quantity.
fn consumption_params(consumption: &Consumption) -> Result<Vec<Param>> {
    let held: Vec<&Granted> = consumption
        .entitlements
        .iter()
        .filter(|g| g.quantity > 0)
        .collect();
    let metadata =
        serde_json::to_string(&consumption.metadata).map_err(|_| corrupt("consumption"))?;
    let entitlements =
        serde_json::to_string(&consumption.entitlements).map_err(|_| corrupt("consumption"))?;
    let c = consumption;
    Ok(vec![
        Box::new(c.token.clone()),
        Box::new(c.license_arn.clone()),
        Box::new(c.kind.name()),
        Box::new(c.node_id.clone()),
        Box::new(c.issued_at),
        Box::new(c.expiration),
        Box::new(c.checked_in),
        Box::new(c.algorithm.name()),
        Box::new(metadata),
        Box::new(entitlements),
        Box::new(c.held_until()),
        Box::new(held.iter().map(|g| g.name.clone()).collect::<Vec<String>>()),
        Box::new(held.iter().map(|g| g.quantity).collect::<Vec<i64>>()),
        Box::new(held.iter().map(|g| g.overage).collect::<Vec<i64>>()),
    ])
}

/// The state of a transaction on the server.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// No transaction: `BEGIN` goes out with the first statement that needs one.
    Idle,
    /// `BEGIN` is sent or queued.
    Open,
    /// A read served by one statement outside any transaction; see [`Transaction::lookup`].
    Answered,
}

/// The `BEGIN` of a write transaction, whose commit does not wait for the disk (see
/// [`super::durability`]).
const BEGIN_WRITE: [&str; 2] = ["BEGIN", "SET LOCAL synchronous_commit TO off"];

/// A read needs one snapshot across its statements: the checks before a checkout signs must
/// not see a concurrent request's consumption without its ClientToken record, else they
/// reject a request that should replay.
const BEGIN_READ: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

/// The ClientToken record, the license document when `$5` is true, and the usage, in one
/// statement and so in one snapshot. Each row's first column says which it is.
const LOOKUP: &str = "
SELECT 1, request_hash, response, NULL::BIGINT, NULL::BIGINT
    FROM lm_client_tokens WHERE operation = $1 AND client_token = $2
UNION ALL
SELECT 2, document, NULL, NULL, NULL FROM lm_licenses WHERE arn = $3 AND $5
UNION ALL
SELECT 3, name, NULL, SUM(quantity)::BIGINT, SUM(overage)::BIGINT
    FROM lm_usage WHERE license_arn = $3 AND held_until > $4 GROUP BY name";

/// The end of a transaction.
pub(super) struct Finished {
    pub(super) outcome: Result<()>,
    /// Whether the connection is fit for the pool.
    pub(super) reusable: bool,
    /// Whether the transaction read or wrote anything on the server.
    pub(super) reached_server: bool,
}

pub(super) struct PostgresTransaction<'a> {
    connection: &'a mut Connection,
    licenses: &'a LicenseCache,
    write: bool,
    state: State,
    /// Whether any statement reached the server.
    sent: bool,
    /// Whether the `BEGIN` reached the server.
    begun: bool,
    /// Whether [`Transaction::record_checkout`] ran its one-statement form.
    recorded_at_once: bool,
    /// The license lock keys this transaction holds or has queued.
    locked: Vec<i64>,
    /// Statements whose results the store does not read (the `BEGIN`, locks and writes), held back and
    /// sent in the pipeline of the next statement that returns rows, or of the commit.
    deferred: Vec<Query>,
    /// A consumption to insert, held back so that the ClientToken record that follows it goes
    /// to the server in the same statement.
    pending: Option<Consumption>,
}

impl PostgresTransaction<'_> {
    pub(super) fn new<'a>(
        connection: &'a mut Connection,
        licenses: &'a LicenseCache,
        write: bool,
    ) -> PostgresTransaction<'a> {
        PostgresTransaction {
            connection,
            licenses,
            write,
            state: State::Idle,
            sent: false,
            begun: false,
            recorded_at_once: false,
            locked: Vec::new(),
            deferred: Vec::new(),
            pending: None,
        }
    }

    /// Commits when `outcome` is `Ok` and rolls back otherwise, sending what is deferred with
    /// the `COMMIT`. Returns the outcome, whether the connection is fit for the pool (a
    /// connection whose transaction did not end cleanly is in an unknown state), and whether
    /// the transaction read or wrote anything on the server.
    pub(super) fn finish(mut self, outcome: Result<()>) -> Finished {
        let outcome = outcome.and_then(|()| self.pending_insert());
        if self.state != State::Open || (outcome.is_err() && !self.begun) {
            let reached_server = self.sent;
            return Finished {
                outcome,
                reusable: true,
                reached_server,
            };
        }
        let reached_server = true;

        // A rollback drops what was never sent.
        let mut queries = match &outcome {
            Ok(()) => std::mem::take(&mut self.deferred),
            Err(_) => Vec::new(),
        };
        let end = if outcome.is_ok() {
            "COMMIT"
        } else {
            "ROLLBACK"
        };
        queries.push(Query::new(end, Vec::new(), "commit"));
        let outcomes = match self.connection.pipeline(&queries) {
            Ok(outcomes) => outcomes,
            Err(error) => {
                let outcome = outcome.and(Err(error));
                return Finished {
                    outcome,
                    reusable: false,
                    reached_server,
                };
            }
        };
        let reusable = outcomes.last().is_some_and(|o| o.is_ok());
        let first_error = outcomes.into_iter().find_map(|o| o.err());
        let outcome = match (outcome, first_error) {
            (Err(error), _) | (Ok(()), Some(error)) => Err(error),
            (Ok(()), None) => Ok(()),
        };
        Finished {
            outcome,
            reusable,
            reached_server,
        }
    }

    /// Queues the consumption held back, if any, as a deferred statement.
    fn pending_insert(&mut self) -> Result<()> {
        let Some(consumption) = self.pending.take() else {
            return Ok(());
        };
        self.defer(Query::new(
            concat!(insert_consumption_with_holdings!(), " SELECT 1"),
            consumption_params(&consumption)?,
            "insert a consumption",
        ))
    }

    /// Queues `BEGIN` when nothing is sent yet.
    fn open(&mut self) -> Result<()> {
        match self.state {
            State::Open => return Ok(()),
            State::Answered => {
                return Err(Error::new(
                    ErrorKind::Internal,
                    "a read transaction made a call after a lookup answered it",
                ))
            }
            State::Idle => {}
        }
        self.state = State::Open;
        if self.write {
            for sql in BEGIN_WRITE {
                self.deferred
                    .push(Query::new(sql, Vec::new(), "begin a transaction"));
            }
        } else {
            self.deferred
                .push(Query::new(BEGIN_READ, Vec::new(), "begin a transaction"));
        }
        Ok(())
    }

    fn defer(&mut self, query: Query) -> Result<()> {
        self.open()?;
        self.deferred.push(query);
        Ok(())
    }

    /// Sends what is deferred and then `query`, in one pipeline, and returns the rows of
    /// `query`. Every statement that returns rows comes here, so the transaction always
    /// reads its own writes.
    fn query(&mut self, query: Query) -> Result<Vec<Row>> {
        self.pending_insert()?;
        self.defer(query)?;
        let queries = std::mem::take(&mut self.deferred);
        self.sent = true;
        self.begun = true;
        let mut outcomes = self.connection.pipeline(&queries)?;
        let rows = outcomes.pop().unwrap_or_else(|| Ok(Vec::new()));
        match outcomes.into_iter().find_map(|o| o.err()) {
            Some(error) => Err(error),
            None => rows,
        }
    }

    fn query_opt(&mut self, query: Query) -> Result<Option<Row>> {
        Ok(self.query(query)?.into_iter().next())
    }

    /// In a write transaction, queues a wait for the lock of license `arn`, so every
    /// statement after it sees what the previous holder committed.
    fn lock_license(&mut self, arn: &str) -> Result<()> {
        if !self.write {
            return Ok(());
        }
        let key = lock_key("license", arn);
        if self.locked.contains(&key) {
            return Ok(());
        }
        self.defer(Query::new(
            "SELECT pg_advisory_xact_lock($1::BIGINT)",
            vec![Box::new(key)],
            "lock a license",
        ))?;
        self.locked.push(key);
        Ok(())
    }

    /// In a write transaction, queues a wait for the lock of one ClientToken of one
    /// operation, so a request waits for a concurrent one with the same ClientToken to end
    /// and then replays its response. Without it, the second request could reach the
    /// capacity check before the first commits and be rejected for the seat that the first
    /// took.
    fn lock_client_token(&mut self, operation: &str, client_token: &str) -> Result<()> {
        if !self.write {
            return Ok(());
        }
        let key = lock_key(operation, client_token);
        // The two-integer form lives in a lock space apart from the 64-bit one of licenses.
        let (high, low) = ((key >> 32) as i32, key as i32);
        self.defer(Query::new(
            "SELECT pg_advisory_xact_lock($1::INTEGER, $2::INTEGER)",
            vec![Box::new(high), Box::new(low)],
            "lock a ClientToken",
        ))
    }

    /// Adds `quantity` and `overage` (negative to subtract) to the usage row of one license,
    /// entitlement and end second (`None` for good).
    fn add_usage(
        &mut self,
        arn: &str,
        name: &str,
        held_until: Option<i64>,
        quantity: i64,
        overage: i64,
    ) -> Result<()> {
        self.defer(Query::new(
            "INSERT INTO lm_usage AS u (license_arn, name, held_until, quantity, overage)
             VALUES ($1, $2, COALESCE($3, 9223372036854775807), $4, $5)
             ON CONFLICT (license_arn, held_until, name) DO UPDATE
             SET quantity = u.quantity + EXCLUDED.quantity, overage = u.overage + EXCLUDED.overage",
            vec![
                Box::new(arn.to_owned()),
                Box::new(name.to_owned()),
                Box::new(held_until),
                Box::new(quantity),
                Box::new(overage),
            ],
            "update the usage",
        ))
    }

    fn read_consumption(&mut self, token: &str) -> Result<Option<Consumption>> {
        let row = self.query_opt(Query::new(
            concat!(
                "SELECT ",
                consumption_columns!(),
                " FROM lm_consumptions WHERE token = $1"
            ),
            vec![Box::new(token.to_owned())],
            "read a consumption",
        ))?;
        row.as_ref().map(decode_consumption).transpose()
    }

    /// Decodes a license document and adds the license to the cache.
    fn remember(&self, document: &str) -> Result<License> {
        let license = decode_license(document)?;
        self.licenses.insert(&license);
        Ok(license)
    }
}

/// Returns the 64-bit advisory lock key of `name` in the namespace `tag`.
fn lock_key(tag: &str, name: &str) -> i64 {
    let mut input = Vec::with_capacity(tag.len() + 1 + name.len());
    input.extend_from_slice(tag.as_bytes());
    input.push(0);
    input.extend_from_slice(name.as_bytes());
    let digest = backend::sha256(&input);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

fn decode_license(document: &str) -> Result<License> {
    serde_json::from_str(document).map_err(|_| corrupt("license"))
}

fn decode_consumption(row: &Row) -> Result<Consumption> {
    let kind: String = row.get("kind");
    let algorithm: String = row.get("algorithm");
    let metadata: String = row.get("metadata");
    let entitlements: String = row.get("entitlements");
    Ok(Consumption {
        token: row.get("token"),
        license_arn: row.get("license_arn"),
        kind: CheckoutKind::from_name(&kind).ok_or_else(|| corrupt("consumption"))?,
        node_id: row.get("node_id"),
        issued_at: row.get("issued_at"),
        expiration: row.get("expiration"),
        checked_in: row.get("checked_in"),
        algorithm: Algorithm::from_name(&algorithm).map_err(|_| corrupt("consumption"))?,
        metadata: serde_json::from_str(&metadata).map_err(|_| corrupt("consumption"))?,
        entitlements: serde_json::from_str::<Vec<Granted>>(&entitlements)
            .map_err(|_| corrupt("consumption"))?,
    })
}

impl Transaction for PostgresTransaction<'_> {
    fn license(&mut self, arn: &str) -> Result<Option<License>> {
        self.lock_license(arn)?;
        if let Some(license) = self.licenses.get(arn) {
            return Ok(Some(license));
        }
        let row = self.query_opt(Query::new(
            "SELECT document FROM lm_licenses WHERE arn = $1",
            vec![Box::new(arn.to_owned())],
            "read a license",
        ))?;
        row.map(|row| self.remember(row.get(0))).transpose()
    }

    fn licenses_by_sku(&mut self, sku: &str, key_fingerprint: &str) -> Result<Vec<License>> {
        let rows = self.query(Query::new(
            "SELECT document FROM lm_licenses WHERE product_sku = $1 AND key_fingerprint = $2",
            vec![
                Box::new(sku.to_owned()),
                Box::new(key_fingerprint.to_owned()),
            ],
            "find licenses",
        ))?;
        let licenses = rows
            .iter()
            .map(|row| self.remember(row.get(0)))
            .collect::<Result<Vec<License>>>()?;

        // A license document never changes once inserted, so it may be read before its lock;
        // the locks are taken in one order, by key, to rule out cycles.
        let mut arns: Vec<&str> = licenses.iter().map(|l| l.arn.as_str()).collect();
        arns.sort_by_key(|arn| lock_key("license", arn));
        for arn in arns {
            self.lock_license(arn)?;
        }
        Ok(licenses)
    }

    fn insert_license(&mut self, license: &License) -> Result<()> {
        self.pending_insert()?;
        let document = serde_json::to_string(license).map_err(|_| corrupt("license"))?;
        self.defer(Query::new(
            "INSERT INTO lm_licenses (arn, product_sku, key_fingerprint, document) VALUES ($1, $2, $3, $4)",
            vec![
                Box::new(license.arn.clone()),
                Box::new(license.product_sku.clone()),
                Box::new(license.key_fingerprint.clone()),
                Box::new(document),
            ],
            "insert a license",
        ))
    }

    fn usage(&mut self, arn: &str, now: i64) -> Result<HashMap<String, Usage>> {
        self.lock_license(arn)?;
        let rows = self.query(Query::new(
            "SELECT name, SUM(quantity)::BIGINT, SUM(overage)::BIGINT FROM lm_usage
             WHERE license_arn = $1 AND held_until > $2
             GROUP BY name",
            vec![Box::new(arn.to_owned()), Box::new(now)],
            "sum the usage",
        ))?;
        Ok(rows.iter().map(decode_usage).collect())
    }

    fn consumption(&mut self, token: &str) -> Result<Option<Consumption>> {
        let Some(unlocked) = self.read_consumption(token)? else {
            return Ok(None);
        };
        if !self.write {
            return Ok(Some(unlocked));
        }

        // Another writer may have checked it in or extended it before releasing the lock.
        self.lock_license(&unlocked.license_arn)?;
        self.read_consumption(token)
    }

    fn consumptions(&mut self, arn: &str) -> Result<Vec<Consumption>> {
        let rows = self.query(Query::new(
            concat!(
                "SELECT ",
                consumption_columns!(),
                " FROM lm_consumptions WHERE license_arn = $1 ORDER BY issued_at, token"
            ),
            vec![Box::new(arn.to_owned())],
            "list consumptions",
        ))?;
        rows.iter().map(decode_consumption).collect()
    }

    fn insert_consumption(&mut self, consumption: &Consumption) -> Result<()> {
        self.pending_insert()?;
        self.lock_license(&consumption.license_arn)?;
        self.pending = Some(consumption.clone());
        Ok(())
    }

    fn update_consumption(&mut self, consumption: &Consumption) -> Result<()> {
        self.lock_license(&consumption.license_arn)?;
        self.defer(Query::new(
            "UPDATE lm_consumptions SET issued_at = $2, expiration = $3, checked_in = $4 WHERE token = $1",
            vec![
                Box::new(consumption.token.clone()),
                Box::new(consumption.issued_at),
                Box::new(consumption.expiration),
                Box::new(consumption.checked_in),
            ],
            "update a consumption",
        ))?;

        // The holdings move from the usage row of their old end to that of the new one.
        let holdings = self.query(Query::new(
            "SELECT name, quantity, overage, held_until FROM lm_holdings WHERE token = $1",
            vec![Box::new(consumption.token.clone())],
            "read the holdings of a consumption",
        ))?;
        let new_end = consumption.held_until();
        for holding in &holdings {
            let (name, quantity, overage): (&str, i64, i64) =
                (holding.get(0), holding.get(1), holding.get(2));
            let old_end: Option<i64> = holding.get(3);
            if old_end != Some(CHECKED_IN) {
                self.add_usage(&consumption.license_arn, name, old_end, -quantity, -overage)?;
            }
            if new_end != Some(CHECKED_IN) {
                self.add_usage(&consumption.license_arn, name, new_end, quantity, overage)?;
            }
        }
        self.defer(Query::new(
            "UPDATE lm_holdings SET held_until = $2 WHERE token = $1",
            vec![Box::new(consumption.token.clone()), Box::new(new_end)],
            "update a holding",
        ))
    }

    fn recorded(&mut self, operation: &str, client_token: &str) -> Result<Option<Recorded>> {
        self.lock_client_token(operation, client_token)?;
        let row = self.query_opt(Query::new(
            "SELECT request_hash, response FROM lm_client_tokens WHERE operation = $1 AND client_token = $2",
            vec![Box::new(operation.to_owned()), Box::new(client_token.to_owned())],
            "read a ClientToken record",
        ))?;
        Ok(row.map(|row| Recorded {
            request_hash: row.get(0),
            response: row.get(1),
        }))
    }

    fn record(&mut self, operation: &str, client_token: &str, recorded: &Recorded) -> Result<()> {
        let record_params: Vec<Param> = vec![
            Box::new(operation.to_owned()),
            Box::new(client_token.to_owned()),
            Box::new(recorded.request_hash.clone()),
            Box::new(recorded.response.clone()),
        ];
        let Some(consumption) = self.pending.take() else {
            return self.defer(Query::new(
                "INSERT INTO lm_client_tokens (operation, client_token, request_hash, response) VALUES ($1, $2, $3, $4)",
                record_params,
                "record a ClientToken",
            ));
        };

        let mut params = consumption_params(&consumption)?;
        params.extend(record_params);
        self.defer(Query::new(
            concat!(
                insert_consumption_with_holdings!(),
                " INSERT INTO lm_client_tokens (operation, client_token, request_hash, response)
                 VALUES ($15, $16, $17, $18)"
            ),
            params,
            "insert a consumption and record its ClientToken",
        ))
    }

    fn record_checkout(&mut self, checkout: &NewCheckout<'_>) -> Result<CheckoutRecorded> {
        // The one-statement form commits by itself, so it runs only outside a transaction and
        // only once. After it reports moved usage, the next call runs statement by statement
        // under the locks, where the usage cannot move, so the caller's next plan holds.
        if self.state != State::Idle || self.recorded_at_once {
            return record_checkout_in(self, checkout);
        }
        self.recorded_at_once = true;
        self.sent = true;
        let mut outcomes = self
            .connection
            .pipeline(&[record_checkout_query(checkout)?])?;
        let rows = outcomes.pop().unwrap_or_else(|| Ok(Vec::new()))?;
        decode_record_checkout(&rows)
    }

    fn lookup(&mut self, lookup: &Lookup<'_>) -> Result<Looked> {
        // A read that starts with the lookup needs no transaction: one statement has one
        // snapshot. A write takes its locks first, in the documented order.
        self.lock_client_token(lookup.operation, lookup.client_token)?;
        self.lock_license(lookup.license_arn)?;
        let cached = self.licenses.get(lookup.license_arn);
        let query = Query::new(
            LOOKUP,
            vec![
                Box::new(lookup.operation.to_owned()),
                Box::new(lookup.client_token.to_owned()),
                Box::new(lookup.license_arn.to_owned()),
                Box::new(lookup.now),
                Box::new(cached.is_none()),
            ],
            "look up a checkout",
        );
        let rows = if !self.write && self.state == State::Idle {
            self.state = State::Answered;
            self.sent = true;
            let mut outcomes = self.connection.pipeline(&[query])?;
            outcomes.pop().unwrap_or_else(|| Ok(Vec::new()))?
        } else {
            self.query(query)?
        };

        let mut looked = Looked {
            recorded: None,
            license: cached,
            usage: HashMap::new(),
        };
        let unreadable = || corrupt("ClientToken record, license or usage row");
        for row in &rows {
            match column::<i32>(row, 0, &unreadable)? {
                1 => {
                    looked.recorded = Some(Recorded {
                        request_hash: column(row, 1, &unreadable)?,
                        response: column(row, 2, &unreadable)?,
                    })
                }
                2 => {
                    let document: &str = column(row, 1, &unreadable)?;
                    looked.license = Some(self.remember(document)?);
                }
                _ => {
                    let usage = Usage {
                        consumed: column(row, 3, &unreadable)?,
                        overage: column(row, 4, &unreadable)?,
                    };
                    looked.usage.insert(column(row, 1, &unreadable)?, usage);
                }
            }
        }
        Ok(looked)
    }
}

/// Returns the call of `lm_record_checkout_v1` (record_checkout.sql) for `checkout`.
fn record_checkout_query(checkout: &NewCheckout<'_>) -> Result<Query> {
    let token_lock = lock_key(checkout.operation, checkout.client_token);
    let bounds = checkout.bounds;
    let mut params: Vec<Param> = vec![
        Box::new(checkout.operation.to_owned()),
        Box::new(checkout.client_token.to_owned()),
        Box::new(checkout.recorded.request_hash.clone()),
        Box::new(checkout.recorded.response.clone()),
        Box::new((token_lock >> 32) as i32),
        Box::new(token_lock as i32),
        Box::new(lock_key("license", &checkout.consumption.license_arn)),
        Box::new(checkout.now),
        Box::new(
            bounds
                .iter()
                .map(|b| b.name.clone())
                .collect::<Vec<String>>(),
        ),
        Box::new(bounds.iter().map(|b| b.min).collect::<Vec<i64>>()),
        Box::new(bounds.iter().map(|b| b.max).collect::<Vec<i64>>()),
    ];
    params.extend(consumption_params(checkout.consumption)?);
    Ok(Query::new(
        "SELECT part, text1, text2, n1, n2 FROM lm_record_checkout_v1(
             $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
             $19, $20, $21, $22, $23, $24, $25)",
        params,
        "record a checkout",
    ))
}

/// Decodes the rows of `lm_record_checkout_v1`, whose last row gives the outcome.
fn decode_record_checkout(rows: &[Row]) -> Result<CheckoutRecorded> {
    let unreadable = || {
        Error::new(
            ErrorKind::Store,
            "PostgreSQL function lm_record_checkout_v1 returned an unreadable row, so it was \
             changed outside libcheckout; drop the function and open the store again to recreate it",
        )
    };
    let mut usage = HashMap::new();
    for row in rows {
        match column::<i32>(row, 0, &unreadable)? {
            0 => return Ok(CheckoutRecorded::Inserted),
            1 => {
                let recorded = Recorded {
                    request_hash: column(row, 1, &unreadable)?,
                    response: column(row, 2, &unreadable)?,
                };
                return Ok(CheckoutRecorded::Replayed(recorded));
            }
            2 => return Ok(CheckoutRecorded::Moved(usage)),
            _ => {
                let consumed = Usage {
                    consumed: column(row, 3, &unreadable)?,
                    overage: column(row, 4, &unreadable)?,
                };
                usage.insert(column(row, 1, &unreadable)?, consumed);
            }
        }
    }
    Err(Error::new(
        ErrorKind::Store,
        "PostgreSQL function lm_record_checkout_v1 returned no outcome, so it was changed outside \
         libcheckout; drop the function and open the store again to recreate it",
    ))
}

/// Returns column `index` of `row`, or `unreadable()` where the value is NULL or of another
/// type, which a function changed outside libcheckout can return.
fn column<'r, T: FromSql<'r>>(
    row: &'r Row,
    index: usize,
    unreadable: &impl Fn() -> Error,
) -> Result<T> {
    row.try_get(index).map_err(|_| unreadable())
}

/// Decodes a usage row: entitlement name, consumed and overage.
fn decode_usage(row: &Row) -> (String, Usage) {
    (
        row.get(0),
        Usage {
            consumed: row.get(1),
            overage: row.get(2),
        },
    )
}
