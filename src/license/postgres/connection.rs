//! One pooled connection: its driver, the statements it has prepared, and pipelines.
//!
//! A pipeline sends several statements before it reads the first response, so a
//! transaction's locks, reads and writes reach the server in one round trip where the
//! statements do not need each other's results. The server still runs them one after
//! another, each in its own extended-protocol exchange, so each statement reads what
//! the statements before it wrote.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use futures_util::future::join_all;
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, NoTls, Row, Statement};

use super::store_error;
use crate::error::Result;

/// How long dropping a connection waits for its Terminate message to be written.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// A parameter that a deferred statement owns until the statement is sent.
pub(super) type Param = Box<dyn ToSql + Sync + Send>;

/// One statement of a pipeline, with the step it performs, for messages.
pub(super) struct Query {
    pub(super) sql: &'static str,
    pub(super) params: Vec<Param>,
    pub(super) context: &'static str,
}

impl Query {
    pub(super) fn new(sql: &'static str, params: Vec<Param>, context: &'static str) -> Query {
        Query {
            sql,
            params,
            context,
        }
    }
}

/// A connection and the statements prepared on it, by SQL text.
pub(super) struct Connection {
    /// A current-thread runtime: it runs the connection task only while this connection
    /// waits for a response, on the caller's thread, so a connection owns no thread.
    runtime: Runtime,
    client: Option<Client>,
    task: Option<JoinHandle<()>>,
    statements: HashMap<&'static str, Statement>,
}

impl Connection {
    pub(super) fn connect(url: &str) -> std::result::Result<Connection, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| format!("could not start the connection's runtime: {e}"))?;
        let (client, connection) = runtime
            .block_on(tokio_postgres::connect(url, NoTls))
            .map_err(|e| super::describe(&e))?;
        // The task ends when the client is dropped or the server closes the connection. An
        // error that ends it also fails the next request, which reports the error.
        let task = runtime.spawn(async move {
            let _ = connection.await;
        });
        Ok(Connection {
            runtime,
            client: Some(client),
            task: Some(task),
            statements: HashMap::new(),
        })
    }

    fn client(&self) -> &Client {
        // The client is taken only by `drop`.
        self.client.as_ref().unwrap_or_else(|| unreachable!())
    }

    pub(super) fn is_closed(&self) -> bool {
        self.client().is_closed()
    }

    /// Returns whether the connection has ended, after reading what is pending on its socket.
    /// The connection task runs only while a call waits, so the server's closing of an idle
    /// pooled connection (a restart, or `pg_terminate_backend`) is noticed only once the task
    /// has run again.
    pub(super) fn has_ended(&self) -> bool {
        if !self.client().is_closed() {
            self.runtime.block_on(async {
                // A yield lets the runtime poll the socket and then run the woken task.
                tokio::task::yield_now().await;
                tokio::task::yield_now().await;
            });
        }
        self.client().is_closed()
    }

    /// Runs `work` with the client on this connection's runtime, for the schema set-up that
    /// runs once per store.
    pub(super) fn run<'c, T, F>(&'c self, work: impl FnOnce(&'c Client) -> F) -> T
    where
        F: Future<Output = T> + 'c,
    {
        self.runtime.block_on(work(self.client()))
    }

    /// Prepares the statements of `queries` that this connection has not prepared yet.
    fn prepare(&mut self, queries: &[Query]) -> Result<Vec<Statement>> {
        for query in queries {
            if self.statements.contains_key(query.sql) {
                continue;
            }
            let statement = self
                .run(|client| client.prepare(query.sql))
                .map_err(|e| store_error(query.context, e))?;
            self.statements.insert(query.sql, statement);
        }
        Ok(queries
            .iter()
            .filter_map(|query| self.statements.get(query.sql).cloned())
            .collect())
    }

    /// Sends every query before reading any response, and returns the rows or the error of
    /// each, named by its query's context. The queries after a failed one still ran, and
    /// inside a transaction they failed too, because the server aborted it. The outer error
    /// is a statement that could not be prepared, before anything ran.
    pub(super) fn pipeline(&mut self, queries: &[Query]) -> Result<Vec<Result<Vec<Row>>>> {
        let statements = self.prepare(queries)?;
        let params: Vec<Vec<&(dyn ToSql + Sync)>> = queries
            .iter()
            .map(|query| {
                query
                    .params
                    .iter()
                    .map(|param| param.as_ref() as &(dyn ToSql + Sync))
                    .collect()
            })
            .collect();

        // Each query future sends its request when first polled, and `join_all` polls them
        // in order, so the requests leave in the order of `queries`.
        let outcomes = self.run(|client| {
            join_all(
                statements
                    .iter()
                    .zip(&params)
                    .map(|(statement, params)| client.query(statement, params)),
            )
        });
        Ok(outcomes
            .into_iter()
            .zip(queries)
            .map(|(outcome, query)| outcome.map_err(|e| store_error(query.context, e)))
            .collect())
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Dropping the client makes the task send Terminate and end; waiting for it lets the
        // server log a clean disconnection instead of a lost one.
        drop(self.client.take());
        let Some(task) = self.task.take() else {
            return;
        };
        // Blocking is not allowed on a thread that runs another Tokio runtime, so the server
        // then logs the end of the connection without Terminate.
        if tokio::runtime::Handle::try_current().is_ok() {
            return;
        }
        self.runtime.block_on(async move {
            let _ = tokio::time::timeout(CLOSE_TIMEOUT, task).await;
        });
    }
}
