//! Reading inputs, writing outputs and loading keys, with errors that name the path.

use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use checkout::{Error, ErrorKind, PublicKey, Result};
use serde_json::Value;
use zeroize::Zeroizing;

/// Reads a whole file, or standard input when `path` is `-`.
pub fn read_input(path: &Path) -> Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(format!("cannot read standard input: {e}")))?;
        return Ok(bytes);
    }
    std::fs::read(path).map_err(|e| io_error(format!("cannot read {}: {e}", path.display())))
}

/// Reads a key file. Standard input is not accepted for keys, so `-` is a file name here.
pub fn read_key_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| io_error(format!("cannot read key file {}: {e}", path.display())))
}

/// Writes `contents` to a new file that only its owner can read and write. An existing
/// file is an error, so that a key is never overwritten.
pub fn write_private_file(path: &Path, contents: &[u8]) -> Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }

    let mut file = options.open(path).map_err(|e| {
        let hint = if e.kind() == io::ErrorKind::AlreadyExists {
            "; remove it or choose another path"
        } else {
            ""
        };
        io_error(format!("cannot create {}: {e}{hint}", path.display()))
    })?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|e| io_error(format!("cannot write {}: {e}", path.display())))
}

/// Writes `contents` to `path`, replacing any file there.
pub fn write_file(path: &Path, contents: &[u8]) -> Result<()> {
    std::fs::write(path, contents)
        .map_err(|e| io_error(format!("cannot write {}: {e}", path.display())))
}

/// Loads the public key of a key file that contains either a public or a private key.
pub fn load_public_key(path: &Path) -> Result<PublicKey> {
    let bytes = Zeroizing::new(read_key_file(path)?);

    // The PEM label distinguishes the two. DER has no label, so it is tried as a public key
    // first and as a private key second.
    let looks_private = bytes
        .windows(b"PRIVATE KEY-----".len())
        .any(|w| w == b"PRIVATE KEY-----");
    let key = if is_encrypted(&bytes) {
        checkout::PrivateKey::from_encrypted_pem_or_der(&bytes, &passphrase()?)
            .map(|private| private.public_key().clone())
    } else if looks_private {
        checkout::PrivateKey::from_pem_or_der(&bytes).map(|private| private.public_key().clone())
    } else {
        PublicKey::from_pem_or_der(&bytes).or_else(|public_error| {
            checkout::PrivateKey::from_pem_or_der(&bytes)
                .map(|private| private.public_key().clone())
                .map_err(|_| public_error)
        })
    };
    key.map_err(|e| in_file(path, e))
}

/// Loads a signer from a private key file, encrypted PKCS#8 included (its passphrase comes
/// from `LM_KEY_PASSPHRASE` or the file named by `LM_KEY_PASSPHRASE_FILE`).
pub fn load_signer(
    path: &Path,
    algorithm: Option<checkout::Algorithm>,
) -> Result<checkout::Signer> {
    let bytes = Zeroizing::new(read_key_file(path)?);
    let signer = if is_encrypted(&bytes) {
        checkout::Signer::from_encrypted_pem(&bytes, &passphrase()?, algorithm)
    } else {
        checkout::Signer::from_pem(&bytes, algorithm)
    };
    signer.map_err(|e| in_file(path, e))
}

/// Returns true for an encrypted PKCS#8 key in PEM or DER form.
fn is_encrypted(bytes: &[u8]) -> bool {
    let pem = bytes
        .windows(b"ENCRYPTED PRIVATE KEY".len())
        .any(|w| w == b"ENCRYPTED PRIVATE KEY");
    pem || (bytes.first() == Some(&0x30)
        && checkout::PrivateKey::from_pem_or_der(bytes)
            .is_err_and(|e| e.message().contains("load it with its passphrase")))
}

/// Reads the passphrase of encrypted keys from `LM_KEY_PASSPHRASE`, or from the first line of
/// the file named by `LM_KEY_PASSPHRASE_FILE`.
pub fn passphrase() -> Result<Zeroizing<Vec<u8>>> {
    if let Some(value) = std::env::var_os("LM_KEY_PASSPHRASE") {
        return Ok(Zeroizing::new(value.into_encoded_bytes()));
    }
    if let Some(file) = std::env::var_os("LM_KEY_PASSPHRASE_FILE") {
        let path = PathBuf::from(file);
        let text = Zeroizing::new(std::fs::read(&path).map_err(|e| {
            Error::new(
                ErrorKind::InvalidArgument,
                format!("cannot read the passphrase file {}: {e}", path.display()),
            )
        })?);
        let line = text.split(|&b| b == b'\n').next().unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        return Ok(Zeroizing::new(line.to_vec()));
    }
    Err(Error::new(
        ErrorKind::InvalidArgument,
        "the key is encrypted, and no passphrase was given; set LM_KEY_PASSPHRASE, or \
         LM_KEY_PASSPHRASE_FILE to a file whose first line is the passphrase",
    ))
}

/// Prefixes a library error with the file it came from, keeping its kind.
pub fn in_file(path: &Path, error: Error) -> Error {
    Error::new(
        error.kind(),
        format!("{}: {}", path.display(), error.message()),
    )
}

/// Prints `value` as pretty JSON with a 2-space indent and a final newline.
pub fn print_json(value: &Value) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| {
        Error::new(
            ErrorKind::Internal,
            format!("cannot format the output as JSON: {e}"),
        )
    })?;
    text.push('\n');
    print_text(&text)
}

/// Writes `text` to standard output. A closed pipe ends the output quietly, as the reader
/// has gone away.
pub fn print_text(text: &str) -> Result<()> {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(io_error(format!("cannot write standard output: {e}"))),
    }
}

/// Creates the error of a file or stream that cannot be read or written.
pub fn io_error(message: String) -> Error {
    Error::new(ErrorKind::InvalidArgument, message)
}
