//! The PostgreSQL store, for several license servers sharing one database.
//!
//! Every write transaction first takes one transaction-scoped advisory lock, so writers on
//! every server are serialized exactly as SQLite's write lock serializes them on one host,
//! and no two capacity checks interleave. Signing happens before the write transaction, so
//! the lock is held only for a few statements.

use std::collections::HashMap;
use std::sync::Mutex;

use postgres::{Client, NoTls, Row};

use super::model::{CheckoutKind, Consumption, Granted, License};
use super::store::{Backend, Recorded, Transaction, Usage};
use crate::alg::Algorithm;
use crate::error::{err, ErrorKind, Result};

/// The advisory lock key of libcheckout's write transactions (an arbitrary constant).
const WRITE_LOCK: i64 = 0x6c69_6263_6865_636b;

/// The schema version this code writes and reads.
const SCHEMA_VERSION: i64 = 1;

/// How many idle connections the pool keeps.
const MAX_IDLE_CONNECTIONS: usize = 32;

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
CREATE TABLE IF NOT EXISTS lm_client_tokens (
    operation TEXT NOT NULL,
    client_token TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response TEXT NOT NULL,
    PRIMARY KEY (operation, client_token)
);
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
fn describe(error: &postgres::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn store_error(context: &str, error: postgres::Error) -> crate::Error {
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

/// A pool of connections to one PostgreSQL database.
pub(crate) struct PostgresStore {
    url: String,
    idle: Mutex<Vec<Client>>,
    account_id: String,
}

impl PostgresStore {
    /// Connects, creates or checks the schema, and returns the store. `account_id` applies
    /// only to a new store.
    pub(crate) fn open(url: &str, account_id: Option<&str>) -> Result<PostgresStore> {
        let mut store = PostgresStore {
            url: url.to_owned(),
            idle: Mutex::new(Vec::new()),
            account_id: String::new(),
        };
        let mut client = store.connect()?;
        store.account_id = initialize(&mut client, account_id)?;
        store.release(client);
        Ok(store)
    }

    fn connect(&self) -> Result<Client> {
        Client::connect(&self.url, NoTls).map_err(|e| {
            err(
                ErrorKind::Store,
                format!(
                    "could not connect to PostgreSQL at {}: {}",
                    redact_url(&self.url),
                    describe(&e)
                ),
            )
        })
    }

    fn acquire(&self) -> Result<Client> {
        let pooled = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match pooled {
            Some(client) if !client.is_closed() => Ok(client),
            _ => self.connect(),
        }
    }

    fn release(&self, client: Client) {
        if client.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE_CONNECTIONS {
            idle.push(client);
        }
    }

    fn run(
        &self,
        write: bool,
        work: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>,
    ) -> Result<()> {
        let mut client = self.acquire()?;
        let outcome = run_in_transaction(&mut client, write, work);
        self.release(client);
        outcome
    }
}

fn run_in_transaction(
    client: &mut Client,
    write: bool,
    work: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>,
) -> Result<()> {
    let mut tx = client
        .transaction()
        .map_err(|e| store_error("begin a transaction", e))?;
    if write {
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
            .map_err(|e| store_error("take the write lock", e))?;
    } else {
        tx.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .map_err(|e| store_error("begin a read transaction", e))?;
    }
    let mut handle = PostgresTransaction { tx: &mut tx };
    work(&mut handle)?;
    tx.commit().map_err(|e| store_error("commit", e))
}

/// Creates the schema when missing, checks its version, and returns the account id.
fn initialize(client: &mut Client, requested: Option<&str>) -> Result<String> {
    let mut tx = client
        .transaction()
        .map_err(|e| store_error("begin a transaction", e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
        .map_err(|e| store_error("take the write lock", e))?;
    tx.batch_execute(SCHEMA)
        .map_err(|e| store_error("create its tables", e))?;

    let meta = |tx: &mut postgres::Transaction<'_>, name: &str| -> Result<Option<String>> {
        tx.query_opt("SELECT value FROM lm_meta WHERE name = $1", &[&name])
            .map(|row| row.map(|row| row.get(0)))
            .map_err(|e| store_error("read its metadata", e))
    };
    match meta(&mut tx, "schema_version")? {
        None => {
            tx.execute("INSERT INTO lm_meta (name, value) VALUES ('schema_version', $1)", &[&SCHEMA_VERSION.to_string()])
                .map_err(|e| store_error("record the schema version", e))?;
        }
        Some(found) if found == SCHEMA_VERSION.to_string() => {}
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

    let account_id = match (meta(&mut tx, "account_id")?, requested) {
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
            tx.execute(
                "INSERT INTO lm_meta (name, value) VALUES ('account_id', $1)",
                &[&account_id],
            )
            .map_err(|e| store_error("record the account id", e))?;
            account_id
        }
    };
    tx.commit().map_err(|e| store_error("commit", e))?;
    Ok(account_id)
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

struct PostgresTransaction<'a, 'b> {
    tx: &'a mut postgres::Transaction<'b>,
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

const CONSUMPTION_COLUMNS: &str =
    "token, license_arn, kind, node_id, issued_at, expiration, checked_in, algorithm, metadata, entitlements";

impl Transaction for PostgresTransaction<'_, '_> {
    fn license(&mut self, arn: &str) -> Result<Option<License>> {
        let row = self
            .tx
            .query_opt("SELECT document FROM lm_licenses WHERE arn = $1", &[&arn])
            .map_err(|e| store_error("read a license", e))?;
        row.map(|row| decode_license(row.get(0))).transpose()
    }

    fn licenses_by_sku(&mut self, sku: &str, key_fingerprint: &str) -> Result<Vec<License>> {
        let rows = self
            .tx
            .query(
                "SELECT document FROM lm_licenses WHERE product_sku = $1 AND key_fingerprint = $2",
                &[&sku, &key_fingerprint],
            )
            .map_err(|e| store_error("find licenses", e))?;
        rows.iter().map(|row| decode_license(row.get(0))).collect()
    }

    fn insert_license(&mut self, license: &License) -> Result<()> {
        let document = serde_json::to_string(license).map_err(|_| corrupt("license"))?;
        self.tx
            .execute(
                "INSERT INTO lm_licenses (arn, product_sku, key_fingerprint, document) VALUES ($1, $2, $3, $4)",
                &[&license.arn, &license.product_sku, &license.key_fingerprint, &document],
            )
            .map_err(|e| store_error("insert a license", e))?;
        Ok(())
    }

    fn usage(&mut self, arn: &str, now: i64) -> Result<HashMap<String, Usage>> {
        let rows = self
            .tx
            .query(
                "SELECT name, SUM(quantity)::BIGINT, SUM(overage)::BIGINT FROM lm_holdings
                 WHERE license_arn = $1 AND (held_until IS NULL OR held_until > $2)
                 GROUP BY name",
                &[&arn, &now],
            )
            .map_err(|e| store_error("sum the usage", e))?;
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
        let row = self
            .tx
            .query_opt(
                &format!("SELECT {CONSUMPTION_COLUMNS} FROM lm_consumptions WHERE token = $1"),
                &[&token],
            )
            .map_err(|e| store_error("read a consumption", e))?;
        row.as_ref().map(decode_consumption).transpose()
    }

    fn consumptions(&mut self, arn: &str) -> Result<Vec<Consumption>> {
        let rows = self
            .tx
            .query(
                &format!(
                    "SELECT {CONSUMPTION_COLUMNS} FROM lm_consumptions WHERE license_arn = $1 ORDER BY issued_at, token"
                ),
                &[&arn],
            )
            .map_err(|e| store_error("list consumptions", e))?;
        rows.iter().map(decode_consumption).collect()
    }

    fn insert_consumption(&mut self, consumption: &Consumption) -> Result<()> {
        let metadata =
            serde_json::to_string(&consumption.metadata).map_err(|_| corrupt("consumption"))?;
        let entitlements =
            serde_json::to_string(&consumption.entitlements).map_err(|_| corrupt("consumption"))?;
        self.tx
            .execute(
                &format!(
                    "INSERT INTO lm_consumptions ({CONSUMPTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
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
            )
            .map_err(|e| store_error("insert a consumption", e))?;

        let until = consumption.held_until();
        for granted in consumption.entitlements.iter().filter(|g| g.quantity > 0) {
            self.tx
                .execute(
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
                )
                .map_err(|e| store_error("insert a holding", e))?;
        }
        Ok(())
    }

    fn update_consumption(&mut self, consumption: &Consumption) -> Result<()> {
        self.tx
            .execute(
                "UPDATE lm_consumptions SET issued_at = $2, expiration = $3, checked_in = $4 WHERE token = $1",
                &[&consumption.token, &consumption.issued_at, &consumption.expiration, &consumption.checked_in],
            )
            .map_err(|e| store_error("update a consumption", e))?;
        self.tx
            .execute(
                "UPDATE lm_holdings SET held_until = $2 WHERE token = $1",
                &[&consumption.token, &consumption.held_until()],
            )
            .map_err(|e| store_error("update a holding", e))?;
        Ok(())
    }

    fn recorded(&mut self, operation: &str, client_token: &str) -> Result<Option<Recorded>> {
        let row = self
            .tx
            .query_opt(
                "SELECT request_hash, response FROM lm_client_tokens WHERE operation = $1 AND client_token = $2",
                &[&operation, &client_token],
            )
            .map_err(|e| store_error("read a ClientToken record", e))?;
        Ok(row.map(|row| Recorded {
            request_hash: row.get(0),
            response: row.get(1),
        }))
    }

    fn record(&mut self, operation: &str, client_token: &str, recorded: &Recorded) -> Result<()> {
        self.tx
            .execute(
                "INSERT INTO lm_client_tokens (operation, client_token, request_hash, response) VALUES ($1, $2, $3, $4)",
                &[&operation, &client_token, &recorded.request_hash, &recorded.response],
            )
            .map_err(|e| store_error("record a ClientToken", e))?;
        Ok(())
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
