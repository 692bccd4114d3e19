//! Version numbers: the package version and the ABI version that the SONAME carries.

use super::panic::guard_value;

/// The package's major version.
pub const LM_VERSION_MAJOR: u32 = 0;
/// The package's minor version.
pub const LM_VERSION_MINOR: u32 = 1;
/// The package's patch version.
pub const LM_VERSION_PATCH: u32 = 0;
/// The package version packed as `major * 1000000 + minor * 1000 + patch`.
pub const LM_VERSION_NUMBER: u32 = 1000;
/// The ABI version; the library's SONAME is `libcheckout.so.<LM_ABI_VERSION>`.
pub const LM_ABI_VERSION: u32 = 1;

/// Returns `LM_ABI_VERSION` of the loaded library, which stays compatible as long as this
/// number stays.
#[no_mangle]
pub extern "C" fn lm_abi_version() -> u32 {
    guard_value(0, || LM_ABI_VERSION)
}

/// Returns `LM_VERSION_NUMBER` of the loaded library.
#[no_mangle]
pub extern "C" fn lm_version() -> u32 {
    guard_value(0, || LM_VERSION_NUMBER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_constants_match_cargo_toml() {
        let parse = |text: &str| text.parse::<u32>().unwrap();
        assert_eq!(LM_VERSION_MAJOR, parse(env!("CARGO_PKG_VERSION_MAJOR")));
        assert_eq!(LM_VERSION_MINOR, parse(env!("CARGO_PKG_VERSION_MINOR")));
        assert_eq!(LM_VERSION_PATCH, parse(env!("CARGO_PKG_VERSION_PATCH")));
        assert_eq!(
            LM_VERSION_NUMBER,
            LM_VERSION_MAJOR * 1_000_000 + LM_VERSION_MINOR * 1000 + LM_VERSION_PATCH
        );
        assert_eq!(lm_version(), LM_VERSION_NUMBER);
        assert_eq!(lm_abi_version(), 1);
    }
}
