#!/usr/bin/env bash
# The Redis output against a real redis-server the test starts (Unix socket
# and a private loopback port), read back with redis-cli:
#  1. each mode (rpush, lpush, publish, xadd, xadd with maxlen) over the
#     bundled captures: every event once, in order, byte for byte the same
#     as the run's file output (-o FILE alongside), nothing lost;
#  2. the server stopped between chunks of a slow pipe and started again:
#     events held before + events after + the sink's "lost" == all events,
#     no duplicate, order kept, and "connects" shows the reconnection (and
#     one more after SIGHUP, which loses nothing);
#  3. no server at all: the run neither waits nor fails, every event lost
#     and counted.
# Skipped (77) only if redis-server or redis-cli is not installed.
set -euo pipefail

bin=${1:?usage: test_redis.sh WORMWATCH PCAPS}
pcaps=${2:?usage: test_redis.sh WORMWATCH PCAPS}
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  echo "skipped: redis-server or redis-cli not installed (apt-get install redis-server)"
  exit 77
fi

dir=$(mktemp -d /tmp/ww-redis-XXXXXX)
sock=$dir/redis.sock
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
subscriber=

fail() { echo "FAIL: $*" >&2; exit 1; }
cli() { redis-cli -s "$sock" "$@"; }

start_server() {
  # Small stream nodes, so that XADD's approximate MAXLEN trims at this scale.
  redis-server --port "$port" --bind 127.0.0.1 --unixsocket "$sock" --save '' --appendonly no \
    --stream-node-max-entries 2 --daemonize yes --pidfile "$dir/redis.pid" \
    --logfile "$dir/redis.log" --dir "$dir" 3>&- # not the pipe: wormwatch must see its end
  for _ in $(seq 100); do
    [ "$(cli PING 2>/dev/null)" = PONG ] && return 0
    sleep 0.05
  done
  fail "redis-server did not start: $(tail -3 "$dir/redis.log")"
}

# Whether the process runs: a daemon that exited stays a zombie until init
# reaps it, which here can take seconds, and kill -0 still finds a zombie.
running() { # pid
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

stop_server() {
  [ -f "$dir/redis.pid" ] || return 0
  local pid
  pid=$(cat "$dir/redis.pid")
  cli SHUTDOWN NOSAVE >/dev/null 2>&1 || true
  for _ in $(seq 100); do
    running "$pid" || { rm -f "$dir/redis.pid"; return 0; }
    sleep 0.05
  done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/redis.pid"
}

cleanup() {
  [ -n "$subscriber" ] && kill "$subscriber" 2>/dev/null || true
  stop_server
  rm -rf "$dir"
}
trap cleanup EXIT

# The output's figures in the last (final stats) event of an EVE file, for one sink:
# "events_written events_lost sink_written sink_lost sink_connects".
final_figures() { # eve file, sink name
  python3 - "$1" "$2" <<'EOF'
import json, sys
last = json.loads(open(sys.argv[1], "rb").read().splitlines()[-1])
out = last["stats"]["output"]
sink = [s for s in out["sinks"] if s["name"] == sys.argv[2]]
assert len(sink) == 1, out
s = sink[0]
print(out["events_written"], out["events_lost"], s["written"], s["lost"], s["connects"])
EOF
}

# A normal run: nothing lost by the Redis sink, one connection.
check_clean_run() { # eve file, sink name
  local total w l sw sl sc
  total=$(wc -l <"$1")
  read -r w l sw sl sc < <(final_figures "$1" "$2")
  [ "$l" -eq 0 ] && [ "$sl" -eq 0 ] || fail "$2: lost events (output $l, sink $sl)"
  [ "$sc" -eq 1 ] || fail "$2: $sc connections, 1 expected"
  # The final stats event cannot count itself; some answers may still be on their way.
  [ "$sw" -le $((total - 1)) ] && [ "$w" -le $((total - 1)) ] || fail "$2: written $sw of $total"
}

start_server
runs=0

# --- 1. every mode, both transports --------------------------------------------------
for capture in conficker_lan.pcap internet_24.pcap; do
  for transport in unix tcp; do
    for mode in rpush lpush xadd publish; do
      key="ww:$transport:$mode:$capture"
      if [ "$transport" = unix ]; then
        spec="redis+unix:$sock?key=$key&mode=$mode"
      else
        spec="redis://127.0.0.1:$port/$key?mode=$mode"
      fi
      eve=$dir/eve.json got=$dir/got.txt
      rm -f "$eve"
      if [ "$mode" = publish ]; then
        redis-cli -s "$sock" --raw SUBSCRIBE "$key" >"$dir/sub.out" &
        subscriber=$!
        for _ in $(seq 100); do
          [ "$(cli PUBSUB NUMSUB "$key" | tail -1)" = 1 ] && break
          sleep 0.05
        done
      fi
      "$bin" --sensor-name redis-test -r "$pcaps/$capture" -o "$eve" -o "$spec" ||
        fail "$spec: exit $?"
      total=$(wc -l <"$eve")
      [ "$total" -ge 3 ] || fail "$capture: only $total events"
      case $mode in
        rpush) cli --raw LRANGE "$key" 0 -1 >"$got" ;;
        lpush) cli --raw LRANGE "$key" 0 -1 | tac >"$got" ;;
        xadd)
          # Each entry: its id, the field name, the event.
          cli --raw XRANGE "$key" - + | awk 'NR % 3 == 2 && $0 != "eve" {bad = 1}
                                             NR % 3 == 0 {print} END {exit bad}' >"$got" ||
            fail "$spec: a stream field is not named eve"
          ;;
        publish)
          for _ in $(seq 100); do
            [ $(($(wc -l <"$dir/sub.out") - 3)) -ge $((3 * total)) ] && break
            sleep 0.05
          done
          kill "$subscriber"
          wait "$subscriber" 2>/dev/null || true
          subscriber=
          # "subscribe KEY 1", then per message "message KEY EVENT".
          awk 'NR > 3 && (NR - 3) % 3 == 0' "$dir/sub.out" >"$got"
          ;;
      esac
      cmp -s "$got" "$eve" || fail "$spec: Redis holds $(wc -l <"$got") events, not the $total of the file"
      check_clean_run "$eve" "$spec"
      runs=$((runs + 1))
    done
  done
