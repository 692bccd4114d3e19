//! The PostgreSQL store, for several license servers sharing one database.
//!
//! Write transactions on every server lock the license whose capacity they check or whose
//! consumption they change, with transaction-scoped advisory locks (see [`transaction`]).
//! No two capacity checks of one license interleave, as on SQLite, while checkouts of
//! different licenses run in parallel. Signing happens before the write transaction, and the
//! commit does not wait for the disk while it holds a lock (see [`durability`]), so a lock is
//! held only for a few prepared statements.

mod connection;
mod durability;
mod transaction;

use std::collections::HashMap;
use std::sync::Mutex;

use tokio_postgres::Client;

use connection::Connection;
use durability::Durability;
use transaction::PostgresTransaction;

use super::model::License;
use super::store::{Backend, Transaction};
use crate::error::{err, ErrorKind, Result};

/// The advisory lock key that serializes schema set-up across servers: the ASCII text
/// "libcheck" as a big-endian integer.
const SCHEMA_LOCK: i64 = 0x6c69_6263_6865_636b;

/// The schema version this code writes and reads. Version 1 had no `lm_usage`; opening such a
/// store adds it, filled from `lm_holdings`.
const SCHEMA_VERSION: i64 = 2;

/// How many idle connections the pool keeps.
const MAX_IDLE_CONNECTIONS: usize = 32;

/// How many licenses a store keeps in memory; past that it starts again from empty.
const MAX_CACHED_LICENSES: usize = 4096;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS lm_meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS lm_licenses (
    arn TEXT PRIMARY KEY,
    product_sku TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS lm_licenses_by_sku ON lm_licenses (product_sku, key_fingerprint);
CREATE TABLE IF NOT EXISTS lm_consumptions (
    token TEXT PRIMARY KEY,
    license_arn TEXT NOT NULL REFERENCES lm_licenses (arn),
    kind TEXT NOT NULL,
    node_id TEXT,
    issued_at BIGINT NOT NULL,
    expiration BIGINT NOT NULL,
    checked_in BOOLEAN NOT NULL,
    algorithm TEXT NOT NULL,
    metadata TEXT NOT NULL,
    entitlements TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS lm_consumptions_by_license ON lm_consumptions (license_arn);
CREATE TABLE IF NOT EXISTS lm_holdings (
    token TEXT NOT NULL REFERENCES lm_consumptions (token),
    license_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    overage BIGINT NOT NULL,
    held_until BIGINT,
    PRIMARY KEY (token, name)
);
CREATE INDEX IF NOT EXISTS lm_holdings_by_license ON lm_holdings (license_arn, held_until);
-- The holdings summed per license, entitlement and end second (the largest BIGINT for
-- PERPETUAL), so a capacity check reads one row per second in which live consumptions end,
-- not one row per live consumption. The key puts held_until before name, so the check's
-- range scan starts at the first live row and never reads rows that have ended.
CREATE TABLE IF NOT EXISTS lm_usage (
    license_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    held_until BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    overage BIGINT NOT NULL,
    PRIMARY KEY (license_arn, held_until, name)
);
CREATE TABLE IF NOT EXISTS lm_client_tokens (
    operation TEXT NOT NULL,
    client_token TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response TEXT NOT NULL,
    PRIMARY KEY (operation, client_token)
);
";

/// The function that records a checkout in one statement; see the file's comments.
const RECORD_CHECKOUT: &str = include_str!("record_checkout.sql");

/// Fills `lm_usage` from the holdings of a version 1 store. Checked-in holdings (0) hold
/// nothing and are left out; `lm_usage` was created empty by [`SCHEMA`] just before.
const UPGRADE_FROM_1: &str = "
INSERT INTO lm_usage (license_arn, name, held_until, quantity, overage)
    SELECT license_arn, name, COALESCE(held_until, 9223372036854775807), SUM(quantity), SUM(overage)
    FROM lm_holdings WHERE held_until IS NULL OR held_until > 0
    GROUP BY 1, 2, 3;
UPDATE lm_meta SET value = '2' WHERE name = 'schema_version';
";

/// Returns `url` with any password, in the user part or as a `password` query parameter,
/// replaced by `***`, for messages.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<invalid URL>".into();
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let authority_end = before_query.find('/').unwrap_or(before_query.len());
    let (authority, path) = before_query.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            let masked = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_owned()
            };
            format!("{masked}@{host}")
        }
        None => authority.to_owned(),
    };
    let mut redacted = format!("{scheme}://{authority}{path}");
    if let Some(query) = query {
        let parameters: Vec<String> = query
            .split('&')
            .map(|parameter| match parameter.split_once('=') {
                Some((name, _)) if name.eq_ignore_ascii_case("password") => format!("{name}=***"),
                _ => parameter.to_owned(),
            })
            .collect();
        redacted.push('?');
        redacted.push_str(&parameters.join("&"));
    }
    redacted
}

