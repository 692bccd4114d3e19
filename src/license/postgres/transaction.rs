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


use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::Row;

use super::connection::Connection;
use super::corrupt;
use crate::license::model::{CheckoutKind, Consumption, Granted, License};
use crate::license::store::{Recorded, Transaction, Usage};
use crate::alg::Algorithm;
use crate::backend;
use crate::error::Result;

/// The `held_until` of a checked-in consumption's holdings: they hold nothing.
const CHECKED_IN: i64 = 0;


/// The columns of `lm_consumptions` in the order [`decode_consumption`] and the insert use.
macro_rules! consumption_columns {
    () => {
        "token, license_arn, kind, node_id, issued_at, expiration, checked_in, algorithm, metadata, entitlements"
    };
}

/// A consumption, its holdings and their addition to `lm_usage` in one statement; its parameters are
/// [`ConsumptionColumns::params`], $1 to $14. Holdings come from parallel arrays, one element
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

/// The values of one consumption row and its holdings, encoded for the insert.
struct ConsumptionColumns<'c> {
    consumption: &'c Consumption,
    kind: &'static str,
    algorithm: &'static str,
    metadata: String,
    entitlements: String,
    held_until: Option<i64>,
    names: Vec<&'c str>,
    quantities: Vec<i64>,
    overages: Vec<i64>,
}

impl<'c> ConsumptionColumns<'c> {
    fn of(consumption: &'c Consumption) -> Result<ConsumptionColumns<'c>> {
        let held: Vec<&Granted> = consumption
            .entitlements
            .iter()
            .filter(|g| g.quantity > 0)
            .collect();
        Ok(ConsumptionColumns {
            consumption,
            kind: consumption.kind.name(),
            algorithm: consumption.algorithm.name(),
            metadata: serde_json::to_string(&consumption.metadata)
                .map_err(|_| corrupt("consumption"))?,
            entitlements: serde_json::to_string(&consumption.entitlements)
                .map_err(|_| corrupt("consumption"))?,
            held_until: consumption.held_until(),
            names: held.iter().map(|g| g.name.as_str()).collect(),
            quantities: held.iter().map(|g| g.quantity).collect(),
            overages: held.iter().map(|g| g.overage).collect(),
        })
    }

    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        let c = self.consumption;
        vec![
            &c.token,
            &c.license_arn,
            &self.kind,
            &c.node_id,
            &c.issued_at,
            &c.expiration,
            &c.checked_in,
            &self.algorithm,
            &self.metadata,
            &self.entitlements,
            &self.held_until,
            &self.names,
            &self.quantities,
            &self.overages,
        ]
    }
}

pub(super) struct PostgresTransaction<'a> {
    connection: &'a mut Connection,
    write: bool,
    /// The license lock keys this transaction holds.
    locked: Vec<i64>,
    /// A consumption to insert, held back so that the ClientToken record that follows it goes
    /// to the server in the same statement: one round trip less while the license lock is held.
    pending: Option<Consumption>,
}

