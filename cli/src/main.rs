//! `lm`: the command-line tool of libcheckout.
//!
//! It creates keys and licenses, checks entitlements out of a local store, and verifies
//! the signed tokens offline. Results are JSON on standard output; a failure prints
//! `lm: LM_STATUS_NAME (status): message` on standard error and exits with ten times the
//! hundreds digit of the status.

mod args;
mod files;
mod keys;
mod request;
mod store;
mod verify;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();

    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!(
                "lm: {} ({}): {}",
                error.kind().code(),
                error.status(),
                error.message()
            );
            ExitCode::from(exit_code(error.status()))
        }
    }
}

fn run(cli: &Cli) -> checkout::Result<()> {
    match &cli.command {
        Command::Keygen(args) => keys::keygen(args),
        Command::Jwks(args) => keys::jwks(args),
        Command::Sign(args) => keys::sign(args),
        Command::Verify(args) => verify::run(args),
        Command::License(command) => store::license(&store::open(&cli.store)?, command),
        Command::Checkout(args) => store::checkout(&store::open(&cli.store)?, args),
        Command::Checkin(args) => store::checkin(&store::open(&cli.store)?, args),
        Command::Extend(args) => store::extend(&store::open(&cli.store)?, args),
        Command::Usage(args) => store::usage(&store::open(&cli.store)?, args),
        Command::Consumptions(args) => store::consumptions(&store::open(&cli.store)?, args),
    }
}

/// Maps a status to the exit code of its family: 1xx to 10, 2xx to 20, up to 9xx to 90.
/// Clap's usage errors exit with 2, which no family uses.
fn exit_code(status: u32) -> u8 {
    match status / 100 {
        family @ 1..=9 => (family * 10) as u8,
        _ => 90,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_by_family() {
        assert_eq!(exit_code(100), 10);
        assert_eq!(exit_code(101), 10);
        assert_eq!(exit_code(201), 20);
        assert_eq!(exit_code(304), 30);
        assert_eq!(exit_code(403), 40);
        assert_eq!(exit_code(501), 50);
        assert_eq!(exit_code(900), 90);
        assert_eq!(exit_code(7), 90);
    }

    #[test]
    fn command_line_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
