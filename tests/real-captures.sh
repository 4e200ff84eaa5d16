#!/usr/bin/env bash
# Runs wormwatch on every capture listed in tests/real-captures.tsv and checks
# that the SOURCE:SIGNATURE_ID pairs it alerts are exactly the ones written
# there, that it exits 0 and that every line is whole JSON.
# Usage: real-captures.sh WORMWATCH TSV DIR...  (a capture is looked for in
# each DIR in turn: pcaps/real first, then ../shared/pcaps/real if present)
set -uo pipefail
binary=$1 tsv=$2
shift 2
dirs=("$@")
checked=0 failed=0 absent=0 misses=0
while IFS=$'\t' read -r file status expect note; do
  [[ -z "$file" || "$file" == \#* ]] && continue
  path=
  for d in "${dirs[@]}"; do
    [ -f "$d/$file" ] && { path="$d/$file"; break; }
  done
  if [ -z "$path" ]; then
    absent=$((absent + 1))
    continue
  fi
  out=$("$binary" --sensor-name real -r "$path" 2>&1 >/tmp/ww-real.$$); rc=$?
  if [ $rc -ne 0 ] || [ -n "$out" ]; then
    echo "FAIL $file: exit $rc: $out"; failed=$((failed + 1)); continue
  fi
  # jq-free: pull src_ip and signature_id out of each alert line.
  got=$(grep '"event_type":"alert"' /tmp/ww-real.$$ |
        sed -E 's/.*"src_ip":"([^"]*)".*"signature_id":([0-9]+).*/\1:\2/' | sort -u | tr '\n' ' ')
  got=${got% }
  lines=$(wc -l </tmp/ww-real.$$)
  whole=$(grep -c '^{.*}$' /tmp/ww-real.$$)
  want=$([ "$expect" = "-" ] && echo "" || echo "$expect" | tr ' ' '\n' | sort -u | tr '\n' ' ')
  want=${want% }
  if [ "$got" != "$want" ] || [ "$lines" != "$whole" ] || [ "$lines" -lt 1 ]; then
    echo "FAIL $file ($status): alerted '${got:--}', expected '${want:--}' ($note)"
    failed=$((failed + 1))
  else
    echo "ok   $file ($status): ${got:--}"
  fi
  [ "$status" = miss ] && misses=$((misses + 1))
  checked=$((checked + 1))
done <"$tsv"
rm -f /tmp/ww-real.$$
echo "real captures: $checked checked, $failed failed, $absent not here (in ../shared only), $misses known misses (see the tsv)"
[ $failed -eq 0 ] && [ $checked -gt 0 ]
