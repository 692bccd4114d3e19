//! The work behind every `...Async` method: a core operation on owned inputs, run on the
//! libuv thread pool, and its conversion to a JavaScript value back on the main thread.

use std::marker::PhantomData;
use std::thread;

use napi::bindgen_prelude::{AsyncTask, Either, PromiseRaw, ToNapiValue, TypeName};
use napi::{Env, JsValue, Task, ValueType};

use crate::errors::{core_error, guarded};

type Work<O> = Box<dyn FnOnce() -> checkout::Result<O> + Send>;

/// A core operation whose inputs the closure owns, so the caller's buffers may change while
/// it runs, and the function that turns its output into the promise's value.
pub struct Job<O, J> {
    work: Option<Work<O>>,
    convert: fn(O) -> napi::Result<J>,
    _value: PhantomData<fn() -> J>,
}

/// Queues `work` on the libuv pool; the promise resolves with `convert` of its output or
/// rejects with its error.
pub(crate) fn spawn<O, J>(
    work: impl FnOnce() -> checkout::Result<O> + Send + 'static,
    convert: fn(O) -> napi::Result<J>,
) -> AsyncTask<Job<O, J>>
where
    O: Send + 'static,
    J: ToNapiValue + TypeName,
{
    AsyncTask::new(Job {
        work: Some(Box::new(work)),
        convert,
        _value: PhantomData,
    })
}

impl<O, J> Task for Job<O, J>
where
    O: Send + 'static,
    J: ToNapiValue + TypeName,
{
    type Output = checkout::Result<O>;
    type JsValue = J;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        match self.work.take() {
            Some(work) => Ok(guarded(work)),
            None => Err(napi::Error::from_reason("the task already ran")),
        }
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<J> {
        match output {
            Ok(value) => (self.convert)(value),
            Err(error) => Err(core_error(&env, &error)),
        }
    }
}

/// A JSON value, such as a store response, converted to JavaScript objects on resolve.
pub struct Json(pub(crate) serde_json::Value);

impl TypeName for Json {
    fn type_name() -> &'static str {
        "Object"
    }

    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Json {
    unsafe fn to_napi_value(
        env: napi::sys::napi_env,
        value: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        // SAFETY: the caller passes the environment of the thread that resolves the promise.
        unsafe { serde_json::Value::to_napi_value(env, value.0) }
    }
}

type Resolver<J> = Box<dyn FnOnce(Env) -> napi::Result<J> + Send>;

/// The promise of an `...Async` method whose signer may call JavaScript: a libuv task, or a
/// promise settled from a thread of its own.
pub(crate) type SignerTask<'env, O, J> = Either<AsyncTask<Job<O, J>>, PromiseRaw<'env, J>>;

/// Runs `work` like `spawn`, but on a new thread when `calls_js` is set.
///
/// A signer whose callback runs in JavaScript blocks its thread until the JavaScript thread
/// returns the signature. On the libuv pool, a few such waits would occupy every pool thread,
/// and a callback whose Promise itself needs the pool (DNS lookups, file or crypto calls, as
/// an HTTP client for a KMS makes) would then never finish. A thread of its own avoids that.
pub(crate) fn spawn_signing<'env, O, J>(
    env: &'env Env,
    calls_js: bool,
    work: impl FnOnce() -> checkout::Result<O> + Send + 'static,
    convert: fn(O) -> napi::Result<J>,
) -> napi::Result<SignerTask<'env, O, J>>
where
    O: Send + 'static,
    J: ToNapiValue + TypeName + 'static,
{
    if !calls_js {
        return Ok(Either::A(spawn(work, convert)));
    }

    let (deferred, promise) = env.create_deferred::<J, Resolver<J>>()?;
    let spawned = thread::Builder::new()
        .name("libcheckout-sign".to_owned())
        .spawn(move || {
            let output = guarded(work);
            deferred.resolve(Box::new(move |env: Env| match output {
                Ok(value) => convert(value),
                Err(error) => Err(core_error(&env, &error)),
            }));
        });
    if let Err(error) = spawned {
        return Err(napi::Error::from_reason(format!(
            "starting a signing thread failed: {error}"
        )));
    }
    Ok(Either::B(PromiseRaw::new(env.raw(), promise.raw())))
}
