//! PKCS#11 modules: one loaded and initialized context per module file per process, token
//! lookup, user login, and the names of PKCS#11 return values in messages.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as Pkcs11Error, RvError};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;

use crate::backend;
use crate::error::{err, ErrorKind, Result};

/// Every module loaded by this process, by canonical path. A module is initialized once and
/// never finalized, because C_Finalize would end the sessions of every signer using it.
static MODULES: LazyLock<Mutex<HashMap<PathBuf, Arc<Module>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// A loaded, initialized PKCS#11 module, shared by every signer created from it.
pub(super) struct Module {
    /// The path the module was first loaded by, for messages.
    path: PathBuf,
    context: Pkcs11,
    /// SHA-256 of the PIN that this process last logged in with, per slot id. A token that
    /// is already logged in returns CKR_USER_ALREADY_LOGGED_IN from C_Login without checking
    /// the PIN, so a later signer's PIN is compared with this digest instead.
    logins: Mutex<HashMap<u64, [u8; 32]>>,
}

impl Module {
    /// Returns the module at `path`, loading and initializing it on first use.
    pub(super) fn load(path: &Path) -> Result<Arc<Module>> {
        let canonical = std::fs::canonicalize(path).map_err(|e| {
            err(
                ErrorKind::Signer,
                format!("PKCS#11 module {} cannot be opened: {e}", path.display()),
            )
        })?;
        let mut modules = MODULES.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(module) = modules.get(&canonical) {
            return Ok(Arc::clone(module));
        }

        let context = Pkcs11::new(&canonical)
            .map_err(|e| failure(&format!("loading PKCS#11 module {}", path.display()), &e))?;
        // Another library in the process may have initialized the module already. The
        // module's state is then shared with it, as it is between this registry's signers.
        match context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) | Err(Pkcs11Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => {
                return Err(failure(
                    &format!("initializing PKCS#11 module {}", path.display()),
                    &e,
                ))
            }
        }

        let module = Arc::new(Module {
            path: path.to_path_buf(),
            context,
            logins: Mutex::new(HashMap::new()),
        });
        modules.insert(canonical, Arc::clone(&module));
        Ok(module)
    }

    /// Finds the slot whose token has the label `label`.
    pub(super) fn find_token(&self, label: &str) -> Result<Slot> {
        let action = format!(
            "listing the tokens of PKCS#11 module {}",
            self.path.display()
        );
        let slots = self
            .context
            .get_slots_with_initialized_token()
            .map_err(|e| failure(&action, &e))?;
        let mut seen = Vec::new();
        for slot in slots {
            let info = self
                .context
                .get_token_info(slot)
                .map_err(|e| failure(&action, &e))?;
            if info.label() == label {
                return Ok(slot);
            }
            seen.push(format!("{:?}", info.label()));
        }
        let present = if seen.is_empty() {
            "no initialized token is present".to_owned()
        } else {
            format!("initialized tokens: {}", seen.join(", "))
        };
        Err(err(
            ErrorKind::Signer,
            format!(
                "no token labelled {label:?} in PKCS#11 module {} ({present})",
                self.path.display()
            ),
        ))
    }

    /// Opens a read-only session on `slot`; signing needs no read-write session.
    pub(super) fn open_session(&self, slot: Slot, token_label: &str) -> Result<Session> {
        self.context
            .open_ro_session(slot)
            .map_err(|e| failure(&format!("opening a session on token {token_label:?}"), &e))
    }

    /// Logs the normal user in on the token of `session`. The login state belongs to the
    /// application, not the session, so a token that is already logged in stays so.
    pub(super) fn login(
        &self,
        session: &Session,
        slot: Slot,
        token_label: &str,
        pin: &str,
    ) -> Result<()> {
        let digest = backend::sha256(pin.as_bytes());
        let mut logins = self.logins.lock().unwrap_or_else(PoisonError::into_inner);
        let secret = AuthPin::from(pin.to_owned());
        match session.login(UserType::User, Some(&secret)) {
            Ok(()) => {
                logins.insert(slot.id(), digest);
                Ok(())
            }
            Err(Pkcs11Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {
                match logins.get(&slot.id()) {
                    Some(recorded) if *recorded != digest => Err(err(
                        ErrorKind::Signer,
                        format!(
                            "logging in to token {token_label:?} failed: C_Login returned \
                             CKR_USER_ALREADY_LOGGED_IN, and the PIN given differs from the PIN this \
                             process logged in with, so it is wrong or has been changed"
                        ),
                    )),
                    // NOTE: a token logged in by other code of this process, outside
                    // libcheckout, accepts any PIN here, because PKCS#11 offers no way to
                    // check a PIN while logged in.
                    _ => Ok(()),
                }
            }
            Err(e) => Err(failure(&format!("logging in to token {token_label:?}"), &e)),
        }
    }
}

/// Returns an [`ErrorKind::Signer`] error for a failed PKCS#11 step.
pub(super) fn failure(action: &str, error: &Pkcs11Error) -> crate::Error {
    err(
        ErrorKind::Signer,
        format!("{action} failed: {}", describe(error)),
    )
}

/// Describes a cryptoki error by the PKCS#11 function and the name of its return value,
/// such as "C_Login returned CKR_PIN_INCORRECT".
fn describe(error: &Pkcs11Error) -> String {
    match error {
        Pkcs11Error::Pkcs11(rv, function) => {
            format!("C_{function:?} returned {}", return_value_name(*rv))
        }
        Pkcs11Error::LibraryLoading(e) => format!("the module could not be loaded ({e})"),
        other => other.to_string(),
    }
}

/// Returns the PKCS#11 name of a return value, such as `CKR_PIN_INCORRECT`.
fn return_value_name(rv: RvError) -> String {
    match rv {
        RvError::VendorDefined(code) => format!("vendor-defined return value {code:#x}"),
        RvError::UnknownErrorCode(code) => format!("unknown return value {code:#x}"),
        // cryptoki names each variant after its constant in CamelCase: PinIncorrect is
        // CKR_PIN_INCORRECT.
        named => {
            let camel = format!("{named:?}");
            let mut name = String::from("CKR");
            for c in camel.chars() {
                if c.is_ascii_uppercase() {
                    name.push('_');
                }
                name.push(c.to_ascii_uppercase());
            }
            name
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_value_names_match_pkcs11() {
        assert_eq!(
            return_value_name(RvError::PinIncorrect),
            "CKR_PIN_INCORRECT"
        );
        assert_eq!(
            return_value_name(RvError::UserAlreadyLoggedIn),
            "CKR_USER_ALREADY_LOGGED_IN"
        );
        assert_eq!(
            return_value_name(RvError::SessionReadWriteSoExists),
            "CKR_SESSION_READ_WRITE_SO_EXISTS"
        );
        assert_eq!(return_value_name(RvError::Cancel), "CKR_CANCEL");
        assert_eq!(
            return_value_name(RvError::VendorDefined(0x8000_0001)),
            "vendor-defined return value 0x80000001"
        );
    }

    #[test]
    fn missing_module_is_a_signer_error() {
        let error = Module::load(Path::new("/nonexistent/libpkcs11.so"))
            .err()
            .expect("a missing file fails");
        assert_eq!(error.kind(), ErrorKind::Signer);
        assert!(
            error
                .message()
                .starts_with("PKCS#11 module /nonexistent/libpkcs11.so cannot be opened"),
            "{}",
            error.message()
        );
    }
}
