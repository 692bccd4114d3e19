//! The command line: every command, option and help text of `lm`.

use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use crate::request::{parse_entitlement, parse_metadata, parse_required, Entitlement, Metadata};
use crate::verify::parse_now;

const EXIT_STATUS: &str = "\
Output:
  Results are JSON on standard output, pretty-printed with a 2-space indent; `lm keygen`
  without --out prints a PEM and `lm sign` prints a compact token. Errors go to standard
  error as `lm: LM_STATUS_NAME (status): message`.

Exit status (by the hundreds digit of the status):
   0  success
   2  usage error: unknown command or option, missing or invalid option value
  10  1xx: invalid argument, unreadable or unwritable file, invalid JSON (100);
      request that breaks the schema, naming the member (101)
  20  2xx: key invalid, or not the license's SignKey (200); algorithm not supported (201)
  30  3xx: token rejected: malformed (300), signature invalid (301), expired (302),
      not yet valid (303), node mismatch (304), entitlement missing (305)
  40  4xx: license or consumption token not found (400), no entitlements allowed (401),
      entitlement not allowed (402), conflict: ClientToken reused or check-in refused (403)
  50  5xx: store failure (500), signer failure (501)
  90  9xx: internal error, a bug in lm or libcheckout (900)

Environment:
  LM_STORE        store location, as --store
  XDG_DATA_HOME   the default store is $XDG_DATA_HOME/libcheckout/store.db
  HOME            without XDG_DATA_HOME, the default store is
                  $HOME/.local/share/libcheckout/store.db";

/// Issues signed license checkouts from a local store and verifies them offline.
#[derive(Debug, Parser)]
#[command(name = "lm", version, after_help = EXIT_STATUS)]
pub struct Cli {
    #[command(flatten)]
    pub store: StoreArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// The store location and the options of a new store. Only the commands that use a store
/// open it.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Store location: a SQLite file, created if missing (its folder must exist), or
    /// `:memory:`. Defaults to $XDG_DATA_HOME/libcheckout/store.db, else
    /// $HOME/.local/share/libcheckout/store.db, whose folder lm creates.
    #[arg(
        long = "store",
        global = true,
        help_heading = "Store options",
        env = "LM_STORE",
        value_name = "PATH"
    )]
    pub location: Option<String>,

    /// AWS account id (12 digits) that a new store writes into license ARNs and key
    /// fingerprints. It is fixed when the store is created, so another id on an existing
    /// store is an error. Defaults to 000000000000.
    #[arg(
        long,
        global = true,
        help_heading = "Store options",
        value_name = "12_DIGITS"
    )]
    pub account_id: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate an RSA private key for signing, as a PKCS#8 PEM.
    Keygen(KeygenArgs),

    /// Create or show licenses.
    #[command(subcommand)]
    License(LicenseCommand),

    /// Check entitlements out of a license and print the response with its SignedToken.
    ///
    /// Either give a whole request with --request (CheckoutLicense with CheckoutType
    /// PROVISIONAL or PERPETUAL, or CheckoutBorrowLicense with DigitalSignatureMethod), or
    /// let a subcommand build it from options: `lm checkout provisional`, `lm checkout
    /// perpetual` or `lm checkout borrow`.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Checkout(CheckoutArgs),

    /// Check a consumption back in, returning its entitlements to the license.
    Checkin(CheckinArgs),

    /// Extend a consumption: its expiration moves to now plus the license's time to live,
    /// and a fresh SignedToken is issued.
    Extend(ExtendArgs),

    /// Show how much of each entitlement of a license is consumed.
    Usage(UsageArgs),

    /// List the consumptions of a license.
    Consumptions(ConsumptionsArgs),

    /// Verify a token offline with public keys alone and print its header and payload.
    ///
    /// Prints {"header": {...}, "payload": ...}. The payload is printed as JSON when it is a
    /// JSON object or array, and otherwise as a base64url string of its bytes.
    #[command(group(ArgGroup::new("trusted_keys").required(true).args(["key", "jwks"])))]
    #[command(group(ArgGroup::new("token_source").required(true).args(["token", "token_file"])))]
    Verify(VerifyArgs),

    /// Print the public key of a key file as a JWKS, for products that verify tokens.
    Jwks(JwksArgs),

    /// Sign any payload as a JWS compact token and print the token.
    Sign(SignArgs),
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// RSA modulus size, in bits.
    #[arg(long, default_value_t = 2048, value_parser = PossibleValuesParser::new(["2048", "3072", "4096"]).map(|s| s.parse::<u32>().expect("a listed size")))]
    pub bits: u32,

    /// File to write the private key to, with mode 0600; an existing file is never
    /// overwritten. Without it the PEM goes to standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// File to write the public key to, as a SubjectPublicKeyInfo PEM.
    #[arg(long, value_name = "FILE")]
    pub public_out: Option<PathBuf>,

    /// Write the private key as an encrypted PKCS#8 PEM (PBES2: PBKDF2-HMAC-SHA-256 with
    /// 600000 iterations and AES-256-CBC), with the passphrase from LM_KEY_PASSPHRASE or the
    /// first line of the file named by LM_KEY_PASSPHRASE_FILE.
    #[arg(long)]
    pub encrypt: bool,
}

