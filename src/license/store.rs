//! The interface every store implements: short transactions over licenses, consumptions
//! and ClientToken records. The rules live in the engine, never in a store.

use std::collections::HashMap;

use super::model::{Consumption, License};
use crate::error::Result;

/// Consumed and overage quantities of one entitlement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    pub(crate) consumed: i64,
    pub(crate) overage: i64,
}

/// A stored response to a request with a ClientToken.
pub(crate) struct Recorded {
    /// Hex SHA-256 of the canonical request without its ClientToken.
    pub(crate) request_hash: String,
    /// The response JSON, returned verbatim on replay.
    pub(crate) response: String,
}

/// What a checkout reads about one license before it decides.
pub(crate) struct Lookup<'r> {
    /// The ClientToken record to read, by operation and ClientToken.
    pub(crate) operation: &'r str,
    pub(crate) client_token: &'r str,
    pub(crate) license_arn: &'r str,
    /// The time at which the usage is read.
    pub(crate) now: i64,
}

/// The records that a [`Lookup`] reads.
pub(crate) struct Looked {
    pub(crate) recorded: Option<Recorded>,
    pub(crate) license: Option<License>,
    pub(crate) usage: HashMap<String, Usage>,
}

/// A range of consumed quantities of one entitlement within which a checkout's plan grants
/// the same entitlements.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UsageBound {
    pub(crate) name: String,
    pub(crate) min: i64,
    pub(crate) max: i64,
}

/// A signed checkout to record, unless its ClientToken has a response already or the usage of
/// its license left `bounds`.
pub(crate) struct NewCheckout<'r> {
    pub(crate) operation: &'r str,
    pub(crate) client_token: &'r str,
    pub(crate) recorded: &'r Recorded,
    pub(crate) consumption: &'r Consumption,
    /// The time at which the usage is read.
    pub(crate) now: i64,
    pub(crate) bounds: &'r [UsageBound],
}

/// The result of [`Transaction::record_checkout`].
pub(crate) enum CheckoutRecorded {
    Inserted,
    /// The response recorded earlier for the ClientToken; nothing was inserted.
    Replayed(Recorded),
    /// The current usage, outside the bounds; nothing was inserted.
    Moved(HashMap<String, Usage>),
}

/// Returns whether every bound holds for `usage`; an entitlement without usage has consumed 0.
pub(crate) fn within(bounds: &[UsageBound], usage: &HashMap<String, Usage>) -> bool {
    bounds.iter().all(|bound| {
        let consumed = usage.get(&bound.name).map_or(0, |u| u.consumed);
        (bound.min..=bound.max).contains(&consumed)
    })
}

/// Records a checkout inside the caller's write transaction: the body of
/// [`Transaction::record_checkout`] for a store that does it statement by statement.
pub(crate) fn record_checkout_in(
    tx: &mut (impl Transaction + ?Sized),
    checkout: &NewCheckout<'_>,
) -> Result<CheckoutRecorded> {
    let consumption = checkout.consumption;
    if let Some(recorded) = tx.recorded(checkout.operation, checkout.client_token)? {
        return Ok(CheckoutRecorded::Replayed(recorded));
    }
    let usage = tx.usage(&consumption.license_arn, checkout.now)?;
    if !within(checkout.bounds, &usage) {
        return Ok(CheckoutRecorded::Moved(usage));
    }
    tx.insert_consumption(consumption)?;
    tx.record(checkout.operation, checkout.client_token, checkout.recorded)?;
    Ok(CheckoutRecorded::Inserted)
}

/// The operations of one transaction.
pub(crate) trait Transaction {
    fn license(&mut self, arn: &str) -> Result<Option<License>>;

    /// Returns every license with this SKU and issuer fingerprint, whatever its validity.
    fn licenses_by_sku(&mut self, sku: &str, key_fingerprint: &str) -> Result<Vec<License>>;

    fn insert_license(&mut self, license: &License) -> Result<()>;

    /// Returns, per entitlement name, what the license's consumptions hold at `now`: the
    /// unexpired, not checked-in ones and every PERPETUAL one.
    fn usage(&mut self, arn: &str, now: i64) -> Result<HashMap<String, Usage>>;

    fn consumption(&mut self, token: &str) -> Result<Option<Consumption>>;

    fn consumptions(&mut self, arn: &str) -> Result<Vec<Consumption>>;

    fn insert_consumption(&mut self, consumption: &Consumption) -> Result<()>;

    /// Updates the times and check-in flag of a stored consumption.
    fn update_consumption(&mut self, consumption: &Consumption) -> Result<()>;

    fn recorded(&mut self, operation: &str, client_token: &str) -> Result<Option<Recorded>>;

    fn record(&mut self, operation: &str, client_token: &str, recorded: &Recorded) -> Result<()>;

    /// Reads the ClientToken record, the license and its usage, in this order, so a write
    /// transaction takes the ClientToken lock before the license lock. A store may answer in
    /// one statement; in a read transaction, a lookup must then be the only call.
    fn lookup(&mut self, lookup: &Lookup<'_>) -> Result<Looked> {
        let recorded = self.recorded(lookup.operation, lookup.client_token)?;
        let license = self.license(lookup.license_arn)?;
        let usage = self.usage(lookup.license_arn, lookup.now)?;
        Ok(Looked {
            recorded,
            license,
            usage,
        })
    }

    /// Records a checkout's consumption and response in a write transaction, unless its
    /// ClientToken has a response already or the usage left the bounds of its plan. Takes the
    /// ClientToken lock before the license lock. A store may do it in one statement that
    /// commits by itself; the transaction then continues with new statements.
    fn record_checkout(&mut self, checkout: &NewCheckout<'_>) -> Result<CheckoutRecorded> {
        record_checkout_in(self, checkout)
    }
}

/// A store: the account it belongs to and transactions that commit when the closure
/// returns `Ok` and roll back when it returns `Err`.
pub(crate) trait Backend: Send + Sync {
    fn account_id(&self) -> &str;

    /// Runs `work` in a read-only transaction.
    fn read(&self, work: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()>;

    /// Runs `work` in a write transaction that takes the write lock at its start, so two
    /// writers never interleave their capacity checks.
    fn write(&self, work: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()>;
}
