//! Gives the shared library the SONAME libcheckout.so.1, the C ABI version, so that programs
//! linked against it keep loading it across compatible releases.

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libcheckout.so.1");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
