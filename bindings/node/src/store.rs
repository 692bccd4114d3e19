//! `Store`: licenses and their consumption in a SQLite file or in memory.

use std::sync::{Arc, Mutex, PoisonError};

use checkout::license::StoreOptions;
use napi::bindgen_prelude::{AsyncTask, ClassInstance, FromNapiValue, JavaScriptClassExt, Unknown};
use napi::{Env, JsValue, ValueType};
use serde_json::Value;

use crate::convert::{describe, json_document};
use crate::errors::{guarded, invalid_argument, type_error, IntoJsResult};
use crate::options::store_options;
use crate::signer::Signer;
use crate::task::{spawn, spawn_signing, Job, Json, SignerTask};

type CoreStore = checkout::license::Store;
type Response = AsyncTask<Job<Value, Json>>;

/// A license store: a SQLite file path (created if missing; its folder must exist) or
/// ":memory:". Requests and responses are the objects of AWS License Manager's API; a request
/// may also be JSON text.
///
/// Calls after `close()` throw LM_STATUS_INVALID_ARGUMENT.
#[napi]
pub struct Store {
    /// `None` once closed. Operations clone the `Arc` and run without this lock, so a close
    /// during an asynchronous operation takes effect when that operation ends.
    inner: Mutex<Option<Arc<CoreStore>>>,
}

fn open(location: &str, options: &StoreOptions) -> checkout::Result<Store> {
    let store = CoreStore::open_with(location, options)?;
    Ok(Store {
        inner: Mutex::new(Some(Arc::new(store))),
    })
}

fn location_arg(env: &Env, value: &Unknown<'_>) -> napi::Result<String> {
    if value.get_type()? != ValueType::String {
        return Err(type_error(
            env,
            format!("location must be a string, not {}", describe(value)),
        ));
    }
    // SAFETY: the value is a string of the current call's environment.
    unsafe { String::from_napi_value(env.raw(), value.raw()) }
}

/// Reads a `Signer` argument: its core signer, and whether signing calls JavaScript.
fn signer_arg(env: &Env, value: &Unknown<'_>) -> napi::Result<(Arc<checkout::Signer>, bool)> {
    if !Signer::instance_of(env, value)? {
        return Err(type_error(
            env,
            format!("signer must be a Signer, not {}", describe(value)),
        ));
    }
    // SAFETY: the value is a Signer instance of the current call's environment.
    let signer = unsafe { ClassInstance::<Signer>::from_napi_value(env.raw(), value.raw()) }?;
    Ok((Arc::clone(&signer.inner), signer.calls_js))
}

impl Store {
    fn open_store(&self, env: &Env) -> napi::Result<Arc<CoreStore>> {
        let guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        guard
            .clone()
            .ok_or_else(|| invalid_argument(env, "the store is closed; open a new Store"))
    }

    /// Runs one operation on a request on the calling thread.
    fn run(
        &self,
        env: &Env,
        request: &Unknown<'_>,
        operation: impl FnOnce(&CoreStore, &[u8]) -> checkout::Result<Value>,
    ) -> napi::Result<Value> {
        let request = json_document(env, request, "request")?;
        let store = self.open_store(env)?;
        guarded(|| operation(&store, &request)).into_js(env)
    }

    /// Queues one signing operation on a copy of the request, on the libuv thread pool or,
    /// for a signer that calls JavaScript, on a thread of its own.
    fn spawn_signing<'env>(
        &self,
        env: &'env Env,
        calls_js: bool,
        request: &Unknown<'_>,
        operation: impl FnOnce(&CoreStore, &[u8]) -> checkout::Result<Value> + Send + 'static,
    ) -> napi::Result<SignerTask<'env, Value, Json>> {
        let request = json_document(env, request, "request")?;
        let store = self.open_store(env)?;
        spawn_signing(
            env,
            calls_js,
            move || operation(&store, &request),
            |value| Ok(Json(value)),
        )
    }

    /// Queues one operation on a copy of the request on the libuv thread pool.
    fn spawn(
        &self,
        env: &Env,
        request: &Unknown<'_>,
        operation: impl FnOnce(&CoreStore, &[u8]) -> checkout::Result<Value> + Send + 'static,
    ) -> napi::Result<Response> {
        let request = json_document(env, request, "request")?;
        let store = self.open_store(env)?;
        Ok(spawn(
            move || operation(&store, &request),
            |value| Ok(Json(value)),
        ))
    }
}

