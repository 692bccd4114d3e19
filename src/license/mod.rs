//! Licenses and their consumption: the AWS License Manager operations on a store.
//!
//! Requests and responses use AWS's JSON shapes and member names, so vendors can reuse AWS
//! documentation and payloads. Responses never contain `null`.

mod engine;
mod model;
#[cfg(feature = "postgres")]
mod postgres;
mod request;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;

use std::sync::Arc;

use serde_json::Value;

pub use model::UNITS;

use crate::clock::{Clock, SystemClock};
use crate::error::{err, Error, ErrorKind, Result};
use crate::json::parse_strict;
use crate::signer::Signer;
use store::Backend;

/// The account id of a store created without one.
pub const DEFAULT_ACCOUNT_ID: &str = "000000000000";

/// SQLite's `synchronous` setting, the durability of a returned checkout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Synchronous {
    /// A returned checkout survives the process being killed (WAL with `NORMAL`).
    #[default]
    Normal,
    /// A returned checkout also survives a power loss, at the cost of an fsync per commit.
    Full,
}

/// Options of [`Store::open_with_options`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoreOptions {
    /// The 12-digit AWS account id written into license ARNs; it applies only when the store
    /// is created. Defaults to `000000000000`.
    pub account_id: Option<String>,
    /// The durability mode. Defaults to [`Synchronous::Normal`].
    pub synchronous: Synchronous,
}

impl StoreOptions {
    /// Parses `{"accountId": "123456789012", "synchronous": "NORMAL" | "FULL"}`; every member
    /// is optional and an unknown member is an error.
    pub fn from_json(input: &[u8]) -> Result<StoreOptions> {
        let bad = |message: String| err(ErrorKind::InvalidArgument, message);
        let document =
            parse_strict(input).map_err(|e| bad(format!("store options are invalid: {e}")))?;
        let Value::Object(members) = document else {
            return Err(bad("store options must be a JSON object".into()));
        };

        let mut options = StoreOptions::default();
        for (name, value) in &members {
            match (name.as_str(), value) {
                ("accountId", Value::String(id)) => {
                    check_account_id(id)?;
                    options.account_id = Some(id.clone());
                }
                ("synchronous", Value::String(mode)) => {
                    options.synchronous = match mode.as_str() {
                        "NORMAL" => Synchronous::Normal,
                        "FULL" => Synchronous::Full,
                        other => {
                            return Err(bad(format!(
                                "store option synchronous is {other:?}; use \"NORMAL\" or \"FULL\""
                            )))
                        }
                    }
                }
                ("accountId" | "synchronous", _) => {
                    return Err(bad(format!("store option {name} must be a string")));
                }
                (other, _) => {
                    return Err(bad(format!(
                        "unknown store option {other:?}; known options: accountId, synchronous"
                    )))
                }
            }
        }
        Ok(options)
    }
}

/// Requires an AWS account id: exactly 12 decimal digits.
fn check_account_id(id: &str) -> Result<()> {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    Err(err(
        ErrorKind::InvalidArgument,
        format!("store option accountId {id:?} is not 12 digits"),
    ))
}

/// A license store and the operations on it.
///
/// A `Store` is `Send + Sync`: one value may serve many threads, and several processes may
/// open the same SQLite file.
pub struct Store {
    backend: Box<dyn Backend>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("account_id", &self.backend.account_id())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the store at `location`: a SQLite file path (created if missing; its folder must
    /// exist) or `:memory:`.
    pub fn open(location: &str) -> Result<Store> {
        Store::open_with(location, &StoreOptions::default())
    }

    /// Opens the store at `location` with the options JSON of the C ABI.
    pub fn open_with_options(location: &str, options_json: &[u8]) -> Result<Store> {
        Store::open_with(location, &StoreOptions::from_json(options_json)?)
    }

    /// Opens the store at `location` with `options`.
    pub fn open_with(location: &str, options: &StoreOptions) -> Result<Store> {
        if location.is_empty() {
            return Err(err(
                ErrorKind::InvalidArgument,
                "store location is empty; pass a file path or :memory:",
            ));
        }
        if let Some(id) = &options.account_id {
            check_account_id(id)?;
        }
        let backend: Box<dyn Backend> = if is_postgres_url(location) {
            open_postgres(location, options)?
        } else {
            open_sqlite(location, options)?
        };
        Ok(Store {
            backend,
            clock: Arc::new(SystemClock),
        })
    }

    /// Replaces the clock, so tests move time instead of sleeping.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Store {
        self.clock = clock;
        self
    }

