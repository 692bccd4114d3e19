//! The commands that use the license store: licenses, checkout, check-in, extend, usage
//! and consumptions.

use std::path::PathBuf;

use checkout::license::Store;
use checkout::{Error, ErrorKind, Result};
use serde_json::{json, Map, Value};

use crate::args::{
    CheckinArgs, CheckoutArgs, CheckoutKind, ConsumptionsArgs, ExtendArgs, LicenseCommand,
    LicenseCreateArgs, StoreArgs, UsageArgs,
};
use crate::files::{load_public_key, load_signer, print_json, read_input};
use crate::request;

/// Opens the store that `--store`, `LM_STORE` or the default location names.
pub fn open(args: &StoreArgs) -> Result<Store> {
    let location = match &args.location {
        Some(location) => location.clone(),
        None => default_location()?,
    };

    match &args.account_id {
        Some(account_id) => {
            let options = json!({ "accountId": account_id });
            Store::open_with_options(&location, options.to_string().as_bytes())
        }
        None => Store::open(&location),
    }
}

/// Returns `$XDG_DATA_HOME/libcheckout/store.db`, else `$HOME/.local/share/libcheckout/store.db`,
/// creating the folder.
fn default_location() -> Result<String> {
    // The XDG Base Directory specification treats a relative XDG_DATA_HOME as invalid and
    // tells implementations to ignore it.
    let data_home =
        match std::env::var_os("XDG_DATA_HOME").map(PathBuf::from) {
            Some(path) if path.is_absolute() => path,
            _ => match std::env::var_os("HOME") {
                Some(home) if !home.is_empty() => PathBuf::from(home).join(".local").join("share"),
                _ => return Err(Error::new(
                    ErrorKind::InvalidArgument,
                    "no store location: pass --store PATH or set LM_STORE, XDG_DATA_HOME or HOME",
                )),
            },
        };

    let folder = data_home.join("libcheckout");
    std::fs::create_dir_all(&folder).map_err(|e| {
        Error::new(
            ErrorKind::Store,
            format!("cannot create the store folder {}: {e}", folder.display()),
        )
    })?;

    let path = folder.join("store.db");
    path.into_os_string().into_string().map_err(|path| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!(
                "the default store path {} is not UTF-8; pass --store PATH",
                PathBuf::from(path).display()
            ),
        )
    })
}

/// Runs `lm license create` and `lm license show`.
pub fn license(store: &Store, command: &LicenseCommand) -> Result<()> {
    match command {
        LicenseCommand::Create(args) => {
            let request = create_request(args)?;
            print_json(&store.create_license(&request)?)
        }
        LicenseCommand::Show(args) => {
            let request = json!({ "LicenseArn": args.license_arn });
            print_json(&store.get_license(request.to_string().as_bytes())?)
        }
    }
}

/// Reads the CreateLicense request and applies `--sign-key-file` and `--client-token`.
///
/// A request that is not a JSON object is passed on unchanged, so that the library reports
/// what is wrong with it.
fn create_request(args: &LicenseCreateArgs) -> Result<Vec<u8>> {
    let bytes = read_input(&args.request)?;
    if args.sign_key_file.is_none() && args.client_token.is_none() {
        return Ok(bytes);
    }
    let Ok(Value::Object(mut request)) = checkout::json::parse_strict(&bytes) else {
        return Ok(bytes);
    };

    if let Some(path) = &args.sign_key_file {
        let key = load_public_key(path)?;
        let issuer = request
            .entry("Issuer")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(issuer) = issuer {
            issuer.insert("SignKey".into(), json!(key.thumbprint()));
        }
    }
    if let Some(token) = &args.client_token {
        request.insert("ClientToken".into(), json!(token));
    }
    Ok(Value::Object(request).to_string().into_bytes())
}

/// Runs `lm checkout`, with a request file or a request built by a subcommand.
pub fn checkout(store: &Store, args: &CheckoutArgs) -> Result<()> {
    let (key, algorithm, request) = match &args.kind {
        None => {
            let key = args
                .key
                .as_ref()
                .expect("clap requires --key without a subcommand");
            let path = args
                .request
                .as_ref()
                .expect("clap requires --request without a subcommand");
            (key, args.algorithm, read_input(path)?)
        }
        Some(CheckoutKind::Provisional(sub)) => {
            let request = request::checkout_license("PROVISIONAL", sub)?;
            (
                &sub.signer.key,
                Some(sub.algorithm),
                request.to_string().into_bytes(),
            )
        }
        Some(CheckoutKind::Perpetual(sub)) => {
            let request = request::checkout_license("PERPETUAL", sub)?;
            (
                &sub.signer.key,
                Some(sub.algorithm),
                request.to_string().into_bytes(),
            )
        }
        Some(CheckoutKind::Borrow(sub)) => {
            let request = request::checkout_borrow(sub)?;
            (
                &sub.signer.key,
                Some(sub.algorithm),
                request.to_string().into_bytes(),
            )
        }
    };

    let signer = load_signer(key, algorithm.map(Into::into))?;
    print_json(&store.checkout(&signer, &request)?)
}

/// Runs `lm checkin`.
pub fn checkin(store: &Store, args: &CheckinArgs) -> Result<()> {
    let request = json!({ "LicenseConsumptionToken": args.token });
    print_json(&store.check_in(request.to_string().as_bytes())?)
}

/// Runs `lm extend`.
pub fn extend(store: &Store, args: &ExtendArgs) -> Result<()> {
    let signer = load_signer(&args.signer.key, None)?;

    let mut request = Map::new();
    request.insert("LicenseConsumptionToken".into(), json!(args.token));
    if args.dry_run {
        request.insert("DryRun".into(), json!(true));
    }

    let response =
        store.extend_license_consumption(&signer, Value::Object(request).to_string().as_bytes())?;
    print_json(&response)
}

/// Runs `lm usage`.
pub fn usage(store: &Store, args: &UsageArgs) -> Result<()> {
    let request = json!({ "LicenseArn": args.license_arn });
    print_json(&store.get_license_usage(request.to_string().as_bytes())?)
}

/// Runs `lm consumptions`.
pub fn consumptions(store: &Store, args: &ConsumptionsArgs) -> Result<()> {
    let mut request = Map::new();
    request.insert("LicenseArn".into(), json!(args.license_arn));
    if let Some(state) = &args.state {
        request.insert("State".into(), json!(state));
    }
    print_json(&store.list_license_consumptions(Value::Object(request).to_string().as_bytes())?)
}