impl PostgresTransaction<'_> {
    pub(super) fn new(connection: &mut Connection, write: bool) -> PostgresTransaction<'_> {
        PostgresTransaction {
            connection,
            write,
            locked: Vec::new(),
            pending: None,
        }
    }

    /// Inserts the consumption held back, if any. Every statement other than the ClientToken
    /// record calls this first, so the transaction always reads its own writes.
    pub(super) fn flush(&mut self) -> Result<()> {
        let Some(consumption) = self.pending.take() else {
            return Ok(());
        };
        let columns = ConsumptionColumns::of(&consumption)?;
        self.connection.execute(
            concat!(insert_consumption_with_holdings!(), " SELECT 1"),
            &columns.params(),
            "insert a consumption",
        )
    }

    /// In a write transaction, waits for the lock of license `arn`, so every statement after
    /// this one sees what the previous holder committed.
    fn lock_license(&mut self, arn: &str) -> Result<()> {
        if !self.write {
            return Ok(());
        }
        let key = lock_key("license", arn);
        if self.locked.contains(&key) {
            return Ok(());
        }
        self.connection.execute(
            "SELECT pg_advisory_xact_lock($1::BIGINT)",
            &[&key],
            "lock a license",
        )?;
        self.locked.push(key);
        Ok(())
    }

    /// In a write transaction, waits for the lock of one ClientToken of one operation, so a
    /// request waits for a concurrent one with the same ClientToken to end and then replays its
    /// response. Without it, the second request could reach the capacity check before the
    /// first commits and be rejected for the seat that the first took.
    fn lock_client_token(&mut self, operation: &str, client_token: &str) -> Result<()> {
        if !self.write {
            return Ok(());
        }
        let key = lock_key(operation, client_token);
        // The two-integer form lives in a lock space apart from the 64-bit one of licenses.
        let (high, low) = ((key >> 32) as i32, key as i32);
        self.connection.execute(
            "SELECT pg_advisory_xact_lock($1::INTEGER, $2::INTEGER)",
            &[&high, &low],
            "lock a ClientToken",
        )
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
        self.connection.execute(
            "INSERT INTO lm_usage AS u (license_arn, name, held_until, quantity, overage)
             VALUES ($1, $2, COALESCE($3, 9223372036854775807), $4, $5)
             ON CONFLICT (license_arn, held_until, name) DO UPDATE
             SET quantity = u.quantity + EXCLUDED.quantity, overage = u.overage + EXCLUDED.overage",
            &[&arn, &name, &held_until, &quantity, &overage],
            "update the usage",
        )
    }

    fn read_consumption(&mut self, token: &str) -> Result<Option<Consumption>> {
        let row = self.connection.query_opt(
            concat!("SELECT ", consumption_columns!(), " FROM lm_consumptions WHERE token = $1"),
            &[&token],
            "read a consumption",
        )?;
        row.as_ref().map(decode_consumption).transpose()
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
        self.flush()?;
        self.lock_license(arn)?;
        let row = self.connection.query_opt(
            "SELECT document FROM lm_licenses WHERE arn = $1",
            &[&arn],
            "read a license",
        )?;
        row.map(|row| decode_license(row.get(0))).transpose()
    }

    fn licenses_by_sku(&mut self, sku: &str, key_fingerprint: &str) -> Result<Vec<License>> {
        self.flush()?;
        let rows = self.connection.query(
            "SELECT document FROM lm_licenses WHERE product_sku = $1 AND key_fingerprint = $2",
            &[&sku, &key_fingerprint],
            "find licenses",
        )?;
        let licenses = rows
            .iter()
            .map(|row| decode_license(row.get(0)))
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
        self.flush()?;
        let document = serde_json::to_string(license).map_err(|_| corrupt("license"))?;
        self.connection.execute(
            "INSERT INTO lm_licenses (arn, product_sku, key_fingerprint, document) VALUES ($1, $2, $3, $4)",
            &[&license.arn, &license.product_sku, &license.key_fingerprint, &document],
            "insert a license",
        )
    }

    fn usage(&mut self, arn: &str, now: i64) -> Result<HashMap<String, Usage>> {
        self.flush()?;
        self.lock_license(arn)?;
        let rows = self.connection.query(
            "SELECT name, SUM(quantity)::BIGINT, SUM(overage)::BIGINT FROM lm_usage
             WHERE license_arn = $1 AND held_until > $2
             GROUP BY name",
            &[&arn, &now],
            "sum the usage",
        )?;
        Ok(rows
            .iter()
            .map(|row| {
                (
                    row.get::<_, String>(0),
                    Usage {
                        consumed: row.get(1),
                        overage: row.get(2),
                    },
                )
            })
            .collect())
    }

    fn consumption(&mut self, token: &str) -> Result<Option<Consumption>> {
        self.flush()?;
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
        self.flush()?;
        let rows = self.connection.query(
            concat!(
                "SELECT ",
                consumption_columns!(),
                " FROM lm_consumptions WHERE license_arn = $1 ORDER BY issued_at, token"
            ),
            &[&arn],
            "list consumptions",
        )?;
        rows.iter().map(decode_consumption).collect()
    }

    fn insert_consumption(&mut self, consumption: &Consumption) -> Result<()> {
        self.flush()?;
        self.lock_license(&consumption.license_arn)?;
        self.pending = Some(consumption.clone());
        Ok(())
    }

    fn update_consumption(&mut self, consumption: &Consumption) -> Result<()> {
        self.flush()?;
        self.lock_license(&consumption.license_arn)?;
        self.connection.execute(
            "UPDATE lm_consumptions SET issued_at = $2, expiration = $3, checked_in = $4 WHERE token = $1",
            &[&consumption.token, &consumption.issued_at, &consumption.expiration, &consumption.checked_in],
            "update a consumption",
        )?;

        // The holdings move from the usage row of their old end to that of the new one.
        let holdings = self.connection.query(
            "SELECT name, quantity, overage, held_until FROM lm_holdings WHERE token = $1",
            &[&consumption.token],
            "read the holdings of a consumption",
        )?;
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
        self.connection.execute(
            "UPDATE lm_holdings SET held_until = $2 WHERE token = $1",
            &[&consumption.token, &new_end],
            "update a holding",
        )
    }

    fn recorded(&mut self, operation: &str, client_token: &str) -> Result<Option<Recorded>> {
        self.flush()?;
        self.lock_client_token(operation, client_token)?;
        let row = self.connection.query_opt(
            "SELECT request_hash, response FROM lm_client_tokens WHERE operation = $1 AND client_token = $2",
            &[&operation, &client_token],
            "read a ClientToken record",
        )?;
        Ok(row.map(|row| Recorded {
            request_hash: row.get(0),
            response: row.get(1),
        }))
    }

    fn record(&mut self, operation: &str, client_token: &str, recorded: &Recorded) -> Result<()> {
        let Some(consumption) = self.pending.take() else {
            return self.connection.execute(
                "INSERT INTO lm_client_tokens (operation, client_token, request_hash, response) VALUES ($1, $2, $3, $4)",
                &[&operation, &client_token, &recorded.request_hash, &recorded.response],
                "record a ClientToken",
            );
        };

        let columns = ConsumptionColumns::of(&consumption)?;
        let mut params = columns.params();
        params.extend_from_slice(&[
            &operation as &(dyn ToSql + Sync),
            &client_token,
            &recorded.request_hash,
            &recorded.response,
        ]);
        self.connection.execute(
            concat!(
                insert_consumption_with_holdings!(),
                " INSERT INTO lm_client_tokens (operation, client_token, request_hash, response)
                 VALUES ($15, $16, $17, $18)"
            ),
            &params,
            "insert a consumption and record its ClientToken",
        )
    }
}

