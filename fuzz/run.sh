#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each one
# for SECONDS (default 60), seeded from pcaps/, rules/, fuzz/corpus/ (the
# committed seeds) and fuzz/regressions/ (every crash ever found).
# A crash is copied into fuzz/regressions/TARGET/ (commit it: ctest replays
# it from then on) and the script fails.
#
# Usage: fuzz/run.sh [SECONDS] [TARGET ...]    targets: decode triage rules pipeline p2p dns smb dhcp nbname redis
# A longer campaign: fuzz/run.sh 3600; keep a corpus with WW_FUZZ_CORPUS=DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(decode triage rules pipeline p2p dns smb dhcp nbname redis)

build=build-fuzz
CC=clang cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DWW_FUZZ=ON -DWW_SANITIZE=ON \
  -DWW_TESTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" \
  $(printf -- '--target fuzz-%s ' "${targets[@]}") >/dev/null

corpus_root=${WW_FUZZ_CORPUS:-$(mktemp -d)}
status=0
for t in "${targets[@]}"; do
  corpus="$corpus_root/$t"
  mkdir -p "$corpus"
  case $t in
    rules) cp rules/*.rules "$corpus"/ ;;
    p2p) ;; # its seeds are all in fuzz/corpus/p2p/
    dns) ;; # UDP payloads, not captures: the seeds are in fuzz/corpus/dns
    smb) ;; # its seeds are segment lists, all in fuzz/corpus/smb/
    dhcp | nbname) ;; # UDP payloads, not captures: the seeds are in fuzz/corpus/
    redis) ;; # output specs, all in fuzz/corpus/redis/
    triage) cp pcaps/*.pcap pcaps/*.pcapng fuzz/corpus/decode/* "$corpus"/ ;; # the decoder's inputs
    *) cp pcaps/*.pcap pcaps/*.pcapng "$corpus"/ ;;
  esac
  find "fuzz/corpus/$t" "fuzz/regressions/$t" -type f ! -name '.*' -exec cp {} "$corpus"/ \; 2>/dev/null || true
  artifacts=$(mktemp -d)
  echo "== fuzz-$t for ${seconds}s"
  if ! "$build/fuzz/fuzz-$t" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
       -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/" \
       "$corpus" 2>"$artifacts/log"; then
    status=1
    tail -40 "$artifacts/log"
  fi
  grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|cov:' "$artifacts/log" | tail -3
  for crash in "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/leak-* "$artifacts"/oom-*; do
    [ -e "$crash" ] || continue
    cp "$crash" "fuzz/regressions/$t/"
    echo "!! $t: $(basename "$crash") saved in fuzz/regressions/$t/"
    status=1
  done
  rm -rf "$artifacts"
done
[ -n "${WW_FUZZ_CORPUS:-}" ] || rm -rf "$corpus_root"
exit $status