    /// Returns the store's 12-digit account id.
    pub fn account_id(&self) -> &str {
        self.backend.account_id()
    }

    /// CreateLicense: returns `{LicenseArn, Status, Version}`.
    pub fn create_license(&self, request: &[u8]) -> Result<Value> {
        engine::create_license(self.context(), &parse_request(request)?)
    }

    /// GetLicense: returns `{"License": {...}}`.
    pub fn get_license(&self, request: &[u8]) -> Result<Value> {
        engine::get_license(self.context(), &parse_request(request)?)
    }

    /// GetLicenseUsage: returns `{"LicenseUsage": {"EntitlementUsages": [...]}}`.
    pub fn get_license_usage(&self, request: &[u8]) -> Result<Value> {
        engine::get_license_usage(self.context(), &parse_request(request)?)
    }

    /// ListLicenseConsumptions, an extension: returns `{"LicenseConsumptions": [...]}`.
    pub fn list_license_consumptions(&self, request: &[u8]) -> Result<Value> {
        engine::list_license_consumptions(self.context(), &parse_request(request)?)
    }

    /// CheckoutLicense (with `CheckoutType`) or CheckoutBorrowLicense (with
    /// `DigitalSignatureMethod` and no `CheckoutType`); returns the response with its
    /// `SignedToken`.
    pub fn checkout(&self, signer: &Signer, request: &[u8]) -> Result<Value> {
        engine::checkout(self.context(), signer, &parse_request(request)?)
    }

    /// CheckInLicense: returns `{}`.
    pub fn check_in(&self, request: &[u8]) -> Result<Value> {
        engine::check_in(self.context(), &parse_request(request)?)
    }

    /// ExtendLicenseConsumption: returns `{LicenseConsumptionToken, Expiration, IssuedAt,
    /// SignedToken}`; with `DryRun` it validates and returns no `SignedToken`.
    pub fn extend_license_consumption(&self, signer: &Signer, request: &[u8]) -> Result<Value> {
        engine::extend_license_consumption(self.context(), signer, &parse_request(request)?)
    }

    fn context(&self) -> engine::Context<'_> {
        engine::Context {
            backend: self.backend.as_ref(),
            clock: self.clock.as_ref(),
        }
    }
}

fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

#[cfg(feature = "sqlite")]
fn open_sqlite(location: &str, options: &StoreOptions) -> Result<Box<dyn Backend>> {
    Ok(Box::new(sqlite::SqliteStore::open(
        location,
        options.account_id.as_deref(),
        options.synchronous,
    )?))
}

#[cfg(not(feature = "sqlite"))]
fn open_sqlite(_location: &str, _options: &StoreOptions) -> Result<Box<dyn Backend>> {
    Err(err(
        ErrorKind::Store,
        "this build of libcheckout has no SQLite store; enable the `sqlite` feature or open a \
         postgresql:// URL",
    ))
}

#[cfg(feature = "postgres")]
fn open_postgres(location: &str, options: &StoreOptions) -> Result<Box<dyn Backend>> {
    // NOTE: `synchronous` is a SQLite setting; PostgreSQL's durability is the server's
    // synchronous_commit.
    Ok(Box::new(postgres::PostgresStore::open(
        location,
        options.account_id.as_deref(),
    )?))
}

#[cfg(not(feature = "postgres"))]
fn open_postgres(_location: &str, _options: &StoreOptions) -> Result<Box<dyn Backend>> {
    Err(err(
        ErrorKind::Store,
        "this build of libcheckout has no PostgreSQL store; enable the `postgres` feature",
    ))
}

fn parse_request(request: &[u8]) -> Result<Value> {
    parse_strict(request).map_err(|e| {
        Error::request(
            ErrorKind::InvalidArgument,
            format!("request is invalid: {e}"),
        )
    })
}