#[derive(Debug, Subcommand)]
pub enum LicenseCommand {
    /// Create a license from an AWS CreateLicense request and print its ARN.
    Create(LicenseCreateArgs),

    /// Print a license (GetLicense).
    Show(LicenseShowArgs),
}

#[derive(Debug, Args)]
pub struct LicenseCreateArgs {
    /// CreateLicense request JSON file, or `-` for standard input.
    #[arg(long, value_name = "FILE")]
    pub request: PathBuf,

    /// Key file (private or public PEM) whose RFC 7638 thumbprint replaces the request's
    /// Issuer.SignKey; that key must then sign the license's checkouts.
    #[arg(long, value_name = "KEY.pem")]
    pub sign_key_file: Option<PathBuf>,

    /// Replaces the request's ClientToken, which must be unique per license created.
    #[arg(long, value_name = "TOKEN")]
    pub client_token: Option<String>,
}

#[derive(Debug, Args)]
pub struct LicenseShowArgs {
    /// ARN of the license, as `lm license create` printed it.
    #[arg(long, value_name = "ARN")]
    pub license_arn: String,
}

/// The private key that signs tokens.
#[derive(Debug, Args)]
pub struct SignerArgs {
    /// Private key file (PEM or DER, PKCS#8 or PKCS#1) whose thumbprint is the license's
    /// Issuer.SignKey.
    #[arg(long, value_name = "KEY.pem")]
    pub key: PathBuf,
}

#[derive(Debug, Args)]
pub struct CheckoutArgs {
    /// Private key file (PEM or DER, PKCS#8 or PKCS#1) whose thumbprint is the license's
    /// Issuer.SignKey.
    #[arg(long, value_name = "KEY.pem", required = true)]
    pub key: Option<PathBuf>,

    /// Checkout request JSON file, or `-` for standard input.
    #[arg(long, value_name = "FILE", required = true)]
    pub request: Option<PathBuf>,

    /// Algorithm of the token when the request has no DigitalSignatureMethod. Defaults to
    /// PS256.
    #[arg(long, value_enum, value_name = "ALG")]
    pub algorithm: Option<AlgorithmArg>,

    #[command(subcommand)]
    pub kind: Option<CheckoutKind>,
}

#[derive(Debug, Subcommand)]
pub enum CheckoutKind {
    /// Check out with CheckoutType PROVISIONAL: the entitlements return to the license at
    /// check-in or when the token expires.
    Provisional(CheckoutLicenseArgs),

    /// Check out with CheckoutType PERPETUAL: the entitlements are consumed for good.
    Perpetual(CheckoutLicenseArgs),

