//! Digest signing through a JavaScript function, for keys held by a KMS or another service.
//!
//! The core calls a signer synchronously, from the thread that runs the operation. On the
//! JavaScript thread (the synchronous methods) the function is called directly, and a
//! Promise it returns is rejected, because that thread cannot wait for it. On any other thread
//! (the `...Async` methods run such signers on a thread of their own) the call is queued to
//! the JavaScript thread through a thread-safe function, and that thread waits until the
//! returned Buffer, or the Promise's result, comes back.

use std::ptr;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, ThreadId};

use checkout::{Algorithm, DigestSigner};
use napi::bindgen_prelude::{
    Buffer, CallbackContext, FnArgs, FromNapiValue, Function, FunctionRef, JsObjectValue,
    JsValuesTupleIntoVec, Object, PromiseRaw, Uint8ArraySlice, Unknown,
};
use napi::threadsafe_function::{
    ThreadsafeCallContext, ThreadsafeFunction, ThreadsafeFunctionCallMode,
};
use napi::{sys, Env, JsValue, Status, ValueType};

use crate::convert::describe;

type Reply = Result<Vec<u8>, String>;
type SignFunction = FunctionRef<FnArgs<(String, Buffer)>, Unknown<'static>>;

/// One signing request queued from a worker thread, with the channel its result goes back on.
struct Request {
    algorithm: Algorithm,
    digest: Vec<u8>,
    reply: SyncSender<Reply>,
}

/// Runs queued requests on the JavaScript thread. Weak, so a live signer does not keep the
/// process running; a queued request is itself held alive by the task that waits for it.
type Dispatcher = ThreadsafeFunction<Request, (), (), Status, false, true>;

/// The environment of the JavaScript thread that created the signer.
struct JsThreadEnv(sys::napi_env);

// SAFETY: the pointer is only dereferenced on the thread whose id `JsDigestSigner::js_thread`
// stores, which is the thread that owns the environment.
unsafe impl Send for JsThreadEnv {}
// SAFETY: as for `Send`: other threads only carry the pointer, never use it.
unsafe impl Sync for JsThreadEnv {}

/// A JavaScript function `(alg, digest) => Buffer | Promise<Buffer>` behind the core's
/// `DigestSigner`.
pub(crate) struct JsDigestSigner {
    function: Arc<SignFunction>,
    env: JsThreadEnv,
    js_thread: ThreadId,
    dispatcher: Dispatcher,
}

impl JsDigestSigner {
    /// Wraps `function`, which the caller has checked to be a function of `env`.
    pub(crate) fn new(env: &Env, function: &Unknown<'_>) -> napi::Result<JsDigestSigner> {
        // SAFETY: the value is a function of the current call's environment.
        let function: Function<FnArgs<(String, Buffer)>, Unknown<'static>> =
            unsafe { Function::from_napi_value(env.raw(), function.raw()) }?;
        let function = Arc::new(function.create_ref()?);

        // The thread-safe function calls this no-op after each request; the request's own
        // work, calling the signing function and reading its result, happens before it.
        let noop =
            env.create_function_from_closure::<(), (), _>("libcheckoutSignRequest", |_| Ok(()))?;
        let target = Arc::clone(&function);
        let dispatcher = noop
            .build_threadsafe_function::<Request>()
            .callee_handled::<false>()
            .weak::<true>()
            .build_callback(move |context: ThreadsafeCallContext<Request>| {
                run_request(&context.env, &target, context.value);
                Ok(())
            })?;

        Ok(JsDigestSigner {
            function,
            env: JsThreadEnv(env.raw()),
            js_thread: thread::current().id(),
            dispatcher,
        })
    }

    fn sign_on_js_thread(&self, algorithm: Algorithm, digest: &[u8]) -> Reply {
        let env = Env::from_raw(self.env.0);
        let value = invoke(&env, &self.function, algorithm, digest)?;
        if value.is_promise().unwrap_or(false) {
            // No caller waits for this Promise, so its rejection must not surface as unhandled.
            ignore_settlement(&env, &value);
            return Err(
                "it returned a Promise, which only the ...Async methods accept (fromCallbackAsync, \
                 signAsync, checkoutAsync, extendLicenseConsumptionAsync); call one of those, or \
                 return a Buffer"
                    .to_owned(),
            );
        }
        signature_of(&value)
    }

