#!/usr/bin/env bash
# Builds wormwatch three times and runs the test suite on each: warnings as
# errors; AddressSanitizer + UndefinedBehaviorSanitizer (the whole suite);
# ThreadSanitizer (the tests that run threads or live capture). Then the
# fuzz corpora are replayed (ctest does it in every build) and each
# libFuzzer target runs for WW_FUZZ_SECONDS (default 60; 0 skips).
# Installs what is missing from Debian 12's packages first (needs root).
#
# Ends with one line: "N passed, N failed, N skipped", and a line per skip
# saying why. Run as root, a skipped test is a failure: root can run them all.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake pkg-config libpcap-dev libjansson-dev libcmocka-dev
          clang libclang-rt-14-dev fever tshark time valgrind nmap iproute2 tcpdump
          bind9-dnsutils python3 libhiredis-dev redis-server)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
passed=0 failed=0 skipped=0
skips=()
status=0

# Counts one ctest run from its log: ctest's verdicts, plus cmocka's own
# skip() inside a test that ctest saw pass.
count_run() { # build dir, suite name
  local log="$1/Testing/Temporary/LastTest.log" out="$1/ctest.out"
  local p f s
  p=$(grep -cE 'Test +#[0-9]+: .* Passed' "$out" || true)
  f=$(grep -cE 'Test +#[0-9]+: .*\*\*\*(Failed|Timeout|Exception)|Not Run' "$out" || true)
  s=$(grep -cE 'Test +#[0-9]+: .*\*\*\*Skipped' "$out" || true)
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
  # Why each test or cmocka case was skipped: the line it printed.
  while IFS= read -r why; do
    [ -n "$why" ] && skips+=("$2: $why")
  done < <(awk '/^[0-9]+\/[0-9]+ Test: /{name=$3}
                /\[  SKIPPED \]|(^|[ :;])skipped([:;.]|$)/ && name != "" && !/Test Skipped/ {print name ": " $0}' "$log" |
           sed 's/  */ /g' | sort -u)
  local cm
  cm=$(grep -c '^\[  SKIPPED \]' "$log" || true)
  skipped=$((skipped + cm))
}

run_suite() { # name, ctest args (after --), cmake args...
  local name="$1" dir="build-$1"; shift
  local ctest_args=()
  while (($#)) && [ "$1" != "--" ]; do ctest_args+=("$1"); shift; done
  shift || true
  echo "== build $dir"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DWW_WERROR=ON -DWW_REQUIRE_TESTS=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs" >/dev/null
  echo "== test $dir"
  if ! (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 300 "${ctest_args[@]}") |
      tee "$dir/ctest.out"; then
    status=1
  fi
  count_run "$dir" "$name"
}

run_suite ci --
run_suite sanitize -- -DWW_SANITIZE=ON
run_suite tsan -R '^(test_workers|test_live|test_signals|test_capture|test_pipeline)$' -- -DWW_TSAN=ON

fuzz_seconds=${WW_FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" -gt 0 ]; then
  echo "== fuzz smoke: ${fuzz_seconds}s per target"
  if fuzz/run.sh "$fuzz_seconds"; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi
fi

echo "== summary"
for s in "${skips[@]+"${skips[@]}"}"; do echo "skipped: $s"; done
if [ "$(id -u)" -eq 0 ] && [ "$skipped" -gt 0 ]; then
  echo "!! running as root, nothing should be skipped: counting $skipped skip(s) as failures"
  failed=$((failed + skipped))
  status=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] || status=1
exit $status
