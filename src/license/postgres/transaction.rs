//! The store's statements inside one transaction, and the advisory locks that serialize
//! writers of one license.
//!
//! A write transaction takes each lock just before it first reads what the lock guards, and
//! always in the same order, so two writers never wait for each other in a cycle: first the
//! ClientToken record (the two-integer lock space), then the one license it works on (the
//! 64-bit lock space). The two spaces never collide in PostgreSQL. A key is the first bytes of
//! the SHA-256 of a tagged name, so every server and every libcheckout version computes the
//! same key; two names that share a key only share a lock.

use std::collections::HashMap;

use postgres::Row;

use super::connection::Connection;
use super::corrupt;
use crate::license::model::{CheckoutKind, Consumption, Granted, License};
use crate::license::store::{Recorded, Transaction, Usage};
use crate::alg::Algorithm;
use crate::backend;
use crate::error::Result;

/// The columns of `lm_consumptions` in the order [`decode_consumption`] and the insert use.
macro_rules! consumption_columns {
    () => {
        "token, license_arn, kind, node_id, issued_at, expiration, checked_in, algorithm, metadata, entitlements"
    };
}

pub(super) struct PostgresTransaction<'a> {
    connection: &'a mut Connection,
    write: bool,
    /// The license lock keys this transaction holds.
    locked: Vec<i64>,
}

impl PostgresTransaction<'_> {
    pub(super) fn new(connection: &mut Connection, write: bool) -> PostgresTransaction<'_> {
        PostgresTransaction {
            connection,
            write,
            locked: Vec::new(),
        }
    }

    /// In a write transaction, waits for the lock of license `arn`, so every statement after
    /// this one sees what the previous holder committed.
    fn lock_license(&mut self, arn: &str) -> Result<()> {
        if !self.write {
            return Ok(());
        }
        let [key, _] = lock_key("license", arn);
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

    /// In a write transaction, waits for the lock of one ClientToken of one operation, so two
    /// requests with the same ClientToken run one after the other and the second replays.
    fn lock_client_token(&mut self, operation: &str, client_token: &str) -> Result<()> {
        if !self.write {
            return Ok(());
        }
        let [high, low] = lock_key(operation, client_token);
        // The two-integer form lives in a lock space apart from the 64-bit one.
        let (first, second) = ((high >> 32) as i32, low as i32);
        self.connection.execute(
            "SELECT pg_advisory_xact_lock($1::INTEGER, $2::INTEGER)",
            &[&first, &second],
            "lock a ClientToken",
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

/// Returns two 64-bit lock keys derived from `tag` and `name`.
fn lock_key(tag: &str, name: &str) -> [i64; 2] {
    let mut input = Vec::with_capacity(tag.len() + 1 + name.len());
    input.extend_from_slice(tag.as_bytes());
    input.push(0);
    input.extend_from_slice(name.as_bytes());
    let digest = backend::sha256(&input);
    let word = |i: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[i..i + 8]);
        i64::from_be_bytes(bytes)
    };
    [word(0), word(8)]
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
        let row = self.connection.query_opt(
            "SELECT document FROM lm_licenses WHERE arn = $1",
            &[&arn],
            "read a license",
        )?;
        row.map(|row| decode_license(row.get(0))).transpose()
    }

    fn licenses_by_sku(&mut self, sku: &str, key_fingerprint: &str) -> Result<Vec<License>> {
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
        arns.sort_by_key(|arn| lock_key("license", arn)[0]);
        for arn in arns {
            self.lock_license(arn)?;
        }
        Ok(licenses)
    }

    fn insert_license(&mut self, license: &License) -> Result<()> {
        let document = serde_json::to_string(license).map_err(|_| corrupt("license"))?;
        self.connection.execute(
            "INSERT INTO lm_licenses (arn, product_sku, key_fingerprint, document) VALUES ($1, $2, $3, $4)",
            &[&license.arn, &license.product_sku, &license.key_fingerprint, &document],
            "insert a license",
        )
    }

    fn usage(&mut self, arn: &str, now: i64) -> Result<HashMap<String, Usage>> {
        self.lock_license(arn)?;
        let rows = self.connection.query(
            "SELECT name, SUM(quantity)::BIGINT, SUM(overage)::BIGINT FROM lm_holdings
             WHERE license_arn = $1 AND (held_until IS NULL OR held_until > $2)
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
        self.lock_license(&consumption.license_arn)?;
        let metadata =
            serde_json::to_string(&consumption.metadata).map_err(|_| corrupt("consumption"))?;
        let entitlements =
            serde_json::to_string(&consumption.entitlements).map_err(|_| corrupt("consumption"))?;
        self.connection.execute(
            concat!(
                "INSERT INTO lm_consumptions (",
                consumption_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            ),
            &[
                &consumption.token,
                &consumption.license_arn,
                &consumption.kind.name(),
                &consumption.node_id,
                &consumption.issued_at,
                &consumption.expiration,
                &consumption.checked_in,
                &consumption.algorithm.name(),
                &metadata,
                &entitlements,
            ],
            "insert a consumption",
        )?;

        let until = consumption.held_until();
        for granted in consumption.entitlements.iter().filter(|g| g.quantity > 0) {
            self.connection.execute(
                "INSERT INTO lm_holdings (token, license_arn, name, quantity, overage, held_until)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &consumption.token,
                    &consumption.license_arn,
                    &granted.name,
                    &granted.quantity,
                    &granted.overage,
                    &until,
                ],
                "insert a holding",
            )?;
        }
        Ok(())
    }

    fn update_consumption(&mut self, consumption: &Consumption) -> Result<()> {
        self.lock_license(&consumption.license_arn)?;
        self.connection.execute(
            "UPDATE lm_consumptions SET issued_at = $2, expiration = $3, checked_in = $4 WHERE token = $1",
            &[&consumption.token, &consumption.issued_at, &consumption.expiration, &consumption.checked_in],
            "update a consumption",
        )?;
        self.connection.execute(
            "UPDATE lm_holdings SET held_until = $2 WHERE token = $1",
            &[&consumption.token, &consumption.held_until()],
            "update a holding",
        )
    }

    fn recorded(&mut self, operation: &str, client_token: &str) -> Result<Option<Recorded>> {
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
        self.connection.execute(
            "INSERT INTO lm_client_tokens (operation, client_token, request_hash, response) VALUES ($1, $2, $3, $4)",
            &[&operation, &client_token, &recorded.request_hash, &recorded.response],
            "record a ClientToken",
        )
    }
}