#[napi]
impl Store {
    /// Opens or creates the store at `location`. See `StoreOptions` for `accountId` and
    /// `synchronous`.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: Env,
        #[napi(ts_arg_type = "string")] location: Unknown,
        #[napi(ts_arg_type = "StoreOptions")] options: Option<Unknown>,
    ) -> napi::Result<Store> {
        let location = location_arg(&env, &location)?;
        let options = store_options(&env, options)?;
        guarded(|| open(&location, &options)).into_js(&env)
    }

    /// Opens a store like `new Store`, on the libuv thread pool.
    #[napi(catch_unwind, ts_return_type = "Promise<Store>")]
    pub fn open_async(
        env: Env,
        #[napi(ts_arg_type = "string")] location: Unknown,
        #[napi(ts_arg_type = "StoreOptions")] options: Option<Unknown>,
    ) -> napi::Result<AsyncTask<Job<Store, Store>>> {
        let location = location_arg(&env, &location)?;
        let options = store_options(&env, options)?;
        Ok(spawn(move || open(&location, &options), Ok))
    }

    /// The store's 12-digit account id.
    #[napi(getter, catch_unwind)]
    pub fn account_id(&self, env: Env) -> napi::Result<String> {
        Ok(self.open_store(&env)?.account_id().to_owned())
    }

    /// Whether `close()` was called.
    #[napi(getter, catch_unwind)]
    pub fn closed(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
    }

    /// Closes the store. Later calls throw LM_STATUS_INVALID_ARGUMENT; closing twice is
    /// allowed.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        let released = self
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        drop(released);
    }

    /// CreateLicense: returns { LicenseArn, Status, Version }.
    #[napi(catch_unwind, ts_return_type = "Record<string, any>")]
    pub fn create_license(
        &self,
        env: Env,
        #[napi(ts_arg_type = "object | string")] request: Unknown,
    ) -> napi::Result<Value> {
        self.run(&env, &request, |store, request| {
            store.create_license(request)
        })
    }

    /// CreateLicense on the libuv thread pool.
    #[napi(catch_unwind, ts_return_type = "Promise<Record<string, any>>")]
    pub fn create_license_async(
        &self,
        env: Env,
        #[napi(ts_arg_type = "object | string")] request: Unknown,
    ) -> napi::Result<Response> {
        self.spawn(&env, &request, |store, request| {
            store.create_license(request)
        })
    }

    /// GetLicense: returns { License: {...} }.
    #[napi(catch_unwind, ts_return_type = "Record<string, any>")]
    pub fn get_license(
        &self,
        env: Env,
        #[napi(ts_arg_type = "object | string")] request: Unknown,
    ) -> napi::Result<Value> {
        self.run(&env, &request, |store, request| store.get_license(request))
    }

    /// GetLicense on the libuv thread pool.
    #[napi(catch_unwind, ts_return_type = "Promise<Record<string, any>>")]
    pub fn get_license_async(
        &self,
        env: Env,
        #[napi(ts_arg_type = "object | string")] request: Unknown,
    ) -> napi::Result<Response> {
        self.spawn(&env, &request, |store, request| store.get_license(request))
    }

    /// GetLicenseUsage: returns { LicenseUsage: { EntitlementUsages: [...] } }.
    #[napi(catch_unwind, ts_return_type = "Record<string, any>")]
    pub fn get_license_usage(
        &self,
        env: Env,
        #[napi(ts_arg_type = "object | string")] request: Unknown,
    ) -> napi::Result<Value> {
        self.run(&env, &request, |store, request| {
            store.get_license_usage(request)
        })
    }

    /// GetLicenseUsage on the libuv thread pool.
    #[napi(catch_unwind, ts_return_type = "Promise<Record<string, any>>")]
    pub fn get_license_usage_async(
        &self,
        env: Env,
        #[napi(ts_arg_type = "object | string")] request: Unknown,
    ) -> napi::Result<Response> {
        self.spawn(&env, &request, |store, request| {
            store.get_license_usage(request)
        })
    }

    /// ListLicenseConsumptions (an extension of the AWS API): returns
    /// { LicenseConsumptions: [...] } for { LicenseArn, State? }.
    #[napi(catch_unwind, ts_return_type = "Record<string, any>")]
    pub fn list_license_consumptions(
        &self,
        env: Env,
        #[napi(ts_arg_type = "object | string")] request: Unknown,
    ) -> napi::Result<Value> {
        self.run(&env, &request, |store, request| {
            store.list_license_consumptions(request)
        })
    }

    /// ListLicenseConsumptions on the libuv thread pool.
    #[napi(catch_unwind, ts_return_type = "Promise<Record<string, any>>")]
    pub fn list_license_consumptions_async(
        &self,
        env: Env,
        #[napi(ts_arg_type = "object | string")] request: Unknown,
    ) -> napi::Result<Response> {
        self.spawn(&env, &request, |store, request| {
            store.list_license_consumptions(request)
        })
    }

    /// CheckoutLicense (a request with "CheckoutType") or CheckoutBorrowLicense (with
    /// "DigitalSignatureMethod"): takes entitlements and returns the response with its
    /// "SignedToken", signed by `signer`. A refusal's error lists `reasons`.
    #[napi(catch_unwind, ts_return_type = "Record<string, any>")]
    pub fn checkout(
        &self,
        env: Env,
        #[napi(ts_arg_type = "Signer")] signer: Unknown,
        #[napi(ts_arg_type = "object | string")] request: Unknown,
    ) -> napi::Result<Value> {
        let (signer, _) = signer_arg(&env, &signer)?;
        self.run(&env, &request, |store, request| {
            store.checkout(&signer, request)
        })
    }

    /// CheckoutLicense or CheckoutBorrowLicense on the libuv thread pool.
    #[napi(catch_unwind, ts_return_type = "Promise<Record<string, any>>")]
    pub fn checkout_async<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "Signer")] signer: Unknown,
        #[napi(ts_arg_type = "object | string")] request: Unknown,
    ) -> napi::Result<SignerTask<'env, Value, Json>> {
        let (signer, calls_js) = signer_arg(env, &signer)?;
        self.spawn_signing(env, calls_js, &request, move |store, request| {
            store.checkout(&signer, request)
        })
    }

    /// CheckInLicense: gives the consumption's quantity back to the license and returns {}.
    #[napi(catch_unwind, ts_return_type = "Record<string, any>")]
    pub fn check_in(
        &self,
        env: Env,
        #[napi(ts_arg_type = "object | string")] request: Unknown,
    ) -> napi::Result<Value> {
        self.run(&env, &request, |store, request| store.check_in(request))
    }

    /// CheckInLicense on the libuv thread pool.
    #[napi(catch_unwind, ts_return_type = "Promise<Record<string, any>>")]
    pub fn check_in_async(
        &self,
        env: Env,
        #[napi(ts_arg_type = "object | string")] request: Unknown,
    ) -> napi::Result<Response> {
        self.spawn(&env, &request, |store, request| store.check_in(request))
    }

    /// ExtendLicenseConsumption: moves the expiration and returns a fresh "SignedToken"
    /// signed by `signer` (none with "DryRun").
    #[napi(catch_unwind, ts_return_type = "Record<string, any>")]
    pub fn extend_license_consumption(
        &self,
        env: Env,
        #[napi(ts_arg_type = "Signer")] signer: Unknown,
        #[napi(ts_arg_type = "object | string")] request: Unknown,
    ) -> napi::Result<Value> {
        let (signer, _) = signer_arg(&env, &signer)?;
        self.run(&env, &request, |store, request| {
            store.extend_license_consumption(&signer, request)
        })
    }

    /// ExtendLicenseConsumption on the libuv thread pool.
    #[napi(catch_unwind, ts_return_type = "Promise<Record<string, any>>")]
    pub fn extend_license_consumption_async<'env>(
        &self,
        env: &'env Env,
        #[napi(ts_arg_type = "Signer")] signer: Unknown,
        #[napi(ts_arg_type = "object | string")] request: Unknown,
    ) -> napi::Result<SignerTask<'env, Value, Json>> {
        let (signer, calls_js) = signer_arg(env, &signer)?;
        self.spawn_signing(env, calls_js, &request, move |store, request| {
            store.extend_license_consumption(&signer, request)
        })
    }
}
