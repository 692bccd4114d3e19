//! A pool of sessions on one token, so that several threads can sign at once: a PKCS#11
//! session runs one operation at a time and must not be shared between threads.

use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use cryptoki::session::Session;
use cryptoki::slot::Slot;

use super::module::Module;
use crate::error::Result;

/// The sessions of one signer on one token, all logged in as the normal user.
pub(super) struct SessionPool {
    module: Arc<Module>,
    slot: Slot,
    token_label: String,
    /// The session that logged in. It stays open for the pool's lifetime, because a token
    /// logs the application out when its last session closes.
    login: Mutex<Session>,
    idle: Mutex<Vec<Session>>,
}

impl SessionPool {
    /// Opens a session on `slot` and logs in with `pin`.
    pub(super) fn open(
        module: Arc<Module>,
        slot: Slot,
        token_label: &str,
        pin: &str,
    ) -> Result<SessionPool> {
        let session = module.open_session(slot, token_label)?;
        module.login(&session, slot, token_label, pin)?;
        Ok(SessionPool {
            module,
            slot,
            token_label: token_label.to_owned(),
            login: Mutex::new(session),
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Returns the session that logged in, for one-off lookups while the signer is created.
    pub(super) fn login_session(&self) -> MutexGuard<'_, Session> {
        self.login.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes an idle session, or opens one when every session is busy.
    pub(super) fn acquire(&self) -> Result<PooledSession<'_>> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let session = match idle {
            Some(session) => session,
            None => self.module.open_session(self.slot, &self.token_label)?,
        };
        Ok(PooledSession {
            pool: self,
            session: Some(session),
        })
    }
}

/// A session taken from a [`SessionPool`]; it goes back to the pool when dropped.
pub(super) struct PooledSession<'a> {
    pool: &'a SessionPool,
    session: Option<Session>,
}

impl PooledSession<'_> {
    /// Closes the session instead of returning it, after a failure that may have left it
    /// unusable (a closed session, a removed token).
    pub(super) fn discard(mut self) {
        self.session = None;
    }
}

impl Deref for PooledSession<'_> {
    type Target = Session;

    fn deref(&self) -> &Session {
        // The option is only emptied by discard and drop, which consume the guard.
        self.session
            .as_ref()
            .unwrap_or_else(|| unreachable!("a pooled session is present until dropped"))
    }
}

impl Drop for PooledSession<'_> {
    fn drop(&mut self) {
        if let Some(session) = self.session.take() {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(session);
        }
    }
}
