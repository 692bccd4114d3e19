//! Worker processes: the test binary run again with `--exact` on the worker entry test, and
//! the report lines they print on stdout.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

/// The environment variable that turns the worker entry test into a worker of that role.
pub const ROLE_VAR: &str = "LM_STRESS_ROLE";

/// The name of the test in tests/stress.rs that runs a worker when [`ROLE_VAR`] is set.
pub const WORKER_TEST: &str = "worker_process";

/// The prefix of report lines; anything else on stdout is the test harness's output.
const MARKER: &str = "LM-STRESS ";

/// How long the parent waits for a worker's next report before it calls the worker hung.
/// This guards against a deadlock; it is not a performance limit.
const HANG_LIMIT: Duration = Duration::from_secs(120);

/// Prints one report line and flushes it, so a killed worker has printed exactly the lines
/// that reached this call. Each line is one `write` below the pipe's atomic size.
pub fn report(line: &str) {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{MARKER}{line}").expect("stdout accepts a report");
    stdout.flush().expect("stdout flushes");
}

/// Returns the value of a worker's environment variable.
pub fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("worker environment variable {name} is unset"))
}

/// One report: its kind (the first word) and the rest of the line.
#[derive(Clone, Debug)]
pub struct Report {
    pub kind: String,
    pub rest: String,
}

impl Report {
    /// Splits the rest into at most `n` space-separated fields; the last one keeps any spaces.
    pub fn fields(&self, n: usize) -> Vec<&str> {
        self.rest.splitn(n, ' ').collect()
    }
}

fn parse(line: &str) -> Option<Report> {
    let start = line.find(MARKER)? + MARKER.len();
    let text = line[start..].trim_end_matches(['\n', '\r']);
    let (kind, rest) = text.split_once(' ').unwrap_or((text, ""));
    Some(Report {
        kind: kind.to_owned(),
        rest: rest.to_owned(),
    })
}

/// A running worker process.
pub struct Worker {
    pub name: String,
    child: Child,
    lines: Receiver<String>,
    stderr: Option<JoinHandle<String>>,
    /// Every report read so far, in order.
    pub reports: Vec<Report>,
}

/// A worker that has exited.
pub struct Finished {
    pub name: String,
    pub status: ExitStatus,
    pub reports: Vec<Report>,
    pub stderr: String,
}

impl Worker {
    /// Starts the test binary as a worker of `role` with the given environment.
    pub fn spawn(name: &str, role: &str, vars: &[(&str, String)]) -> Worker {
        let exe = std::env::current_exe().expect("the test binary's path is known");
        let mut command = Command::new(exe);
        command
            .args(["--exact", WORKER_TEST, "--nocapture", "--test-threads=1"])
            .env(ROLE_VAR, role)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (var, value) in vars {
            command.env(var, value);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("worker {name} starts: {e}"));

        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            // A killed worker may leave a last line without its newline; it never reported.
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                if line.ends_with('\n') && sender.send(line.clone()).is_err() {
                    return;
                }
                line.clear();
            }
        });
        let mut stderr_pipe = child.stderr.take().expect("stderr is piped");
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr_pipe.read_to_string(&mut text);
            text
        });

        Worker {
            name: name.to_owned(),
            child,
            lines,
            stderr: Some(stderr),
            reports: Vec::new(),
        }
    }

    /// Reads reports until one of `kind` arrives and returns it.
    pub fn wait_for(&mut self, kind: &str) -> Report {
        loop {
            match self.lines.recv_timeout(HANG_LIMIT) {
                Ok(line) => {
                    let Some(report) = parse(&line) else { continue };
                    self.reports.push(report.clone());
                    if report.kind == kind {
                        return report;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    panic!(
                        "worker {} printed no {kind:?} report in {HANG_LIMIT:?}",
                        self.name
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.child.wait().expect("the worker is reaped");
                    let stderr = self.take_stderr();
                    panic!(
                        "worker {} exited ({status}) before a {kind:?} report; stderr:\n{stderr}",
                        self.name
                    )
                }
            }
        }
    }

    /// Sends SIGKILL.
    pub fn kill(&mut self) {
        self.child.kill().expect("SIGKILL reaches the worker");
    }

    /// Waits for the worker to exit and returns everything it reported.
    pub fn finish(mut self) -> Finished {
        let status = self.child.wait().expect("the worker is reaped");
        while let Ok(line) = self.lines.recv_timeout(HANG_LIMIT) {
            if let Some(report) = parse(&line) {
                self.reports.push(report);
            }
        }
        let stderr = self.take_stderr();
        Finished {
            name: self.name,
            status,
            reports: self.reports,
            stderr,
        }
    }

    fn take_stderr(&mut self) -> String {
        self.stderr
            .take()
            .and_then(|reader| reader.join().ok())
            .unwrap_or_default()
    }
}

impl Finished {
    /// Panics unless the worker exited with status 0 and reported nothing unexpected.
    pub fn assert_clean(&self) {
        let unexpected: Vec<&str> = self
            .reports
            .iter()
            .filter(|r| r.kind == "unexpected" || r.kind == "violation")
            .map(|r| r.rest.as_str())
            .collect();
        assert!(
            unexpected.is_empty(),
            "worker {} reported failures:\n{}",
            self.name,
            unexpected.join("\n")
        );
        assert!(
            self.status.success(),
            "worker {} exited with {}; stderr:\n{}",
            self.name,
            self.status,
            self.stderr
        );
    }

    /// Returns the reports of `kind`.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Report> + 'a {
        self.reports.iter().filter(move |r| r.kind == kind)
    }
}
