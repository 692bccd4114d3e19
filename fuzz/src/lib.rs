//! Fixtures shared by the fuzz targets: the trusted keys and verify options of the token
//! targets, and a store with one license for the request targets.

pub mod store;
pub mod tokens;

/// Returns `input` with every occurrence of `placeholder` replaced by `value`.
pub fn replace_all(input: &[u8], placeholder: &[u8], value: &[u8]) -> Vec<u8> {
    let mut output = Vec::with_capacity(input.len());
    let mut rest = input;
    while let Some(index) = find(rest, placeholder) {
        output.extend_from_slice(&rest[..index]);
        output.extend_from_slice(value);
        rest = &rest[index + placeholder.len()..];
    }
    output.extend_from_slice(rest);
    output
}

/// Returns the offset of the first occurrence of `needle` in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
