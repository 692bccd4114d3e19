//! Conversion of core errors into the exception classes of `libcheckout.errors`.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList};

use crate::callback::take_raised;

/// The factory in `libcheckout.errors` that builds the exception for a status.
static FROM_STATUS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Converts a core error into the exception class of its status, carrying its message and
/// its per-entitlement reasons. A `SignerError` caused by an exception in a signing callback
/// on this thread gets that exception as its `__cause__`.
pub(crate) fn to_py_err(error: checkout::Error) -> PyErr {
    // Taken for every error, so an exception never outlives the call that raised it.
    let raised = take_raised();
    Python::attach(|py| {
        // KeyboardInterrupt and SystemExit are not failures of the signer: they propagate.
        if let Some(interrupt) = raised
            .as_ref()
            .filter(|e| !e.is_instance_of::<pyo3::exceptions::PyException>(py))
        {
            return interrupt.clone_ref(py);
        }
        convert(py, &error, raised)
    })
}

fn convert(py: Python<'_>, error: &checkout::Error, raised: Option<PyErr>) -> PyErr {
    match build_exception(py, error) {
        Ok(exception) => {
            let exception = PyErr::from_value(exception);
            if error.kind() == checkout::ErrorKind::Signer {
                exception.set_cause(py, raised);
            }
            exception
        }
        Err(import_failure) => import_failure,
    }
}

fn build_exception<'py>(py: Python<'py>, error: &checkout::Error) -> PyResult<Bound<'py, PyAny>> {
    let factory = FROM_STATUS.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py
            .import("libcheckout.errors")?
            .getattr("_from_status")?
            .unbind())
    })?;

    let reasons = PyList::empty(py);
    for reason in error.reasons() {
        let entry = PyDict::new(py);
        entry.set_item("name", &reason.name)?;
        entry.set_item("reason", &reason.reason)?;
        reasons.append(entry)?;
    }
    factory.bind(py).call1((
        error.status(),
        error.kind().code(),
        error.message(),
        reasons,
    ))
}

/// Builds an `InvalidArgumentError` for a Python value rejected before it reaches the core.
pub(crate) fn invalid_argument(message: impl Into<String>) -> PyErr {
    to_py_err(checkout::Error::new(
        checkout::ErrorKind::InvalidArgument,
        message,
    ))
}

/// Extension to turn core results into Python results.
pub(crate) trait IntoPyResult<T> {
    fn into_py_result(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for checkout::Result<T> {
    fn into_py_result(self) -> PyResult<T> {
        self.map_err(to_py_err)
    }
}
