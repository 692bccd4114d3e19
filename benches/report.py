"""Turn criterion's estimates of the sign_verify benchmark into the "Sign and verify" section
of docs/BENCHMARKS.md and a throughput plot.

benches/report.sh runs the benchmark and then this script. Each figure is criterion's median
point estimate of the time per operation (`<home>/<group>/<function>/<bits>/new/estimates.json`),
shown as operations per second. Estimates older than the run are rejected, so a case that a
filtered or failed run skipped cannot slip into the page with old figures.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ALGORITHMS = ("PS256", "PS384", "PS512")
KEY_BITS = (2048, 3072, 4096)

SECTION_START = "<!-- sign-verify:start -->"
SECTION_END = "<!-- sign-verify:end -->"
OLD_SECTION_START = "<!-- verify:start -->"
OLD_SECTION_END = "<!-- verify:end -->"


def verify_target(bits):
    """Return the lowest acceptable ratio of full to raw verification for a key size."""
    return 0.85 if bits == 2048 else 0.9


SIGN_TARGET = 0.95


class Results:
    """Median operations per second of one benchmark run, by (operation, algorithm, bits, kind).

    `operation` is "verify" or "sign", and `kind` is "raw" or "full".
    """

    def __init__(self, home, since):
        self.home = Path(home)
        self.since = since
        self.rates = {}
        for operation in ("verify", "sign"):
            for algorithm in ALGORITHMS:
                for bits in KEY_BITS:
                    for kind in ("raw", "full"):
                        key = (operation, algorithm, bits, kind)
                        self.rates[key] = self._read_rate(*key)

    def _read_rate(self, operation, algorithm, bits, kind):
        path = self.home / f"{operation}_{algorithm}" / kind / str(bits) / "new" / "estimates.json"
        if not path.exists():
            sys.exit(f"report.py: {path} is missing; rerun the benchmark without a filter")
        if path.stat().st_mtime < self.since:
            sys.exit(
                f"report.py: {path} is older than this run, so the benchmark did not measure "
                f"{operation}_{algorithm}/{kind}/{bits}; rerun it without a filter"
            )
        estimates = json.loads(path.read_text())
        nanoseconds = estimates["median"]["point_estimate"]
        return 1e9 / nanoseconds

    def rate(self, operation, algorithm, bits, kind):
        return self.rates[(operation, algorithm, bits, kind)]


def run_text(command):
    """Return the trimmed output of `command`, or "unknown" when it cannot run."""
    try:
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def locked_version(repo_root, package):
    """Return the version of `package` in Cargo.lock, or "unknown"."""
    lines = (repo_root / "Cargo.lock").read_text().splitlines()
    for index, line in enumerate(lines[:-1]):
        if line == f'name = "{package}"' and lines[index + 1].startswith("version = "):
            return lines[index + 1].split('"')[1]
    return "unknown"


def load_average():
    """Return the 1-minute load average, a rough record of how busy the machine was."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "unknown"


def cpu_time_note(wall_clock):
    """Return the lines that explain why CPU time is measured, or none for the wall clock."""
    if wall_clock:
        return []
    return [
        "Time that the thread spends waiting for a core held by another process is not",
        "counted, so a busy machine changes these figures much less than the wall clock;",
        "`LM_BENCH_CLOCK=wall benches/report.sh` measures the wall clock instead.",
    ]


def ops(value):
    return f"{value:,.0f}"


def verdict(ratio, target):
    return "met" if ratio >= target else "missed"


