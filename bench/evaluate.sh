#!/bin/sh
# Runs wormwatch over every capture in the given folders and prints one
# Markdown row per capture: its alerts (source, signature, conficker.likely),
# the exit code and the wall-clock run time. Needs only a POSIX shell.
#
# Usage: bench/evaluate.sh WORMWATCH DIR [DIR ...]
#   e.g. bench/evaluate.sh build/wormwatch pcaps ../shared/pcaps/real
set -eu
wormwatch=$1
shift
now() { date +%s.%N; }

echo "| capture | packets | alerts (source sid likely) | exit | seconds |"
echo "|---|---:|---|---:|---:|"
for dir in "$@"; do
  for cap in "$dir"/*.pcap "$dir"/*.pcapng; do
    [ -f "$cap" ] || continue
    out=$(mktemp)
    start=$(now)
    rc=0
    "$wormwatch" --sensor-name eval -r "$cap" >"$out" 2>/dev/null || rc=$?
    end=$(now)
    alerts=$(grep '"event_type":"alert"' "$out" |
      sed -e 's/.*"src_ip":"\([^"]*\)".*"signature_id":\([0-9]*\).*"likely":\([a-z]*\).*/\1 \2 \3/' |
      tr '\n' ';' | sed 's/;$//; s/;/; /g')
    packets=$(grep '"event_type":"stats"' "$out" | sed 's/.*"pkts":\([0-9]*\).*/\1/')
    printf '| %s | %s | %s | %s | %.3f |\n' "$(basename "$cap")" "${packets:-0}" "${alerts:--}" \
      "$rc" "$(echo "$end - $start" | awk '{print $1 - $3}')"
    rm -f "$out"
  done
done
