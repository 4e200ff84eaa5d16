#!/usr/bin/env bash
# The DGA detector against a real DNS client: dig (Debian's bind9-dnsutils)
# looks up names on loopback while wormwatch captures live on lo. A stand-in
# resolver (python3, 127.0.0.53) answers NXDOMAIN to everything, as the
# sinkholed Conficker domains mostly were.
#   127.0.0.10 looks up 5 names of today's Conficker B list: flagged, variant B
#   127.0.0.20 looks up 1 name of it among ordinary names: a collision, silent
# Only 127.0.0.0/8 is used. Needs root and dig: exit 77 (skipped) otherwise.
# With WW_DGA_SAVE=DIR the capture is also written there (dumpcap).
# Usage: test_dga_dig.sh WORMWATCH
set -euo pipefail
ww=$1
[ "$(id -u)" -eq 0 ] || { echo "test_dga_dig: skipped: needs root (live capture on lo)"; exit 77; }
command -v dig >/dev/null || { echo "test_dga_dig: skipped: dig is not installed"; exit 77; }
command -v python3 >/dev/null || { echo "test_dga_dig: skipped: python3 is not installed"; exit 77; }

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

cat >"$work/resolver.py" <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.53", 53))
while True:
    q, peer = s.recvfrom(4096)
    if len(q) < 12:
        continue
    # the question back, QR set, RA set, RCODE 3 (NXDOMAIN), no answers
    r = q[:2] + bytes([0x81, 0x83]) + q[4:6] + b"\0\0\0\0\0\0" + q[12:]
    s.sendto(r, peer)
EOF
python3 "$work/resolver.py" & pids+=($!)
sleep 0.3

day=$(date -u +%F)
"$ww" --conficker-domains "B:$day" >"$work/names"
[ "$(wc -l <"$work/names")" -eq 250 ]

"$ww" -i lo --sensor-name dga-test -o "$work/eve.json" 'udp port 53' 2>"$work/err" & ww_pid=$!
pids+=($ww_pid)
if [ -n "${WW_DGA_SAVE:-}" ] && command -v dumpcap >/dev/null; then
  dumpcap -q -i lo -f 'udp port 53' -w "$WW_DGA_SAVE/dga_dig.pcap" 2>/dev/null & pids+=($!)
fi
sleep 1

ask() { # source, name
  dig +tries=1 +time=1 -b "$1" @127.0.0.53 "$2" A >/dev/null || true
}
for n in $(sed -n '3p;40p;41p;120p;249p' "$work/names"); do ask 127.0.0.10 "$n"; done
for n in example.com debian.org "$(sed -n '7p' "$work/names")" wikipedia.org; do ask 127.0.0.20 "$n"; done
sleep 1
kill -TERM "$ww_pid"
wait "$ww_pid" || { echo "wormwatch exited $?: $(cat "$work/err")"; exit 1; }

alerts=$(grep '"event_type":"alert"' "$work/eve.json" || true)
n=$(printf '%s\n' "$alerts" | grep -c '"signature_id":1000030' || true)
if [ "$n" -ne 1 ] || ! printf '%s' "$alerts" | grep -q '"src_ip":"127.0.0.10"'; then
  echo "FAIL: expected one DGA alert for 127.0.0.10, got: ${alerts:-none}"; exit 1
fi
for field in '"variant":"B"' "\"date\":\"$day\"" '"distinct":3' '"nxdomain_share":1.0' \
             '"indicators":\["dga"\]' '"likely":true'; do
  printf '%s' "$alerts" | grep -q "$field" || { echo "FAIL: no $field in: $alerts"; exit 1; }
done
if printf '%s' "$alerts" | grep -q '"src_ip":"127.0.0.20"'; then
  echo "FAIL: one colliding name flagged 127.0.0.20: $alerts"; exit 1
fi
echo "test_dga_dig: ok: 127.0.0.10 flagged as Conficker B ($day), 127.0.0.20 silent"
