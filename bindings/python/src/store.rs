//! `libcheckout.Store`: licenses and their consumption in a SQLite file or in memory.

use std::sync::{Arc, Mutex, PoisonError};

use checkout::license::{StoreOptions, Synchronous};
use pyo3::prelude::*;
use pyo3::types::PyType;
use serde_json::Value;

use crate::convert::{json_document, json_to_py};
use crate::errors::{invalid_argument, IntoPyResult};
use crate::signer::Signer;

/// A license store: a SQLite file path (created if missing, its folder must exist) or
/// ":memory:". Requests and responses are the dicts of AWS License Manager's API.
///
/// Safe to share between threads; every operation releases the GIL. Use it as a context
/// manager or call close(); calls after close() raise InvalidArgumentError.
#[pyclass(frozen, module = "libcheckout")]
pub(crate) struct Store {
    /// `None` once closed. Operations clone the `Arc` and run without this lock, so a close
    /// during an operation takes effect when that operation ends.
    inner: Mutex<Option<Arc<checkout::license::Store>>>,
}

impl Store {
    fn open_store(&self) -> PyResult<Arc<checkout::license::Store>> {
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        guard
            .clone()
            .ok_or_else(|| invalid_argument("the store is closed; open a new Store"))
    }

    /// Runs one operation on a JSON request with the GIL released and converts the response.
    fn run<'py>(
        &self,
        py: Python<'py>,
        request: &Bound<'py, PyAny>,
        operation: impl FnOnce(&checkout::license::Store, &[u8]) -> checkout::Result<Value> + Send,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = json_document(request, "request")?;
        let store = self.open_store()?;
        let response = py.detach(|| operation(&store, &request)).into_py_result()?;
        json_to_py(py, &response)
    }
}

#[pymethods]
impl Store {
    /// Open or create the store at `location`. `account_id` (12 digits, default
    /// "000000000000") is written into license ARNs and applies only when the store is
    /// created. `synchronous` is "NORMAL" (the default: a returned checkout survives the
    /// process being killed) or "FULL" (it also survives a power loss).
    #[new]
    #[pyo3(signature = (location, *, account_id = None, synchronous = None))]
    fn new(
        py: Python<'_>,
        location: &Bound<'_, PyAny>,
        account_id: Option<String>,
        synchronous: Option<&str>,
    ) -> PyResult<Self> {
        let location: String = py
            .import("os")?
            .getattr("fspath")?
            .call1((location,))?
            .extract()
            .map_err(|_| {
                pyo3::exceptions::PyTypeError::new_err(
                    "location must be a str or os.PathLike of str",
                )
            })?;
        let synchronous = match synchronous {
            None | Some("NORMAL") => Synchronous::Normal,
            Some("FULL") => Synchronous::Full,
            Some(other) => {
                return Err(invalid_argument(format!(
                    "synchronous is {other:?}; use \"NORMAL\" or \"FULL\""
                )))
            }
        };
        let options = StoreOptions {
            account_id,
            synchronous,
        };
        let store = py
            .detach(|| checkout::license::Store::open_with(&location, &options))
            .into_py_result()?;
        Ok(Store {
            inner: Mutex::new(Some(Arc::new(store))),
        })
    }

    /// The store's 12-digit account id.
    #[getter]
    fn account_id(&self) -> PyResult<String> {
        Ok(self.open_store()?.account_id().to_owned())
    }

    /// Whether close() was called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
    }

    /// Close the store. Later calls raise InvalidArgumentError; closing twice is allowed.
    fn close(&self) {
        let released = self
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(released);
    }

    fn __enter__(slf: Py<Self>, py: Python<'_>) -> PyResult<Py<Self>> {
        // Entering a closed store fails like every other call after close().
        slf.borrow(py).open_store()?;
        Ok(slf)
    }

    #[pyo3(signature = (exc_type, exc_value, traceback))]
    fn __exit__(
        &self,
        exc_type: Option<&Bound<'_, PyType>>,
        exc_value: Option<&Bound<'_, PyAny>>,
        traceback: Option<&Bound<'_, PyAny>>,
    ) -> bool {
        let _ = (exc_type, exc_value, traceback);
        self.close();
        false
    }

    /// CreateLicense: return {"LicenseArn", "Status", "Version"}.
    fn create_license<'py>(
        &self,
        py: Python<'py>,
        request: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, request, |store, request| store.create_license(request))
    }

    /// GetLicense: return {"License": {...}}.
    fn get_license<'py>(
        &self,
        py: Python<'py>,
        request: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, request, |store, request| store.get_license(request))
    }

    /// GetLicenseUsage: return {"LicenseUsage": {"EntitlementUsages": [...]}}.
    fn get_license_usage<'py>(
        &self,
        py: Python<'py>,
        request: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, request, |store, request| {
            store.get_license_usage(request)
        })
    }

    /// ListLicenseConsumptions (an extension of the AWS API): return
    /// {"LicenseConsumptions": [...]} for {"LicenseArn", "State"?}.
    fn list_license_consumptions<'py>(
        &self,
        py: Python<'py>,
        request: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, request, |store, request| {
            store.list_license_consumptions(request)
        })
    }

    /// CheckoutLicense (a request with "CheckoutType") or CheckoutBorrowLicense (with
    /// "DigitalSignatureMethod"): take entitlements and return the response with its
    /// "SignedToken", signed by `signer`.
    fn checkout<'py>(
        &self,
        py: Python<'py>,
        signer: &Bound<'py, Signer>,
        request: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let signer = Arc::clone(&signer.get().inner);
        self.run(py, request, move |store, request| {
            store.checkout(&signer, request)
        })
    }

    /// CheckInLicense: give the consumption's quantity back to the license and return {}.
    fn check_in<'py>(
        &self,
        py: Python<'py>,
        request: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.run(py, request, |store, request| store.check_in(request))
    }

    /// ExtendLicenseConsumption: move the expiration and return a fresh "SignedToken"
    /// signed by `signer` (none with "DryRun").
    fn extend_license_consumption<'py>(
        &self,
        py: Python<'py>,
        signer: &Bound<'py, Signer>,
        request: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let signer = Arc::clone(&signer.get().inner);
        self.run(py, request, move |store, request| {
            store.extend_license_consumption(&signer, request)
        })
    }

    fn __repr__(&self) -> String {
        match self.open_store() {
            Ok(store) => format!("Store(account_id={:?})", store.account_id()),
            Err(_) => "Store(closed)".to_owned(),
        }
    }
}