done
echo "ok: 4 modes x 2 transports x 2 captures: every event once, in order, byte for byte"

# XADD with MAXLEN ~ 5: the newest events kept, at least 5, trimmed at a node's edge.
key=ww:maxlen
rm -f "$dir/eve.json"
"$bin" -r "$pcaps/internet_24.pcap" -o "$dir/eve.json" \
  -o "redis+unix:$sock?key=$key&mode=xadd&maxlen=5" || fail "maxlen: exit $?"
kept=$(cli XLEN "$key")
[ "$kept" -ge 5 ] && [ "$kept" -le 7 ] || fail "maxlen=5: $kept entries kept"
cli --raw XRANGE "$key" - + | awk 'NR % 3 == 0' | cmp -s - <(tail -n "$kept" "$dir/eve.json") ||
  fail "maxlen=5: the kept entries are not the newest events"
echo "ok: xadd maxlen=5 keeps the newest $kept of $(wc -l <"$dir/eve.json")"

# An error answer (the key holds a list, XADD wants a stream) is counted lost.
# The capture comes through a pipe held open a moment after its last byte, so
# that the answers are in before the final stats event counts them: read from
# the file, the run could end before the server had said a word (and did, on a
# loaded machine).
cli RPUSH ww:wrongtype x >/dev/null
rm -f "$dir/eve.json"
{ cat "$pcaps/conficker_lan.pcap"; sleep 0.5; } |
  "$bin" -r - -o "$dir/eve.json" -o "redis+unix:$sock?key=ww:wrongtype&mode=xadd" ||
  fail "wrongtype: exit $?"
total=$(wc -l <"$dir/eve.json")
read -r w l sw sl sc < <(final_figures "$dir/eve.json" "redis+unix:$sock?key=ww:wrongtype&mode=xadd")
# Every event before the final stats one was answered with an error by then, or
# is still unanswered (then counted neither way yet).
[ "$w" -eq 0 ] && [ "$sw" -eq 0 ] && [ "$sl" -ge 1 ] && [ "$sl" -eq "$l" ] ||
  fail "error answers: output $w/$l, sink $sw/$sl"
echo "ok: error answers counted lost ($sl of $((total - 1)) before the final stats event)"