/// Returns the driver's error with every cause it wraps, such as the server's message or the
/// refused connection, which its own text leaves out.
fn describe(error: &tokio_postgres::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn store_error(context: &str, error: tokio_postgres::Error) -> crate::Error {
    // The driver's messages name the server's error and never the password.
    err(
        ErrorKind::Store,
        format!("PostgreSQL store failed to {context}: {}", describe(&error)),
    )
}

fn corrupt(what: &str) -> crate::Error {
    err(
        ErrorKind::Store,
        format!(
            "PostgreSQL store holds an unreadable {what}; the row was changed outside libcheckout"
        ),
    )
}

/// The licenses a store has read. A license document never changes once inserted, and no
/// operation deletes one, so a cached license is never stale.
pub(super) struct LicenseCache {
    licenses: Mutex<HashMap<String, License>>,
}

impl LicenseCache {
    fn new() -> LicenseCache {
        LicenseCache {
            licenses: Mutex::new(HashMap::new()),
        }
    }

    pub(super) fn get(&self, arn: &str) -> Option<License> {
        let licenses = self.licenses.lock().unwrap_or_else(|p| p.into_inner());
        licenses.get(arn).cloned()
    }

    pub(super) fn insert(&self, license: &License) {
        let mut licenses = self.licenses.lock().unwrap_or_else(|p| p.into_inner());
        if licenses.len() >= MAX_CACHED_LICENSES {
            licenses.clear();
        }
        licenses.insert(license.arn.clone(), license.clone());
    }
}

/// A pool of connections to one PostgreSQL database.
pub(crate) struct PostgresStore {
    url: String,
    idle: Mutex<Vec<Connection>>,
    account_id: String,
    licenses: LicenseCache,
    durability: Durability,
}

impl PostgresStore {
    /// Connects, creates or checks the schema, and returns the store. `account_id` applies
    /// only to a new store.
    pub(crate) fn open(url: &str, account_id: Option<&str>) -> Result<PostgresStore> {
        let mut store = PostgresStore {
            url: url.to_owned(),
            idle: Mutex::new(Vec::new()),
            account_id: String::new(),
            licenses: LicenseCache::new(),
            durability: Durability::new(),
        };
        let connection = store.connect()?;
        store.account_id = connection.run(|client| initialize(client, account_id))?;
        store.release(connection);
        Ok(store)
    }

    fn connect(&self) -> Result<Connection> {
        Connection::connect(&self.url).map_err(|cause| {
            err(
                ErrorKind::Store,
                format!(
                    "could not connect to PostgreSQL at {}: {cause}",
                    redact_url(&self.url)
                ),
            )
        })
    }

    fn acquire(&self) -> Result<Connection> {
        let pooled = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match pooled {
            Some(connection) if !connection.has_ended() => Ok(connection),
            _ => self.connect(),
        }
    }

    fn release(&self, connection: Connection) {
        if connection.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE_CONNECTIONS {
            idle.push(connection);
        }
    }

    fn run(
        &self,
        write: bool,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>,
    ) -> Result<()> {
        let mut connection = self.acquire()?;
        let mut transaction = PostgresTransaction::new(&mut connection, &self.licenses, write);
        let outcome = work(&mut transaction);
        let finished = transaction.finish(outcome);
        let mut outcome = finished.outcome;

        // A rejection may rest on another writer's commit that is not on disk yet, so a
        // failed write also waits before it returns.
        if write && finished.reached_server {
            if let Err(error) = self.durability.wait(&mut connection) {
                outcome = outcome.and(Err(error));
            }
        }
        if finished.reusable {
            self.release(connection);
        }
        outcome
    }
}

/// Creates the schema when missing, checks its version, and returns the account id. The
/// caller drops the connection when this fails, which ends the transaction.
async fn initialize(client: &Client, requested: Option<&str>) -> Result<String> {
    client
        .batch_execute("BEGIN")
        .await
        .map_err(|e| store_error("begin a transaction", e))?;
    client
        .execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
        .await
        .map_err(|e| store_error("take the write lock", e))?;
    // Creating an index, even IF NOT EXISTS, needs the table's owner, so a store of the
    // current version is opened without creating anything: another role may have created it.
    if stored_version(client).await?.as_deref() != Some(SCHEMA_VERSION.to_string().as_str()) {
        client
            .batch_execute(SCHEMA)
            .await
            .map_err(|e| store_error("create its tables", e))?;
    }
    let missing: bool = client
        .query_one("SELECT to_regproc('lm_record_checkout_v1') IS NULL", &[])
        .await
        .map(|row| row.get(0))
        .map_err(|e| store_error("look up its functions", e))?;
    if missing {
        client
            .batch_execute(RECORD_CHECKOUT)
            .await
            .map_err(|e| store_error("create its functions", e))?;
    }

    match meta(client, "schema_version").await? {
        None => {
            client
                .execute(
                    "INSERT INTO lm_meta (name, value) VALUES ('schema_version', $1)",
                    &[&SCHEMA_VERSION.to_string()],
                )
                .await
                .map_err(|e| store_error("record the schema version", e))?;
        }
        Some(found) if found == SCHEMA_VERSION.to_string() => {}
        Some(found) if found == "1" => {
            client
                .batch_execute(UPGRADE_FROM_1)
                .await
                .map_err(|e| store_error("upgrade its schema from version 1", e))?;
        }
        Some(found) => {
            return Err(err(
                ErrorKind::Store,
                format!(
                    "this PostgreSQL store has schema version {found}, but this libcheckout reads version \
                     {SCHEMA_VERSION}; upgrade libcheckout"
                ),
            ))
        }
    }

    let account_id = match (meta(client, "account_id").await?, requested) {
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
            client
                .execute(
                    "INSERT INTO lm_meta (name, value) VALUES ('account_id', $1)",
                    &[&account_id],
                )
                .await
                .map_err(|e| store_error("record the account id", e))?;
            account_id
        }
    };
    client
        .batch_execute("COMMIT")
        .await
        .map_err(|e| store_error("commit", e))?;
    Ok(account_id)
}

