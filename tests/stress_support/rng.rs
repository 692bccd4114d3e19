//! A small seeded generator (xorshift64*), so the tests need no extra crate and a seed
//! printed by a failing run picks the same kill delays and operation mix again.

use std::time::{SystemTime, UNIX_EPOCH};

/// The environment variable that fixes the parent's seed.
pub const SEED_VAR: &str = "LM_STRESS_SEED";

pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // A zero state would stay zero forever.
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15 | 1)
    }

    /// Returns a generator seeded from `LM_STRESS_SEED`, or from the clock when it is unset,
    /// and the seed it used.
    pub fn from_env_or_clock() -> (Rng, u64) {
        let seed = std::env::var(SEED_VAR)
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(1, |elapsed| elapsed.as_nanos() as u64)
            });
        (Rng::new(seed), seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Returns a number in `0..bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }
}