# --- 2. the server stops and comes back while events flow -----------------------------
capture=$pcaps/internet_24.pcap
size=$(stat -c %s "$capture")
key=ww:restart
spec="redis+unix:$sock?key=$key"
eve=$dir/restart.json
mkfifo "$dir/pipe"
"$bin" --sensor-name redis-test -r - -o "$eve" -o "$spec" <"$dir/pipe" 2>"$dir/err" &
ww=$!
(sleep 60; kill "$ww") >/dev/null 2>&1 3>&- & # a hung run fails, it does not hang the suite
watchdog=$!
exec 3>"$dir/pipe"

# Waits until every event so far is in Redis, and nothing more comes.
settle() {
  local last=-1 now
  for _ in $(seq 100); do
    now=$(wc -l <"$eve" 2>/dev/null || echo 0)
    if [ "$now" -gt 0 ] && [ "$now" = "$last" ] && [ "$(cli LLEN "$key")" = "$now" ]; then
      return 0
    fi
    last=$now
    sleep 0.1
  done
  fail "restart: Redis holds $(cli LLEN "$key") events, the file $(wc -l <"$eve")"
}

head -c $((size * 2 / 5)) "$capture" >&3
sleep 0.2
kill -USR1 "$ww" # a stats event, so that this part is sure to have events
settle
cli --raw LRANGE "$key" 0 -1 >"$dir/before.txt"
stop_server

# While the server is away: events (and a stats event) with nowhere to go.
# (head feeding tail, not tail feeding head: a head that stops reading would
# kill tail with SIGPIPE, and pipefail would end the test without a word.)
head -c $((size * 2 / 5 + size / 5)) "$capture" | tail -c $((size / 5)) >&3
sleep 0.2
kill -USR1 "$ww"
sleep 0.2

start_server
sleep 1.2 # the sink retries at most once a second
kill -USR1 "$ww"
sleep 0.2
kill -HUP "$ww" # awaits the answers due, then connects anew
sleep 0.3
tail -c +$((size * 2 / 5 + size / 5 + 1)) "$capture" >&3
exec 3>&-
wait "$ww" || fail "restart: exit $?"
kill "$watchdog" 2>/dev/null || true
[ ! -s "$dir/err" ] || fail "restart: $(cat "$dir/err")"

cli --raw LRANGE "$key" 0 -1 >"$dir/after.txt"
total=$(wc -l <"$eve")
before=$(wc -l <"$dir/before.txt")
after=$(wc -l <"$dir/after.txt")
read -r w l sw sl sc < <(final_figures "$eve" "$spec")
[ "$before" -gt 0 ] && [ "$after" -gt 0 ] && [ "$sl" -gt 0 ] ||
  fail "restart: before $before, after $after, lost $sl: each should be above 0"
[ $((before + after + sl)) -eq "$total" ] ||
  fail "restart: $before before + $after after + $sl lost != $total events"
[ "$l" -eq "$sl" ] || fail "restart: output lost $l, sink $sl"
[ "$sc" -eq 3 ] || fail "restart: $sc connections, 3 expected (start, after the restart, SIGHUP)"
# The file is: what the first server held, what was lost, what the second holds.
head -n "$before" "$eve" | cmp -s - "$dir/before.txt" || fail "restart: first server's events"
tail -n "$after" "$eve" | cmp -s - "$dir/after.txt" || fail "restart: second server's events"
echo "ok: restart: $before before + $after after + $sl lost = $total events, 3 connections"

# --- 3. no server ----------------------------------------------------------------------
stop_server
free_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
rm -f "$dir/eve.json"
for spec in "redis+unix:$dir/nobody.sock?key=k" "redis://127.0.0.1:$free_port/k?mode=xadd"; do
  start=$(date +%s%N)
  "$bin" -r "$pcaps/internet_24.pcap" -o "$dir/eve.json" -o "$spec" || fail "$spec: exit $?"
  ms=$((($(date +%s%N) - start) / 1000000))
  read -r w l sw sl sc < <(final_figures "$dir/eve.json" "$spec")
  [ "$ms" -lt 3000 ] || fail "$spec: took $ms ms without a server"
  [ "$sw" -eq 0 ] && [ "$sc" -eq 0 ] && [ "$sl" -eq 19 ] && [ "$l" -eq 19 ] ||
    fail "$spec: written $sw, lost $sl (output $l), connects $sc; 19 lost expected"
  rm -f "$dir/eve.json"
  echo "ok: no server at $spec: exit 0 in $ms ms, 19 of 19 events counted lost before the final one"
done
echo "all redis checks passed ($runs mode runs)"
