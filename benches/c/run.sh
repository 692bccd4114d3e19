#!/usr/bin/env bash
# Builds libcheckout and benches/c/bench.c, then measures the C ABI against OpenSSL's libcrypto.
#
# Usage: benches/c/run.sh [--build-only] [--write FILE] [--rounds N] [--batch-ms N] [--bits LIST]
#   --build-only  compile the program and stop, so CI notices when the program no longer builds
#   --write FILE  also replace the section between <!-- c-abi:start --> and <!-- c-abi:end -->
#                 of FILE, or append it when FILE has no such section
# The other options go to the program: rounds per row (default 11), milliseconds per batch
# (default 100) and key sizes (default 2048,3072,4096). Needs cargo, gcc and OpenSSL's headers
# (libssl-dev). Works from any directory; the program is built in build/c-bench.
set -euo pipefail

usage="usage: benches/c/run.sh [--build-only] [--write FILE] [--rounds N] [--batch-ms N] [--bits LIST]"
start_marker='<!-- c-abi:start -->'
end_marker='<!-- c-abi:end -->'

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
lib="$repo_root/target/release"
out_dir="$repo_root/build/c-bench"
compiler="${CC:-gcc}"

build_only=0
write_to=""
write_argument=""
bench_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build-only)
      build_only=1
      shift
      ;;
    --write)
      [[ $# -ge 2 ]] || { echo "run.sh: --write needs a file; $usage" >&2; exit 2; }
      write_to="$2"
      write_argument="$2"
      shift 2
      ;;
    --rounds | --batch-ms | --bits)
      [[ $# -ge 2 ]] || { echo "run.sh: $1 needs a value; $usage" >&2; exit 2; }
      bench_args+=("$1" "$2")
      shift 2
      ;;
    *)
      echo "run.sh: unknown option $1; $usage" >&2
      exit 2
      ;;
  esac
done

if [[ -n $write_to ]]; then
  # Resolve the path against the caller's directory, and fail before the long run when the
  # section cannot be replaced safely.
  write_to="$(cd "$(dirname "$write_to")" && pwd)/$(basename "$write_to")"
  if [[ -f $write_to ]] && grep -qxF "$start_marker" "$write_to" &&
    ! grep -qxF "$end_marker" "$write_to"; then
    echo "run.sh: $write_to has the line $start_marker but not $end_marker; add it" >&2
    exit 1
  fi
fi

cargo build --release -p checkout --manifest-path "$repo_root/Cargo.toml"
# The shared library's SONAME is libcheckout.so.1; the loader looks for that name.
ln -sf libcheckout.so "$lib/libcheckout.so.1"

mkdir -p "$out_dir"
"$compiler" -std=c11 -O2 -Wall -Wextra -Wpedantic -Werror -I"$repo_root/include" \
  "$repo_root/benches/c/bench.c" -o "$out_dir/bench" \
  -L"$lib" -Wl,-rpath,"$lib" -lcheckout -lcrypto
if [[ $build_only -eq 1 ]]; then
  echo "built $out_dir/bench"
  exit 0
fi

report="$out_dir/report.md"
"$out_dir/bench" "${bench_args[@]}" >"$report"
cat "$report"
if [[ -z $write_to ]]; then
  exit 0
fi

cpu_model="$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
command_line="benches/c/run.sh --write $write_argument${bench_args[*]:+ ${bench_args[*]}}"
section="$out_dir/section.md"
{
  echo "$start_marker"
  echo "## C ABI"
  echo
  echo "Measured on $(date -u +%Y-%m-%d) with:"
  echo
  echo '```sh'
  echo "$command_line"
  echo '```'
  echo
  echo "- System: $(uname -srm)"
  echo "- CPU model: ${cpu_model:-unknown}"
  echo "- CPUs (nproc): $(nproc)"
  echo "- Compiler: $("$compiler" --version | head -n 1), -O2"
  cat "$report"
  echo "$end_marker"
} >"$section"

if [[ -f $write_to ]] && grep -qxF "$start_marker" "$write_to"; then
  # Copies every line outside the old section and the new section in its place.
  awk -v start="$start_marker" -v end="$end_marker" -v section="$section" '
    $0 == start {
      while ((getline line < section) > 0) print line
      skipping = 1
      next
    }
    skipping && $0 == end { skipping = 0; next }
    !skipping { print }
  ' "$write_to" >"$out_dir/page.md"
  cat "$out_dir/page.md" >"$write_to"
else
  if [[ -s $write_to ]]; then
    echo >>"$write_to"
  fi
  cat "$section" >>"$write_to"
fi
echo "wrote the C ABI section of $write_to"
