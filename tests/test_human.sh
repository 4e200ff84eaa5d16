#!/usr/bin/env bash
# A person at a terminal: the progress line and the closing summary go to
# standard error when it is a terminal (here a real pty, made by script(1)),
# or when asked for; never into the events, and nothing at all otherwise.
# Usage: test_human.sh WORMWATCH PCAPS
set -euo pipefail
ww=$1 pcaps=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# 1. Not a terminal, not asked: standard error stays empty.
"$ww" -r "$pcaps/conficker_lan.pcap" >"$work/out" 2>"$work/err"
[ ! -s "$work/err" ] || fail "stderr not empty off a terminal: $(cat "$work/err")"

# 2. --summary: one line per flagged host, infected first, then the count.
"$ww" --summary -r "$pcaps/conficker_lan.pcap" -r "$pcaps/vulnscan.pcap" -o "$work/eve.json" \
  2>"$work/err"
[ "$(wc -l <"$work/err")" -eq 3 ] || fail "summary is not 3 lines: $(cat "$work/err")"
sed -n 1p "$work/err" | grep -Eq '^  10\.1\.1\.66 +- +Conficker +scan +2009-03-30T00:01:03 \.\. 00:01:10  2 alerts, 10 targets$' ||
  fail "first line: $(sed -n 1p "$work/err")"
sed -n 2p "$work/err" | grep -Eq '^  10\.1\.2\.250 +- +scanner +scan ' || fail "second line: $(sed -n 2p "$work/err")"
sed -n 3p "$work/err" | grep -qx 'wormwatch: 2 flagged hosts, 1 likely Conficker' ||
  fail "count line: $(sed -n 3p "$work/err")"
grep -q 'flagged host' "$work/eve.json" && fail "summary in the events"
[ "$(grep -c '"event_type":"alert"' "$work/eve.json")" -eq 5 ] || fail "events changed"

# 3. A real terminal: both, unasked; the progress line is rewritten in place
#    (carriage returns) and cleared before the summary.
script -qec "'$ww' -r '$pcaps/conficker_lan.pcap' -o '$work/tty.json'" /dev/null >"$work/tty" 2>&1
grep -q 'packets (' "$work/tty" || fail "no progress line on a terminal: $(cat -v "$work/tty")"
grep -q $'\r' "$work/tty" || fail "progress line not rewritten in place"
grep -q 'wormwatch: 1 flagged host, 1 likely Conficker' "$work/tty" || fail "no summary on a terminal"
grep -q 'packets (' "$work/tty.json" && fail "progress in the events"

# 4. --progress off a terminal, on standard input.
"$ww" --progress -r - -o /dev/null <"$pcaps/conficker_lan.pcap" 2>"$work/err"
grep -q 'packets (' "$work/err" || fail "--progress printed nothing"
echo "test_human: ok"
