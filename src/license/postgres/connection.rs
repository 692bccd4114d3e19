//! One pooled connection: the statements it has prepared, and how it opens and ends the
//! store's transactions.
//!
//! A write transaction commits asynchronously, which releases its locks as soon as its
//! commit record is in the WAL buffers, and then commits a small transaction of its own
//! synchronously. PostgreSQL flushes the WAL in order, so that second flush also makes durable
//! the write transaction and every transaction whose effects the write transaction saw. So a
//! write operation returns only once everything it acted on is durable. A lock is held during
//! statements alone, never during a disk flush, and concurrent writers share one flush (the
//! server's own group commit) instead of waiting for one flush each.

use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{Client, Row, Statement};

use super::store_error;
use crate::error::Result;

/// Opens a write transaction that commits asynchronously; its statements take the locks.
const BEGIN_WRITE: &str = "BEGIN; SET LOCAL synchronous_commit TO off";

const BEGIN_READ: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY";

/// A transactional logical message needs a transaction id and writes WAL, so its commit
/// waits for a synchronous flush. Its prefix names the writer for logical decoding clients.
const DURABILITY_BARRIER: &str =
    "BEGIN; SELECT pg_logical_emit_message(true, 'libcheckout', 'flush'); COMMIT";

/// A connection and the statements prepared on it, by SQL text.
pub(super) struct Connection {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

impl Connection {
    pub(super) fn new(client: Client) -> Connection {
        Connection {
            client,
            statements: HashMap::new(),
        }
    }

    pub(super) fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Runs `work` between `BEGIN` and `COMMIT`, as a write transaction when `write` is set.
    /// Returns the outcome and whether the connection is still fit for the pool: a connection
    /// whose transaction could not be ended cleanly is in an unknown state and is dropped.
    pub(super) fn transaction(
        &mut self,
        write: bool,
        work: impl FnOnce(&mut Connection) -> Result<()>,
    ) -> (Result<()>, bool) {
        // A read needs one snapshot across its statements: the checks before a checkout signs
        // must not see a concurrent request's consumption without its ClientToken record,
        // else they reject a request that should replay.
        let begin = if write { BEGIN_WRITE } else { BEGIN_READ };
        if let Err(error) = self.batch(begin, "begin a transaction") {
            return (Err(error), false);
        }

        let outcome = work(self);

        let end = match (&outcome, write) {
            (Ok(()), true) => format!("COMMIT; {DURABILITY_BARRIER}"),
            // A rejection may rest on another writer's commit that is not flushed yet, so a
            // failed write also waits for the flush before it returns.
            (Err(_), true) => format!("ROLLBACK; {DURABILITY_BARRIER}"),
            (Ok(()), false) => "COMMIT".to_owned(),
            (Err(_), false) => "ROLLBACK".to_owned(),
        };
        match (self.batch(&end, "commit"), outcome) {
            (Ok(()), outcome) => (outcome, true),
            (Err(_), Err(error)) => (Err(error), false),
            (Err(error), Ok(())) => (Err(error), false),
        }
    }

    fn batch(&mut self, sql: &str, context: &str) -> Result<()> {
        self.client
            .batch_execute(sql)
            .map_err(|e| store_error(context, e))
    }

    fn statement(&mut self, sql: &'static str, context: &str) -> Result<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self
            .client
            .prepare(sql)
            .map_err(|e| store_error(context, e))?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }

    pub(super) fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
        context: &str,
    ) -> Result<Vec<Row>> {
        let statement = self.statement(sql, context)?;
        self.client
            .query(&statement, params)
            .map_err(|e| store_error(context, e))
    }

    pub(super) fn query_opt(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
        context: &str,
    ) -> Result<Option<Row>> {
        let statement = self.statement(sql, context)?;
        self.client
            .query_opt(&statement, params)
            .map_err(|e| store_error(context, e))
    }

    pub(super) fn execute(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
        context: &str,
    ) -> Result<()> {
        let statement = self.statement(sql, context)?;
        self.client
            .execute(&statement, params)
            .map(|_| ())
            .map_err(|e| store_error(context, e))
    }

    /// Returns the underlying client, for the schema set-up that runs once per store.
    pub(super) fn client(&mut self) -> &mut Client {
        &mut self.client
    }
}