    fn sign_on_worker(&self, algorithm: Algorithm, digest: &[u8]) -> Reply {
        let (reply, result) = sync_channel(1);
        let request = Request {
            algorithm,
            digest: digest.to_vec(),
            reply,
        };
        let status = self
            .dispatcher
            .call(request, ThreadsafeFunctionCallMode::Blocking);
        if status != Status::Ok {
            return Err(format!(
                "the JavaScript thread no longer accepts calls ({status}); the environment is shutting down"
            ));
        }
        // The sender is dropped without a reply only when the environment is torn down, or
        // when a Promise that never settles is garbage-collected.
        result.recv().unwrap_or_else(|_| {
            Err("the JavaScript environment dropped the request before the callback returned a signature".to_owned())
        })
    }
}

impl DigestSigner for JsDigestSigner {
    fn sign_digest(&self, algorithm: Algorithm, digest: &[u8]) -> Result<Vec<u8>, String> {
        if thread::current().id() == self.js_thread {
            self.sign_on_js_thread(algorithm, digest)
        } else {
            self.sign_on_worker(algorithm, digest)
        }
    }
}

/// Runs one queued request on the JavaScript thread and sends its result, at once for a
/// Buffer or a throw, or when a returned Promise settles.
fn run_request(env: &Env, function: &SignFunction, request: Request) {
    let Request {
        algorithm,
        digest,
        reply,
    } = request;
    let value = match invoke(env, function, algorithm, &digest) {
        Ok(value) => value,
        Err(message) => {
            // A failed send means the worker stopped waiting; nothing is left to tell.
            let _ = reply.send(Err(message));
            return;
        }
    };
    if !value.is_promise().unwrap_or(false) {
        let _ = reply.send(signature_of(&value));
        return;
    }

    // Whichever settles first sends the one reply; later attempts find the sender taken.
    let fulfilled = Arc::new(Mutex::new(Some(reply)));
    let rejected = Arc::clone(&fulfilled);
    let unattached = Arc::clone(&fulfilled);
    let attached = promise_of(env, &value).and_then(|promise| {
        promise
            .then(move |context: CallbackContext<Unknown<'_>>| {
                deliver(&fulfilled, signature_of(&context.value));
                Ok(())
            })?
            .catch(move |context: CallbackContext<Unknown<'_>>| {
                deliver(&rejected, Err(thrown_message(&context.env, &context.value)));
                Ok(())
            })
    });
    if let Err(error) = attached {
        clear_pending_exception(env);
        deliver(
            &unattached,
            Err(format!("waiting for the returned Promise failed: {error}")),
        );
    }
}

fn deliver(slot: &Mutex<Option<SyncSender<Reply>>>, outcome: Reply) {
    if let Some(sender) = slot.lock().unwrap_or_else(PoisonError::into_inner).take() {
        // A failed send means the worker stopped waiting; nothing is left to tell.
        let _ = sender.send(outcome);
    }
}

fn promise_of<'env>(
    env: &'env Env,
    value: &Unknown<'_>,
) -> napi::Result<PromiseRaw<'env, Unknown<'static>>> {
    // SAFETY: the value is a Promise of `env`, checked by the caller with `is_promise`.
    unsafe { PromiseRaw::from_napi_value(env.raw(), value.raw()) }
}

