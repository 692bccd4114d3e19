//! The stress tests of the license store: worker processes that run the test binary again,
//! the reports they print, and the scenarios the parent test drives and checks.

pub mod concurrency;
pub mod crash;
pub mod expiry;
pub mod fixture;
pub mod process;
pub mod rng;
pub mod workers;
