#!/usr/bin/env bash
# src/p2p.c against nmap's p2p-conficker script, the real client.
#
# 1. The port generator: nmap's script is run as is, with its clock replaced
#    (tests/p2p/nmap_ports.nse), for 60 addresses at 17 times (the second
#    before and the first of eight weeks, 1970 to 2100, and now); every
#    (address, time) must give nmap's week number and ports.
# 2. The wire: two network namespaces joined by a veth pair, 10.99.0.1 (the
#    scanner) and 10.99.0.2-5 (the targets, where `p2p_tool respond` plays
#    infected peers on the ports src/p2p.c computes and answers with
#    messages of ww_p2p_encode()). nmap scans the targets (-sS -sU of an
#    excluded port, so its own probes never look like the script's) with
#    p2p-conficker, checkall=1; dumpcap records it. Then, from the capture,
#    every port the script probed at each target must be one of the target's
#    four and all four must have been probed; every message nmap sent must
#    verify (and have nmap's shape), every answer too; and nmap must call
#    every target INFECTED, which it only does when it parsed our answer and
#    its checksum matched. Once with the targets' own addresses, then with
#    realip= four other addresses (the ports of an address that is not
#    there, served at 10.99.0.2).
#
# Nothing is sent outside the namespaces it creates (and their loopback).
# Needs root, nmap, dumpcap, ip: exit 77 (skipped) if not root or one is
# missing. WW_P2P_SAVE=DIR keeps the first run's capture as DIR/p2p_nmap.pcap.
# Usage: test_p2p_nmap.sh P2P_TOOL
set -euo pipefail
tool=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
nse=/usr/share/nmap/scripts/p2p-conficker.nse

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, raw sockets)"
for cmd in nmap dumpcap ip; do
  command -v "$cmd" >/dev/null || skip "$cmd is not installed"
done
[ -r "$nse" ] || skip "$nse is missing"

work=$(mktemp -d)
ns_scan=ww-p2p-scan-$$
ns_peer=ww-p2p-peer-$$
if_scan=wwp2ps$$
if_peer=wwp2pp$$
pids=()
cleanup() {
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  ip netns del "$ns_scan" 2>/dev/null || true
  ip netns del "$ns_peer" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

ip netns add "$ns_scan"
ip netns add "$ns_peer"
ip link add "$if_scan" type veth peer name "$if_peer"
ip link set "$if_scan" netns "$ns_scan"
ip link set "$if_peer" netns "$ns_peer"
ip -n "$ns_scan" addr add 10.99.0.1/24 dev "$if_scan"
for h in 2 3 4 5; do ip -n "$ns_peer" addr add "10.99.0.$h/24" dev "$if_peer"; done
for ns in "$ns_scan" "$ns_peer"; do ip -n "$ns" link set lo up; done
ip -n "$ns_scan" link set "$if_scan" up
ip -n "$ns_peer" link set "$if_peer" up

# --- 1. the generator, under a replaced clock -------------------------------------------
times=$(date +%s)
for week in -1 0 2043 2046 2047 2900 2969 6782; do
  start=$((345600 + week * 604800))
  [ "$start" -ge 1 ] || start=1
  times="$times/$((start - 1))/$start"
done
ips=$(awk 'BEGIN {
  srand(20090305); printf "10.99.0.2/10.99.0.3/10.99.0.4/10.99.0.5/0.0.0.0/255.255.255.255"
  for (i = 0; i < 54; i++) printf "/%d.%d.%d.%d", int(rand()*256), int(rand()*256), int(rand()*256), int(rand()*256)
}')
# The checks fail at once against the scanner namespace's own loopback.
ip netns exec "$ns_scan" "$here/p2p/nmap-ports.sh" "$times" "$ips" 127.0.0.1 >"$work/table.txt"
"$tool" check-table "$work/table.txt" || fail "ports differ from nmap's generator"

# --- 2. nmap on the wire ----------------------------------------------------------------
# Starts `p2p_tool respond` in the peer namespace for the BIND=PORTS_OF pairs given.
start_responder() { # run-name, pairs...
  local name=$1; shift
  ip netns exec "$ns_peer" "$tool" respond "$work/$name.ready" "$work/$name.respond" "$@" &
  pids+=($!)
  responder=$!
  for _ in $(seq 50); do [ -e "$work/$name.ready" ] && return 0; sleep 0.1; done
  fail "$name: responder did not start: $(cat "$work/$name.respond" 2>/dev/null)"
}
start_capture() { # run-name
  ip netns exec "$ns_scan" dumpcap -q -P -i "$if_scan" -f ip -w "$work/$1.pcap" 2>"$work/$1.dumpcap" &
  pids+=($!)
  capture=$!
  for _ in $(seq 50); do
    # dumpcap writes the file header once its capture is open and filtered.
    [ "$(stat -c %s "$work/$1.pcap" 2>/dev/null || echo 0)" -ge 24 ] && { sleep 0.1; return 0; }
    sleep 0.1
  done
  fail "$1: dumpcap did not start: $(cat "$work/$1.dumpcap")"
}
stop() { # pid
  kill -INT "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
# nmap's verdict for each target: every check positive.
infected_hosts() { grep -cE '([0-9]+)/\1 checks are positive: Host is likely INFECTED' "$1" || true; }

run() { # run-name, realip or "", targets, check-capture pairs...
  local name=$1 realip=$2 targets=$3; shift 3
  local args=checkall=1
  [ -z "$realip" ] || args="$args,realip=$realip"
  start_capture "$name"
  ip netns exec "$ns_scan" nmap -n -Pn -sS -sU -p T:9,U:9 --script p2p-conficker \
    --script-args "$args" -vv $targets >"$work/$name.nmap" 2>&1 || fail "$name: nmap failed"
  sleep 0.2 # the last answers reach dumpcap; SIGINT then writes what it holds
  stop "$capture"
  echo "== $name: nmap -sS -sU -p T:9,U:9 --script p2p-conficker --script-args $args $targets"
  grep -E 'Check [0-9]+ \(port|checks are positive' "$work/$name.nmap" | sed 's/^/   nmap: /'
  local status=0
  "$tool" check-capture "$work/$name.pcap" 10.99.0.1 "$@" >"$work/$name.check" || status=$?
  sed 's/^/   /' "$work/$name.check"
  [ "$status" -eq 0 ] || fail "$name: the capture does not match; responder: $(cat "$work/$name.respond")"
  local want=$#
  local got
  got=$(infected_hosts "$work/$name.nmap")
  [ "$got" -eq "$want" ] || fail "$name: nmap called $got of $want targets infected"
}

pairs=(10.99.0.2=10.99.0.2 10.99.0.3=10.99.0.3 10.99.0.4=10.99.0.4 10.99.0.5=10.99.0.5)
start_responder own "${pairs[@]}"
run own "" 10.99.0.2-5 "${pairs[@]}"
stop "$responder"
if [ -n "${WW_P2P_SAVE:-}" ]; then
  cp "$work/own.pcap" "$WW_P2P_SAVE/p2p_nmap.pcap"
  echo "saved $WW_P2P_SAVE/p2p_nmap.pcap"
fi

realips=(8.8.8.8 192.168.1.65 203.0.113.77 255.255.255.255)
for x in "${realips[@]}"; do
  start_responder "realip-$x" "10.99.0.2=$x"
  run "realip-$x" "$x" 10.99.0.2 "10.99.0.2=$x"
  stop "$responder"
done

echo "PASS: generator table and $((${#pairs[@]} + ${#realips[@]})) addresses on the wire match nmap"
