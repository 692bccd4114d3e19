//! Waiting until a write transaction is on disk, without holding its locks meanwhile.
//!
//! A write transaction commits asynchronously, which releases its locks as soon as its
//! commit record is in the WAL buffers. The writer then waits for a durability barrier: a
//! small transaction that commits with the server's `synchronous_commit` setting, which
//! waits for the disk unless an administrator turned it off. PostgreSQL flushes the WAL in order, so the
//! barrier's flush also makes durable every transaction that committed before the barrier
//! began, including those whose effects the writer saw. So a write operation returns only
//! once everything it acted on is durable, a lock is held during statements alone, never
//! during a disk flush, and the server's own group commit shares one flush among
//! concurrent barriers.
//!
//! Writers of one store share barriers as well: a writer whose commit ended while a barrier
//! was running waits for the next one, which one of the waiting writers runs for all of them.

use std::sync::{Condvar, Mutex};

use super::connection::{Connection, Query};
use crate::error::Result;

/// A transactional logical message needs a transaction id and writes WAL, so its commit
/// waits for the flush. Sent alone, the statement is a transaction of its own. The prefix
/// names the writer for logical decoding clients.
const BARRIER: &str = "SELECT pg_logical_emit_message(true, 'libcheckout', 'flush')";

/// The barriers of one store, numbered in the order they started.
#[derive(Default)]
struct Barriers {
    started: u64,
    /// The number of the last barrier that succeeded; every barrier before it had ended.
    finished: u64,
    running: bool,
}

pub(super) struct Durability {
    barriers: Mutex<Barriers>,
    ended: Condvar,
}

impl Durability {
    pub(super) fn new() -> Durability {
        Durability {
            barriers: Mutex::new(Barriers::default()),
            ended: Condvar::new(),
        }
    }

    /// Returns once a barrier that began after this call has succeeded, running one on
    /// `connection` when none is running.
    pub(super) fn wait(&self, connection: &mut Connection) -> Result<()> {
        let mut barriers = self.barriers.lock().unwrap_or_else(|p| p.into_inner());
        // A running barrier may have begun before the caller's commit, so only the next
        // one counts.
        let needed = barriers.started + 1;
        loop {
            if barriers.finished >= needed {
                return Ok(());
            }
            if !barriers.running {
                barriers.running = true;
                barriers.started += 1;
                let number = barriers.started;
                drop(barriers);

                let outcome = run_barrier(connection);

                let mut barriers = self.barriers.lock().unwrap_or_else(|p| p.into_inner());
                barriers.running = false;
                if outcome.is_ok() {
                    barriers.finished = number;
                }
                // On failure the waiters run their own barrier, each on its own connection.
                self.ended.notify_all();
                return outcome;
            }
            barriers = self.ended.wait(barriers).unwrap_or_else(|p| p.into_inner());
        }
    }
}

fn run_barrier(connection: &mut Connection) -> Result<()> {
    let query = Query::new(BARRIER, Vec::new(), "wait for the disk");
    for outcome in connection.pipeline(&[query])? {
        outcome?;
    }
    Ok(())
}
