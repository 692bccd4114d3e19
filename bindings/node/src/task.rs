//! The work behind every `...Async` method: a core operation on owned inputs, run on the
//! libuv thread pool, and its conversion to a JavaScript value back on the main thread.

use std::marker::PhantomData;

use napi::bindgen_prelude::{AsyncTask, ToNapiValue, TypeName};
use napi::{Env, Task, ValueType};

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