    /// Borrow entitlements (CheckoutBorrowLicense) for the license's borrow time to live.
    Borrow(BorrowArgs),
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("license").required(true).multiple(true).args(["product_sku", "license_arn"])))]
pub struct CheckoutLicenseArgs {
    #[command(flatten)]
    pub signer: SignerArgs,

    /// Algorithm of the token.
    #[arg(long, value_enum, value_name = "ALG", default_value_t = AlgorithmArg::PS256)]
    pub algorithm: AlgorithmArg,

    /// ProductSKU of the license; requires --key-fingerprint.
    #[arg(long, value_name = "SKU", requires = "key_fingerprint")]
    pub product_sku: Option<String>,

    /// KeyFingerprint of the license's issuer: aws:<AccountId>:<Issuer.Name>:issuer-fingerprint.
    #[arg(long, value_name = "FINGERPRINT", requires = "product_sku")]
    pub key_fingerprint: Option<String>,

    /// ARN of the license, instead of or besides --product-sku and --key-fingerprint.
    #[arg(long, value_name = "ARN")]
    pub license_arn: Option<String>,

    /// Beneficiary the license must have.
    #[arg(long, value_name = "BENEFICIARY")]
    pub beneficiary: Option<String>,

    #[command(flatten)]
    pub common: CheckoutCommonArgs,
}

#[derive(Debug, Args)]
pub struct BorrowArgs {
    #[command(flatten)]
    pub signer: SignerArgs,

    /// Algorithm of the token; sets DigitalSignatureMethod to JWT_<ALG>.
    #[arg(long, value_enum, value_name = "ALG", default_value_t = AlgorithmArg::PS384)]
    pub algorithm: AlgorithmArg,

    /// ARN of the license to borrow from.
    #[arg(long, value_name = "ARN")]
    pub license_arn: String,

    /// Checkout metadata entry, copied into the token's checkoutMetadata (repeatable).
    #[arg(long = "metadata", value_name = "NAME=VALUE", value_parser = parse_metadata)]
    pub metadata: Vec<Metadata>,

    #[command(flatten)]
    pub common: CheckoutCommonArgs,
}

/// Options that both kinds of checkout share.
#[derive(Debug, Args)]
pub struct CheckoutCommonArgs {
    /// Entitlement to check out (repeatable): its name, the quantity as a decimal integer,
    /// and the AWS unit, such as `EntitlementCount=1:Count`. `NAME:None` requests a value
    /// entitlement, such as a tier.
    #[arg(long = "entitlement", value_name = "NAME=VALUE:UNIT", required = true, value_parser = parse_entitlement)]
    pub entitlements: Vec<Entitlement>,

    /// Node the token is bound to, such as an IP address or host id.
    #[arg(long, value_name = "NODE")]
    pub node_id: Option<String>,

    /// Idempotency token: repeating a request with the same token returns the first
    /// response again. Defaults to a random token.
    #[arg(long, value_name = "TOKEN")]
    pub client_token: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckinArgs {
    /// LicenseConsumptionToken of the checkout, 32 hex digits.
    #[arg(long, value_name = "CONSUMPTION_TOKEN")]
    pub token: String,
}

#[derive(Debug, Args)]
pub struct ExtendArgs {
    #[command(flatten)]
    pub signer: SignerArgs,

    /// LicenseConsumptionToken of the checkout, 32 hex digits.
    #[arg(long, value_name = "CONSUMPTION_TOKEN")]
    pub token: String,

    /// Only check that the consumption can be extended; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct UsageArgs {
    /// ARN of the license.
    #[arg(long, value_name = "ARN")]
    pub license_arn: String,
}

#[derive(Debug, Args)]
pub struct ConsumptionsArgs {
    /// ARN of the license.
    #[arg(long, value_name = "ARN")]
    pub license_arn: String,