/// Returns the schema version recorded in `lm_meta`, or `None` when the table is missing.
async fn stored_version(client: &Client) -> Result<Option<String>> {
    let exists: bool = client
        .query_one("SELECT to_regclass('lm_meta') IS NOT NULL", &[])
        .await
        .map(|row| row.get(0))
        .map_err(|e| store_error("look up its tables", e))?;
    if !exists {
        return Ok(None);
    }
    meta(client, "schema_version").await
}

async fn meta(client: &Client, name: &str) -> Result<Option<String>> {
    client
        .query_opt("SELECT value FROM lm_meta WHERE name = $1", &[&name])
        .await
        .map(|row| row.map(|row| row.get(0)))
        .map_err(|e| store_error("read its metadata", e))
}

impl Backend for PostgresStore {
    fn account_id(&self) -> &str {
        &self.account_id
    }

    fn read(&self, work: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()> {
        self.run(false, work)
    }

    fn write(&self, work: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()> {
        self.run(true, work)
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn redact_url_hides_password() {
        assert_eq!(
            redact_url("postgresql://app:s3cret@db:5432/lm"),
            "postgresql://app:***@db:5432/lm"
        );
        assert_eq!(
            redact_url("postgres://app@db/lm?sslmode=disable"),
            "postgres://app@db/lm?sslmode=disable"
        );
        assert_eq!(
            redact_url("postgres://a:b@c@host/x"),
            "postgres://a:***@host/x"
        );
        assert_eq!(redact_url("postgres://db/lm"), "postgres://db/lm");
        assert_eq!(
            redact_url("postgresql://app@db/lm?sslmode=disable&password=s3cret"),
            "postgresql://app@db/lm?sslmode=disable&password=***"
        );
    }
}