def verify_table(aws):
    rows = [
        "| algorithm | bits | raw verify (ops/s) | full verify (ops/s) | full / raw | target | result |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for algorithm in ALGORITHMS:
        for bits in KEY_BITS:
            raw = aws.rate("verify", algorithm, bits, "raw")
            full = aws.rate("verify", algorithm, bits, "full")
            target = verify_target(bits)
            rows.append(
                f"| {algorithm} | {bits} | {ops(raw)} | {ops(full)} | {full / raw:.3f} "
                f"| >= {target:.2f} | {verdict(full / raw, target)} |"
            )
    return "\n".join(rows)


def sign_table(aws):
    rows = [
        "| algorithm | bits | raw sign (ops/s) | lm_sign (ops/s) | lm_sign / raw | target | result |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for algorithm in ALGORITHMS:
        for bits in KEY_BITS:
            raw = aws.rate("sign", algorithm, bits, "raw")
            full = aws.rate("sign", algorithm, bits, "full")
            rows.append(
                f"| {algorithm} | {bits} | {ops(raw)} | {ops(full)} | {full / raw:.3f} "
                f"| >= {SIGN_TARGET:.2f} | {verdict(full / raw, SIGN_TARGET)} |"
            )
    return "\n".join(rows)


def pure_rust_table(aws, pure, operation):
    """Return the table of the pure-Rust backend's rates, each also as a share of aws-lc-rs's
    raw rate for the same case."""
    full_name = "full verify" if operation == "verify" else "lm_sign"
    rows = [
        f"| algorithm | bits | raw {operation} (ops/s) | raw / aws-lc raw "
        f"| {full_name} (ops/s) | {full_name} / aws-lc raw |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for algorithm in ALGORITHMS:
        for bits in KEY_BITS:
            baseline = aws.rate(operation, algorithm, bits, "raw")
            raw = pure.rate(operation, algorithm, bits, "raw")
            full = pure.rate(operation, algorithm, bits, "full")
            rows.append(
                f"| {algorithm} | {bits} | {ops(raw)} | {raw / baseline:.3f} "
                f"| {ops(full)} | {full / baseline:.3f} |"
            )
    return "\n".join(rows)


def plot(aws, pure, path):
    """Draw PS256 throughput by key size on a log scale: one line per operation and backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    series = [
        ("verify", "raw", "raw RSA-PSS verify", "tab:blue", "o"),
        ("verify", "full", "full verify (lm_verify)", "tab:cyan", "s"),
        ("sign", "raw", "raw RSA-PSS sign", "tab:red", "o"),
        ("sign", "full", "lm_sign", "tab:orange", "s"),
    ]
    # The backends share colors by operation; the pure-Rust one is dashed with hollow markers.
    backends = [("aws-lc-rs", aws, "-", None)]
    if pure is not None:
        backends.append(("pure Rust", pure, "--", "white"))

    figure, axes = plt.subplots(figsize=(8, 6.5), dpi=120)
    for backend_name, results, line_style, marker_face in backends:
        for operation, kind, label, color, marker in series:
            rates = [results.rate(operation, "PS256", bits, kind) for bits in KEY_BITS]
            axes.plot(
                KEY_BITS,
                rates,
                label=f"{label}, {backend_name}",
                color=color,
                marker=marker,
                linestyle=line_style,
                markerfacecolor=marker_face or color,
                markersize=6,
            )

    axes.set_yscale("log")
    axes.set_xticks(KEY_BITS)
    axes.set_xticklabels([str(bits) for bits in KEY_BITS])
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    axes.set_xlabel("RSA key size (bits)")
    axes.set_ylabel("operations per second (log scale)")
    axes.set_title("PS256 throughput by key size, one core")
    axes.grid(True, which="major", alpha=0.4)
    axes.grid(True, which="minor", alpha=0.15)
    # Below the axes, the legend covers no line whatever the rates are.
    axes.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2)
    figure.tight_layout()

    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)


def build_section(args, repo_root, aws, pure, plot_path, page_path):
    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    command = args.command
    quick_note = []
    wall_clock = os.environ.get("LM_BENCH_CLOCK") == "wall"
    if wall_clock:
        command = f"LM_BENCH_CLOCK=wall {command}"
        clock = "wall-clock time"
    else:
        clock = "CPU time of the benchmark thread"
    if os.environ.get("LM_BENCH_QUICK") == "1":
        command = f"LM_BENCH_QUICK=1 {command}"
        quick_note = [
            "NOTE: this was a quick run (1 s of measurement per case), too short for figures",
            "to rely on; rerun without LM_BENCH_QUICK.",
            "",
        ]
    plot_link = os.path.relpath(plot_path, page_path.parent)
    lines = [
        SECTION_START,
        "## Sign and verify",
        "",
        f"Measured on {today} with:",
        "",
        "```sh",
        command,
        "```",
        "",
        "The script runs `cargo bench --bench sign_verify` (criterion, `benches/sign_verify.rs`).",
        "For PS256, PS384 and PS512 with one key of each size, it measures the same checkout",
        "payload of 346 bytes four ways, each library call right after the bare operation it is",
        "built on:",
        "",
        "- raw verify: `PublicKey::verify` on the signing input and the decoded signature.",
        "- full verify: `Verifier::verify`, the code behind `lm_verify`, with the license profile,",
        "  a fixed `now` and a node id (base64url, JSON, algorithm, signature and claims).",
        "- raw sign: `PrivateKey::sign` on the signing input.",
        "- lm_sign: `Signer::sign`, the code behind `lm_sign` (header, base64url, signature).",
        "",
        f"Each rate is the inverse of criterion's median {clock} per operation.",
        "Every operation runs on one thread, so the rates are per core.",
        *cpu_time_note(wall_clock),
        "",
        *quick_note,
        f"- System: {run_text(['uname', '-srm'])}",
        f"- CPUs (nproc): {run_text(['nproc'])}",
        f"- CPU model: {cpu_model()}",
        f"- 1-minute load average: {args.load_before} before the run, {load_average()} after it",
        f"- Toolchain: {run_text(['rustc', '--version'])}",
        f"- Packages: aws-lc-rs {locked_version(repo_root, 'aws-lc-rs')}, "
        f"criterion {locked_version(repo_root, 'criterion')}",
        "",
        "Verification, aws-lc-rs backend:",
        "",
        verify_table(aws),
        "",
        "Signing, aws-lc-rs backend:",
        "",
        sign_table(aws),
        "",
    ]
    if pure is None:
        lines += [
            "The pure-Rust backend was not measured: this Cargo.toml has no `pure-rust` feature.",
            "",
        ]
    else:
        lines += [
            f"The pure-Rust backend (`rsa` {locked_version(repo_root, 'rsa')}) ran in the same "
            "way, built with",
            "`--no-default-features --features pure-rust,ffi,sqlite`. Each ratio divides by the",
            "raw rate of aws-lc-rs for the same case.",
            "",
            "Verification, pure-Rust backend:",
            "",
            pure_rust_table(aws, pure, "verify"),
            "",
            "Signing, pure-Rust backend:",
            "",
            pure_rust_table(aws, pure, "sign"),
            "",
        ]
    lines += [
        f"![PS256 operations per second by key size, log scale]({plot_link})",
        SECTION_END,
    ]
    return "\n".join(lines) + "\n"


def replace_section(text, start, end, replacement):
    """Return `text` with the part from `start` to `end` (and the newlines after it) replaced,
    and whether that part was found."""
    begin = text.find(start)
    finish = text.find(end, begin)
    if begin < 0 or finish < 0:
        return text, False
    rest = text[finish + len(end):].lstrip("\n")
    if replacement and rest:
        replacement += "\n"
    return text[:begin] + replacement + rest, True


def write_section(page_path, section):
    """Put `section` in place of the sign-verify section, or else of the old verify section,
    or else at the end. The old verify section is removed in every case."""
    text = page_path.read_text() if page_path.exists() else "# Benchmarks\n"
    text, replaced = replace_section(text, SECTION_START, SECTION_END, section)
    if replaced:
        text, _ = replace_section(text, OLD_SECTION_START, OLD_SECTION_END, "")
    else:
        text, replaced = replace_section(text, OLD_SECTION_START, OLD_SECTION_END, section)
    if not replaced:
        text = text.rstrip("\n") + "\n\n" + section
    page_path.write_text(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--criterion-home", required=True, help="criterion output directory of the aws-lc-rs run")
    parser.add_argument("--pure-rust-home", help="criterion output directory of the pure-Rust run, if it ran")
    parser.add_argument("--since", type=float, required=True, help="Unix time when the run started; older estimates are rejected")
    parser.add_argument("--load-before", default="unknown", help="1-minute load average before the run")
    parser.add_argument("--command", default="benches/report.sh", help="command shown on the page")
    parser.add_argument("--write", required=True, help="Markdown page to update")
    parser.add_argument("--plot", required=True, help="PNG file to write")
    args = parser.parse_args()

    repo_root = Path(__file__).resolve().parent.parent
    aws = Results(args.criterion_home, args.since)
    pure = Results(args.pure_rust_home, args.since) if args.pure_rust_home else None

    plot_path = Path(args.plot).resolve()
    page_path = Path(args.write).resolve()
    plot(aws, pure, plot_path)
    section = build_section(args, repo_root, aws, pure, plot_path, page_path)
    write_section(page_path, section)
    print(section)


if __name__ == "__main__":
    main()