    /// List only the consumptions in this state. Defaults to every state.
    #[arg(long, value_name = "STATE", value_parser = ["ACTIVE", "CHECKED_IN", "EXPIRED"])]
    pub state: Option<String>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Public key file of the issuer (PEM or DER, SubjectPublicKeyInfo or PKCS#1); the
    /// token's kid is ignored.
    #[arg(long, value_name = "PUB.pem")]
    pub key: Option<PathBuf>,

    /// JWKS file (or a single JWK); the key whose id matches the token's kid verifies it.
    #[arg(long, value_name = "FILE")]
    pub jwks: Option<PathBuf>,

    /// The token, in JWS compact serialization.
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,

    /// File containing the token, or `-` for standard input; surrounding whitespace is ignored.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// Node the token must be bound to, compared byte for byte with its nodeId. Defaults
    /// to any node.
    #[arg(long, value_name = "NODE")]
    pub node_id: Option<String>,

    /// Entitlement the token must grant (repeatable): NAME requires presence, NAME=VALUE
    /// at least that quantity, or exactly that value for a non-numeric value.
    #[arg(long = "require", value_name = "NAME[=VALUE]", value_parser = parse_required)]
    pub require: Vec<checkout::verify::RequiredEntitlement>,

    /// Accepted algorithm (repeatable). Defaults to PS256, PS384 and PS512.
    #[arg(long = "algorithm", value_enum, value_name = "ALG")]
    pub algorithms: Vec<AlgorithmArg>,

    /// Payload profile: `license` checks the payload as checkout claims, and `jws` stops
    /// after the signature and accepts any payload bytes.
    #[arg(long, value_enum, default_value_t = ProfileArg::License)]
    pub profile: ProfileArg,

    /// Time to check issuedAt and expiration against: Unix seconds, or
    /// YYYY-MM-DDThh:mm:ss in UTC (optionally with Z or ±hh:mm). Defaults to the system
    /// clock.
    #[arg(long, value_name = "TIME|UNIX", value_parser = parse_now)]
    pub now: Option<i64>,

    /// Clock skew tolerated on issuedAt and expiration, in seconds (0 to 86400).
    /// Defaults to 60.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(0..=86400))]
    pub leeway: Option<u32>,

    /// Largest token accepted, in bytes. Defaults to 65536.
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_token_bytes: Option<u32>,
}

#[derive(Debug, Args)]
pub struct JwksArgs {
    /// Key file, public or private (PEM or DER); only the public key is printed. Repeat it to
    /// publish several keys, such as the current and the previous one during a rotation.
    #[arg(long, value_name = "FILE", required = true)]
    pub key: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    #[command(flatten)]
    pub signer: SignerArgs,

    /// Algorithm of the token.
    #[arg(long, value_enum, value_name = "ALG", default_value_t = AlgorithmArg::PS256)]
    pub algorithm: AlgorithmArg,

    /// File whose bytes are signed as they are, or `-` for standard input.
    #[arg(long, value_name = "FILE")]
    pub payload_file: PathBuf,
}

/// A JWS algorithm: RSASSA-PSS with SHA-256, SHA-384 or SHA-512.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "verbatim")]
pub enum AlgorithmArg {
    PS256,
    PS384,
    PS512,
}

impl From<AlgorithmArg> for checkout::Algorithm {
    fn from(algorithm: AlgorithmArg) -> checkout::Algorithm {
        match algorithm {
            AlgorithmArg::PS256 => checkout::Algorithm::PS256,
            AlgorithmArg::PS384 => checkout::Algorithm::PS384,
            AlgorithmArg::PS512 => checkout::Algorithm::PS512,
        }
    }
}

/// The payload profile of `lm verify`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    /// A checkout token: the payload is checked as license claims.
    License,
    /// Any signed bytes: verification stops after the signature.
    Jws,
}

impl From<ProfileArg> for checkout::Profile {
    fn from(profile: ProfileArg) -> checkout::Profile {
        match profile {
            ProfileArg::License => checkout::Profile::License,
            ProfileArg::Jws => checkout::Profile::Jws,
        }
    }
}
