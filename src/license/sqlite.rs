//! The embedded SQLite store: one file in WAL mode, or `:memory:`.
//!
//! Writers take SQLite's write lock at the start of their transaction (`BEGIN IMMEDIATE`),
//! so processes and threads sharing one file never interleave two capacity checks.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::model::{CheckoutKind, Consumption, Granted, License};
use super::store::{Backend, Recorded, Transaction, Usage};
use super::Synchronous;
use crate::alg::Algorithm;
use crate::error::{err, ErrorKind, Result};

/// How long a writer waits for another process's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The schema version this code writes and reads. Version 1 had no `usage` table; opening
/// such a store adds it, filled from `holdings`.
const SCHEMA_VERSION: i64 = 2;

/// The `held_until` of `usage` rows that hold for good (PERPETUAL), in place of NULL, which a
/// primary key cannot hold.
const HELD_FOR_GOOD: i64 = i64::MAX;

/// The `held_until` of a checked-in consumption's holdings: they hold nothing.
const CHECKED_IN: i64 = 0;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS licenses (
    arn TEXT PRIMARY KEY,
    product_sku TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS licenses_by_sku ON licenses (product_sku, key_fingerprint);
CREATE TABLE IF NOT EXISTS consumptions (
    token TEXT PRIMARY KEY,
    license_arn TEXT NOT NULL REFERENCES licenses (arn),
    kind TEXT NOT NULL,
    node_id TEXT,
    issued_at INTEGER NOT NULL,
    expiration INTEGER NOT NULL,
    checked_in INTEGER NOT NULL,
    algorithm TEXT NOT NULL,
    metadata TEXT NOT NULL,
    entitlements TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS consumptions_by_license ON consumptions (license_arn);
-- One row per quantity a consumption takes; held_until NULL means held for good (PERPETUAL).
CREATE TABLE IF NOT EXISTS holdings (
    token TEXT NOT NULL REFERENCES consumptions (token),
    license_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    overage INTEGER NOT NULL,
    held_until INTEGER,
    PRIMARY KEY (token, name)
);
CREATE INDEX IF NOT EXISTS holdings_by_license ON holdings (license_arn, held_until);
-- The holdings summed per license, entitlement and end second (HELD_FOR_GOOD for PERPETUAL),
-- so a capacity check reads one row per second in which live consumptions end, not one row
-- per live consumption. The key puts held_until before name, so the check's range scan
-- starts at the first live row and never reads rows that have ended.
CREATE TABLE IF NOT EXISTS usage (
    license_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    held_until INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    overage INTEGER NOT NULL,
    PRIMARY KEY (license_arn, held_until, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS client_tokens (
    operation TEXT NOT NULL,
    client_token TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response TEXT NOT NULL,
    PRIMARY KEY (operation, client_token)
);
";

fn store_error(context: &str, error: rusqlite::Error) -> crate::Error {
    err(
        ErrorKind::Store,
        format!("SQLite store failed to {context}: {error}"),
    )
}

fn corrupt(what: &str) -> crate::Error {
    err(
        ErrorKind::Store,
        format!(
            "SQLite store holds an unreadable {what}; the file was changed outside libcheckout"
        ),
    )
}

/// How many idle read connections a file store keeps.
const MAX_IDLE_READERS: usize = 8;

/// A SQLite store shared by the threads of this process: one connection for writes, whose
/// mutex orders this process's writers without SQLite's sleeping busy handler, and a pool of
/// read connections, which WAL lets run beside the writer.
pub(crate) struct SqliteStore {
    writer: Mutex<Connection>,
    /// Idle read connections; `None` for `:memory:`, whose data only one connection can read.
    readers: Option<Mutex<Vec<Connection>>>,
    location: String,
    account_id: String,
}

/// Opens one connection with the store's settings.
fn connect(location: &str, synchronous: Synchronous) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(location, flags).map_err(|e| {
        err(
            ErrorKind::Store,
            format!("could not open SQLite store {location:?}: {e}; the folder must exist and be writable"),
        )
    })?;
    connection
        .busy_timeout(BUSY_TIMEOUT)
        .map_err(|e| store_error("set the busy timeout", e))?;
    if location != ":memory:" {
        connection
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| store_error("switch to WAL mode", e))?;
    }
    let sync_mode = match synchronous {
        Synchronous::Normal => "NORMAL",
        Synchronous::Full => "FULL",
    };
    connection
        .pragma_update(None, "synchronous", sync_mode)
        .map_err(|e| store_error("set synchronous", e))?;
    connection
        .pragma_update(None, "foreign_keys", "ON")
        .map_err(|e| store_error("enable foreign keys", e))?;
    Ok(connection)
}

impl SqliteStore {
    /// Opens or creates the store at `location` (a file path or `:memory:`). The file is
    /// created when missing, its folder is not. `account_id` applies only to a new store.
    pub(crate) fn open(
        location: &str,
        account_id: Option<&str>,
        synchronous: Synchronous,
    ) -> Result<SqliteStore> {
        let mut writer = connect(location, synchronous)?;
        let account_id = initialize(&mut writer, account_id)?;
        let readers = (location != ":memory:").then(|| Mutex::new(Vec::new()));
        Ok(SqliteStore {
            writer: Mutex::new(writer),
            readers,
            location: location.to_owned(),
            account_id,
        })
    }

    fn run(
        connection: &mut Connection,
        behavior: TransactionBehavior,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>,
    ) -> Result<()> {
        let transaction = connection
            .transaction_with_behavior(behavior)
            .map_err(|e| store_error("begin a transaction", e))?;
        let mut handle = SqliteTransaction { tx: &transaction };
        work(&mut handle)?;
        transaction.commit().map_err(|e| store_error("commit", e))
    }

    fn lock_writer(&self) -> MutexGuard<'_, Connection> {
        // A panic while the lock was held rolled its transaction back when the transaction
        // was dropped, so the connection is consistent and may be used again.
        self.writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Fills `usage` from the holdings of a version 1 store, which [`SCHEMA`] has just given an
/// empty `usage` table. Checked-in holdings hold nothing and are left out.
const UPGRADE_FROM_1: &str = "
INSERT INTO usage (license_arn, name, held_until, quantity, overage)
    SELECT license_arn, name, COALESCE(held_until, 9223372036854775807), SUM(quantity), SUM(overage)
    FROM holdings WHERE held_until IS NULL OR held_until > 0
    GROUP BY 1, 2, 3;
INSERT OR REPLACE INTO meta (name, value) VALUES ('schema_version', '2');
";

/// Upgrades a store of an older schema in place, within the caller's transaction, and refuses
/// a store written by a newer libcheckout. A file without a recorded version has the first
/// schema, version 1; a new file is one too, with empty tables.
fn check_schema_version(transaction: &rusqlite::Transaction<'_>) -> Result<()> {
    let stored: Option<String> = transaction
        .query_row(
            "SELECT value FROM meta WHERE name = 'schema_version'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(|e| store_error("read the schema version", e))?;
    let stored = stored.unwrap_or_else(|| "1".to_owned());
    if stored == SCHEMA_VERSION.to_string() {
        return Ok(());
    }
    if stored == "1" {
        return transaction
            .execute_batch(UPGRADE_FROM_1)
            .map_err(|e| store_error("upgrade its schema from version 1", e));
    }
    Err(err(
        ErrorKind::Store,
        format!(
            "this SQLite store has schema version {stored}, but this libcheckout reads version \
             {SCHEMA_VERSION}; upgrade libcheckout"
        ),
    ))
}

/// Creates the schema when missing and returns the store's account id.
fn initialize(connection: &mut Connection, requested: Option<&str>) -> Result<String> {
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| store_error("begin a transaction", e))?;
    transaction
        .execute_batch(SCHEMA)
        .map_err(|e| store_error("create its tables", e))?;
    check_schema_version(&transaction)?;
    let stored: Option<String> = transaction
        .query_row(
            "SELECT value FROM meta WHERE name = 'account_id'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(|e| store_error("read the account id", e))?;
    let account_id = match (stored, requested) {
        (Some(stored), Some(requested)) if stored != requested => {
            return Err(err(
                ErrorKind::Validation,
                format!(
                "ValidationException: this store was created with AccountId {stored}; it cannot \
                     change to {requested} (omit accountId or open another store)"
            ),
            ))
        }
        (Some(stored), _) => stored,
        (None, requested) => {
            let account_id = requested.unwrap_or(super::DEFAULT_ACCOUNT_ID).to_owned();
            transaction
                .execute(
                    "INSERT INTO meta (name, value) VALUES ('account_id', ?1)",
                    [&account_id],
                )
                .map_err(|e| store_error("record the account id", e))?;
            account_id
        }
    };
    transaction.commit().map_err(|e| store_error("commit", e))?;
    Ok(account_id)
}

impl Backend for SqliteStore {
    fn account_id(&self) -> &str {
        &self.account_id
    }

    fn read(&self, work: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()> {
        let Some(pool) = &self.readers else {
            return SqliteStore::run(&mut self.lock_writer(), TransactionBehavior::Deferred, work);
        };
        // An idle writer connection serves the read: its page cache is still valid, while a
        // pooled reader's cache is dropped after every commit of the writer.
        if let Ok(mut writer) = self.writer.try_lock() {
            return SqliteStore::run(&mut writer, TransactionBehavior::Deferred, work);
        }
        let idle = pool
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop();
        // Reads never change the file, so the synchronous setting of a reader does not matter.
        let mut connection = match idle {
            Some(connection) => connection,
            None => connect(&self.location, Synchronous::Normal)?,
        };
        let outcome = SqliteStore::run(&mut connection, TransactionBehavior::Deferred, work);
        let mut idle = pool.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if idle.len() < MAX_IDLE_READERS {
            idle.push(connection);
        }
        outcome
    }

    fn write(&self, work: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()> {
        SqliteStore::run(
            &mut self.lock_writer(),
            TransactionBehavior::Immediate,
            work,
        )
    }
}

struct SqliteTransaction<'a> {
    tx: &'a rusqlite::Transaction<'a>,
}

impl SqliteTransaction<'_> {
    /// Adds `quantity` and `overage` (negative to subtract) to the usage row of one license,
    /// entitlement and end second (`None` for good).
    fn add_usage(
        &self,
        arn: &str,
        name: &str,
        held_until: Option<i64>,
        quantity: i64,
        overage: i64,
    ) -> Result<()> {
        self.execute(
            "INSERT INTO usage (license_arn, name, held_until, quantity, overage)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (license_arn, held_until, name) DO UPDATE
             SET quantity = quantity + excluded.quantity, overage = overage + excluded.overage",
            params![arn, name, held_until.unwrap_or(HELD_FOR_GOOD), quantity, overage],
        )
        .map(|_| ())
        .map_err(|e| store_error("update the usage", e))
    }

    /// Runs a statement from the connection's statement cache, so repeated operations do not
    /// compile their SQL again.
    fn execute(&self, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
        self.tx.prepare_cached(sql)?.execute(params)
    }

    fn query_row<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        read: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        self.tx.prepare_cached(sql)?.query_row(params, read)
    }
}

fn decode_license(document: &str) -> Result<License> {
    serde_json::from_str(document).map_err(|_| corrupt("license"))
}

fn decode_consumption(row: &rusqlite::Row<'_>) -> rusqlite::Result<(Consumption, bool)> {
    let kind: String = row.get("kind")?;
    let algorithm: String = row.get("algorithm")?;
    let metadata: String = row.get("metadata")?;
    let entitlements: String = row.get("entitlements")?;
    let kind = CheckoutKind::from_name(&kind);
    let algorithm = Algorithm::from_name(&algorithm).ok();
    let metadata: Option<Vec<(String, String)>> = serde_json::from_str(&metadata).ok();
    let entitlements: Option<Vec<Granted>> = serde_json::from_str(&entitlements).ok();
    let valid =
        kind.is_some() && algorithm.is_some() && metadata.is_some() && entitlements.is_some();
    let consumption = Consumption {
        token: row.get("token")?,
        license_arn: row.get("license_arn")?,
        kind: kind.unwrap_or(CheckoutKind::Provisional),
        node_id: row.get("node_id")?,
        issued_at: row.get("issued_at")?,
        expiration: row.get("expiration")?,
        checked_in: row.get::<_, i64>("checked_in")? != 0,
        algorithm: algorithm.unwrap_or(Algorithm::PS256),
        metadata: metadata.unwrap_or_default(),
        entitlements: entitlements.unwrap_or_default(),
    };
    Ok((consumption, valid))
}

const CONSUMPTION_COLUMNS: &str =
    "token, license_arn, kind, node_id, issued_at, expiration, checked_in, algorithm, metadata, entitlements";

impl Transaction for SqliteTransaction<'_> {
    fn license(&mut self, arn: &str) -> Result<Option<License>> {
        let document: Option<String> = self
            .tx
            .query_row(
                "SELECT document FROM licenses WHERE arn = ?1",
                [arn],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| store_error("read a license", e))?;
        document.as_deref().map(decode_license).transpose()
    }

    fn licenses_by_sku(&mut self, sku: &str, key_fingerprint: &str) -> Result<Vec<License>> {
        let mut statement = self
            .tx
            .prepare_cached(
                "SELECT document FROM licenses WHERE product_sku = ?1 AND key_fingerprint = ?2",
            )
            .map_err(|e| store_error("find licenses", e))?;
        let documents = statement
            .query_map([sku, key_fingerprint], |row| row.get::<_, String>(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<String>>>())
            .map_err(|e| store_error("find licenses", e))?;
        documents.iter().map(|d| decode_license(d)).collect()
    }

    fn insert_license(&mut self, license: &License) -> Result<()> {
        let document = serde_json::to_string(license).map_err(|_| corrupt("license"))?;
        self
            .execute(
                "INSERT INTO licenses (arn, product_sku, key_fingerprint, document) VALUES (?1, ?2, ?3, ?4)",
                params![license.arn, license.product_sku, license.key_fingerprint, document],
            )
            .map_err(|e| store_error("insert a license", e))?;
        Ok(())
    }

    fn usage(&mut self, arn: &str, now: i64) -> Result<HashMap<String, Usage>> {
        let mut statement = self
            .tx
            .prepare_cached(
                "SELECT name, SUM(quantity), SUM(overage) FROM usage
                 WHERE license_arn = ?1 AND held_until > ?2
                 GROUP BY name",
            )
            .map_err(|e| store_error("sum the usage", e))?;
        let rows = statement
            .query_map(params![arn, now], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    Usage {
                        consumed: row.get(1)?,
                        overage: row.get(2)?,
                    },
                ))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<HashMap<String, Usage>>>())
            .map_err(|e| store_error("sum the usage", e))?;
        Ok(rows)
    }

    fn consumption(&mut self, token: &str) -> Result<Option<Consumption>> {
        let found = self
            .tx
            .query_row(
                &format!("SELECT {CONSUMPTION_COLUMNS} FROM consumptions WHERE token = ?1"),
                [token],
                decode_consumption,
            )
            .optional()
            .map_err(|e| store_error("read a consumption", e))?;
        match found {
            None => Ok(None),
            Some((consumption, true)) => Ok(Some(consumption)),
            Some((_, false)) => Err(corrupt("consumption")),
        }
    }

    fn consumptions(&mut self, arn: &str) -> Result<Vec<Consumption>> {
        let mut statement = self
            .tx
            .prepare_cached(&format!(
                "SELECT {CONSUMPTION_COLUMNS} FROM consumptions WHERE license_arn = ?1 ORDER BY issued_at, token"
            ))
            .map_err(|e| store_error("list consumptions", e))?;
        let rows = statement
            .query_map([arn], decode_consumption)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| store_error("list consumptions", e))?;
        rows.into_iter()
            .map(|(consumption, valid)| {
                if valid {
                    Ok(consumption)
                } else {
                    Err(corrupt("consumption"))
                }
            })
            .collect()
    }

    fn insert_consumption(&mut self, consumption: &Consumption) -> Result<()> {
        let metadata =
            serde_json::to_string(&consumption.metadata).map_err(|_| corrupt("consumption"))?;
        let entitlements =
            serde_json::to_string(&consumption.entitlements).map_err(|_| corrupt("consumption"))?;
        self
            .execute(
                &format!("INSERT INTO consumptions ({CONSUMPTION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
                params![
                    consumption.token,
                    consumption.license_arn,
                    consumption.kind.name(),
                    consumption.node_id,
                    consumption.issued_at,
                    consumption.expiration,
                    consumption.checked_in,
                    consumption.algorithm.name(),
                    metadata,
                    entitlements
                ],
            )
            .map_err(|e| store_error("insert a consumption", e))?;

        let until = consumption.held_until();
        for granted in consumption.entitlements.iter().filter(|g| g.quantity > 0) {
            self.execute(
                "INSERT INTO holdings (token, license_arn, name, quantity, overage, held_until)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    consumption.token,
                    consumption.license_arn,
                    granted.name,
                    granted.quantity,
                    granted.overage,
                    until
                ],
            )
            .map_err(|e| store_error("insert a holding", e))?;
            self.add_usage(
                &consumption.license_arn,
                &granted.name,
                until,
                granted.quantity,
                granted.overage,
            )?;
        }
        Ok(())
    }

    fn update_consumption(&mut self, consumption: &Consumption) -> Result<()> {
        self
            .execute(
                "UPDATE consumptions SET issued_at = ?2, expiration = ?3, checked_in = ?4 WHERE token = ?1",
                params![consumption.token, consumption.issued_at, consumption.expiration, consumption.checked_in],
            )
            .map_err(|e| store_error("update a consumption", e))?;

        // The holdings move from the usage row of their old end to that of the new one.
        let holdings = {
            let mut statement = self
                .tx
                .prepare_cached("SELECT name, quantity, overage, held_until FROM holdings WHERE token = ?1")
                .map_err(|e| store_error("read the holdings of a consumption", e))?;
            let rows = statement
                .query_map([&consumption.token], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, i64>(2)?,
                        row.get::<_, Option<i64>>(3)?,
                    ))
                })
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(|e| store_error("read the holdings of a consumption", e))?;
            rows
        };
        let new_end = consumption.held_until();
        for (name, quantity, overage, old_end) in &holdings {
            if *old_end != Some(CHECKED_IN) {
                self.add_usage(&consumption.license_arn, name, *old_end, -quantity, -overage)?;
            }
            if new_end != Some(CHECKED_IN) {
                self.add_usage(&consumption.license_arn, name, new_end, *quantity, *overage)?;
            }
        }
        self.execute(
            "UPDATE holdings SET held_until = ?2 WHERE token = ?1",
            params![consumption.token, new_end],
        )
        .map_err(|e| store_error("update a holding", e))?;
        Ok(())
    }

    fn recorded(&mut self, operation: &str, client_token: &str) -> Result<Option<Recorded>> {
        self
            .query_row(
                "SELECT request_hash, response FROM client_tokens WHERE operation = ?1 AND client_token = ?2",
                [operation, client_token],
                |row| Ok(Recorded { request_hash: row.get(0)?, response: row.get(1)? }),
            )
            .optional()
            .map_err(|e| store_error("read a ClientToken record", e))
    }

    fn record(&mut self, operation: &str, client_token: &str, recorded: &Recorded) -> Result<()> {
        self
            .execute(
                "INSERT INTO client_tokens (operation, client_token, request_hash, response) VALUES (?1, ?2, ?3, ?4)",
                params![operation, client_token, recorded.request_hash, recorded.response],
            )
            .map_err(|e| store_error("record a ClientToken", e))?;
        Ok(())
    }
}