/// Attaches a reaction that swallows the rejection of a Promise no caller waits for.
fn ignore_settlement(env: &Env, value: &Unknown<'_>) {
    let attached = promise_of(env, value)
        .and_then(|promise| promise.catch(|_: CallbackContext<Unknown<'_>>| Ok(())));
    if attached.is_err() {
        clear_pending_exception(env);
    }
}

/// Calls the signing function on its JavaScript thread with `(alg, digest)` and returns its
/// value, or the message of what it threw.
fn invoke<'env>(
    env: &'env Env,
    function: &SignFunction,
    algorithm: Algorithm,
    digest: &[u8],
) -> Result<Unknown<'env>, String> {
    let failed = |step: &str, error: napi::Error| {
        clear_pending_exception(env);
        format!("{step} failed: {error}")
    };
    let function = function
        .borrow_back(env)
        .map_err(|error| failed("reading the signing function", error))?;
    let arguments = FnArgs::from((algorithm.name().to_owned(), Buffer::from(digest.to_vec())))
        .into_vec(env.raw())
        .map_err(|error| failed("creating the arguments", error))?;

    let mut this = ptr::null_mut();
    let mut returned = ptr::null_mut();
    // SAFETY: `env` is the current thread's environment and every value belongs to it.
    let status = unsafe {
        sys::napi_get_undefined(env.raw(), &mut this);
        sys::napi_call_function(
            env.raw(),
            this,
            function.raw(),
            arguments.len(),
            arguments.as_ptr(),
            &mut returned,
        )
    };
    if status == sys::Status::napi_pending_exception {
        let mut thrown = ptr::null_mut();
        // SAFETY: an exception is pending in `env`, and taking it clears it.
        unsafe { sys::napi_get_and_clear_last_exception(env.raw(), &mut thrown) };
        // SAFETY: `thrown` is a live value that the call above just returned.
        let thrown = unsafe { Unknown::from_raw_unchecked(env.raw(), thrown) };
        return Err(thrown_message(env, &thrown));
    }
    if status != sys::Status::napi_ok {
        return Err(format!("calling it failed with N-API status {status}"));
    }
    // SAFETY: `returned` is the live value that the call returned.
    Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), returned) })
}

/// Copies the signature from a `Uint8Array` (a `Buffer` is one).
fn signature_of(value: &Unknown<'_>) -> Reply {
    let env = value.value().env;
    if value.is_typedarray().unwrap_or(false) {
        // SAFETY: the value is a typed array of `env`; the conversion checks for Uint8.
        if let Ok(bytes) = unsafe { Uint8ArraySlice::from_napi_value(env, value.raw()) } {
            return Ok(bytes.as_ref().to_vec());
        }
    }
    Err(format!(
        "it returned {} where a Buffer was expected",
        if value.is_promise().unwrap_or(false) {
            "a Promise resolving to something else"
        } else {
            describe(value)
        }
    ))
}

/// Describes a thrown value or a rejection reason: "Name: message" for an Error, the text
/// of a string, and the type of anything else.
fn thrown_message(env: &Env, value: &Unknown<'_>) -> String {
    let text_property = |object: &Object<'_>, name: &str| -> Option<String> {
        let property: Unknown = object.get_named_property(name).ok()?;
        if property.get_type().ok()? != ValueType::String {
            return None;
        }
        // SAFETY: the property is a string of `env`.
        unsafe { String::from_napi_value(env.raw(), property.raw()) }.ok()
    };

    let message = match value.get_type() {
        Ok(ValueType::String) => {
            // SAFETY: the value is a string of `env`.
            unsafe { String::from_napi_value(env.raw(), value.raw()) }.ok()
        }
        Ok(ValueType::Object) if value.is_error().unwrap_or(false) => {
            // SAFETY: the value is an object of `env`.
            let object = unsafe { Object::from_napi_value(env.raw(), value.raw()) }.ok();
            object.map(|object| {
                let message = text_property(&object, "message").unwrap_or_default();
                match text_property(&object, "name") {
                    Some(name) => format!("{name}: {message}"),
                    None => message,
                }
            })
        }
        _ => None,
    };
    // A getter that throws leaves an exception pending; the message is built without it.
    clear_pending_exception(env);
    message.unwrap_or_else(|| format!("it threw a {}", describe(value)))
}

fn clear_pending_exception(env: &Env) {
    let mut pending = false;
    // SAFETY: `env` is the current thread's environment.
    unsafe {
        sys::napi_is_exception_pending(env.raw(), &mut pending);
        if pending {
            let mut exception = ptr::null_mut();
            sys::napi_get_and_clear_last_exception(env.raw(), &mut exception);
        }
    }
}
