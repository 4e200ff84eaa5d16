#!/usr/bin/env bash
# wormwatch-report end to end: three sensors' EVE files (the real binary on
# bundled captures), one list of hosts, the coverage, and the HTML page
# rendered by a real headless browser (Debian's chromium): its DOM holds the
# table, and a screenshot is kept as an artefact (OUT_DIR/report.png). The
# events are also read back from a real redis-server (a list and a stream).
# Usage: test_report.sh WORMWATCH WORMWATCH_REPORT PCAPS OUT_DIR
set -euo pipefail
ww=$1 report=$2 pcaps=$3 out=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
mkdir -p "$out"

"$ww" --sensor-name lab -r "$pcaps/conficker_lan.pcap" -r "$pcaps/vulnscan.pcap" -o "$work/lab.json"
"$ww" --sensor-name smb -r "$pcaps/real/malcolm_wannacry.pcap" \
  -r "$pcaps/real/ms08_067_msf_netapi_tcp445.pcap" -o "$work/smb.json"
"$ww" --sensor-name edge -r "$pcaps/real/dga_dig.pcap" -r "$pcaps/real/p2p_nmap.pcap" \
  -o "$work/edge.json"
# the same host seen by a second sensor, and a line that is not EVE
{ grep -m1 '"src_ip":"10.1.1.66"' "$work/lab.json" | sed 's/"host":"lab"/"host":"annex"/'; echo garbage; } \
  >"$work/annex.json"

"$report" -o "$work/report.html" "$work/lab.json" "$work/smb.json" "$work/edge.json" - \
  <"$work/annex.json" >"$work/table"
head -1 "$work/table" | grep -q '^12 flagged hosts, 8 likely Conficker, from 4 sensors ' ||
  fail "header: $(head -1 "$work/table")"
sed -n 4p "$work/table" | grep -Eq '^10\.1\.1\.66 +- +00:14:22:01:01:42 +Conficker +2009-03-30 00:01:03 +2009-03-30 00:01:10 +lab, annex +scan +10$' ||
  fail "first host: $(sed -n 4p "$work/table")"
grep -Eq '^192\.168\.3\.205 .* Conficker .* smb +ms08_067 ' "$work/table" || fail "no MS08-067 host"
grep -Eq '^127\.0\.0\.10 .* Conficker B ' "$work/table" || fail "no DGA host"
grep -Eq '^10\.99\.0\.1 .* Conficker C ' "$work/table" || fail "no P2P host"
grep -Eq '^192\.168\.116\.149 .* SMB worm ' "$work/table" || fail "no SMB worm"
tail -n +4 "$work/table" | awk '/^Coverage/{exit} NF' | tail -1 | grep -Eq '^10\.1\.2\.250 .* scanner ' ||
  fail "the scanner is not last"
grep -Eq '^lab +3348 +0 +file ' "$work/table" || fail "coverage of lab: $(grep '^lab' "$work/table")"
grep -q '^1 input lines were not EVE JSON' "$work/table" || fail "bad line not counted"
grep -q 'http' "$work/report.html" && grep -q 'src="http\|href="http' "$work/report.html" &&
  fail "the page fetches something"

# The same events read back from Redis, a list and a stream (a private
# redis-server on a Unix socket, started and stopped here): the same table.
command -v redis-server >/dev/null || { echo "test_report: skipped: redis-server is not installed"; exit 77; }
redis-server --port 0 --unixsocket "$work/redis.sock" --save '' --appendonly no \
  --daemonize no >"$work/redis.log" 2>&1 &
redis_pid=$!
trap 'kill $redis_pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -S "$work/redis.sock" ] && break; sleep 0.1; done
cli() { redis-cli -s "$work/redis.sock" "$@" >/dev/null; }
while IFS= read -r l; do cli RPUSH wwlist "$l"; done <"$work/lab.json"
while IFS= read -r l; do cli XADD wwstream '*' eve "$l"; done <"$work/smb.json"
"$report" "redis+unix:$work/redis.sock?key=wwlist" "redis+unix:$work/redis.sock?key=wwstream" \
  "$work/edge.json" - <"$work/annex.json" >"$work/table-redis"
diff <(sed 1d "$work/table") <(sed 1d "$work/table-redis") || fail "Redis inputs give another table"
# And the whole chain: the sensors' own Redis outputs (a list, a stream) read back by the report.
"$ww" --sensor-name lab -r "$pcaps/conficker_lan.pcap" -r "$pcaps/vulnscan.pcap" \
  -o "redis+unix:$work/redis.sock?key=chain" -o /dev/null
"$ww" --sensor-name smb -r "$pcaps/real/malcolm_wannacry.pcap" \
  -r "$pcaps/real/ms08_067_msf_netapi_tcp445.pcap" -o "redis+unix:$work/redis.sock?key=chainx&mode=xadd"
"$report" "redis+unix:$work/redis.sock?key=chain" "redis+unix:$work/redis.sock?key=chainx" \
  "$work/edge.json" - <"$work/annex.json" >"$work/table-chain"
diff <(sed 1d "$work/table") <(sed 1d "$work/table-chain") || fail "sensor -> Redis -> report differs"
"$report" "redis+unix:$work/redis.sock?key=nosuch" >/dev/null 2>"$work/err" && fail "a missing key is not an error"
grep -q "no key 'nosuch'" "$work/err" || fail "missing key: $(cat "$work/err")"

command -v chromium >/dev/null || { echo "test_report: skipped: chromium is not installed"; exit 77; }
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
       --disable-background-networking --disable-component-update --disable-sync
       --user-data-dir="$work/profile")
timeout 120 chromium "${flags[@]}" --dump-dom "file://$work/report.html" >"$work/dom" 2>/dev/null ||
  fail "chromium could not load the page"
grep -q '<td>192.168.3.205</td>' "$work/dom" || fail "the rendered table lacks a host"
[ "$(grep -o '<circle' "$work/dom" | wc -l)" -ge 12 ] || fail "the timeline has too few marks"
timeout 120 chromium "${flags[@]}" --window-size=1200,900 --screenshot="$out/report.png" \
  "file://$work/report.html" >/dev/null 2>&1 || fail "no screenshot"
[ "$(stat -c %s "$out/report.png")" -gt 20000 ] || fail "the screenshot is nearly empty"
echo "test_report: ok (screenshot: $out/report.png)"
