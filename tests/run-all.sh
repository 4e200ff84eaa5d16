#!/usr/bin/env bash
# Builds wormwatch twice (warnings as errors; then with AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs the whole test suite on both, then
# runs each libFuzzer target for WW_FUZZ_SECONDS (default 60; 0 skips).
# Installs what is missing from Debian 12's packages first (needs root).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake pkg-config libpcap-dev libjansson-dev libcmocka-dev
          clang libclang-rt-14-dev fever tshark time valgrind)
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
run_suite() { # name, extra cmake args...
  local dir="build-$1"; shift
  echo "== build $dir"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DWW_WERROR=ON -DWW_REQUIRE_TESTS=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs" >/dev/null
  echo "== test $dir"
  (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 300)
}

run_suite ci
run_suite sanitize -DWW_SANITIZE=ON

fuzz_seconds=${WW_FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" -gt 0 ]; then
  echo "== fuzz smoke: ${fuzz_seconds}s per target"
  fuzz/run.sh "$fuzz_seconds"
fi
