#!/usr/bin/env bash
# Prints the Conficker.C ports nmap's p2p-conficker computes, one line per
# (address, time):   ADDRESS UNIX_TIME WEEK TCP_PORTS UDP_PORTS
# where WEEK is the seed nmap's debug output says it used and the port lists
# are comma-separated and sorted (nmap prints them in hash order, and one
# port when a weekly port equals the fixed one).
# Usage: nmap-ports.sh "T1/T2/..." "IP1/IP2/..." [TARGET]
# TARGET (default 127.0.0.1) should refuse TCP and UDP at once; nothing but
# failed connections is sent to it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
times=$1 ips=$2 target=${3:-127.0.0.1}
nmap -n -Pn -sn --script "$here/nmap_ports.nse" -d \
  --script-args "ww.times=$times,ww.ips=$ips" "$target" 2>&1 |
  awk '
    /Conficker: Generating ports based on ip/ {
      s = $0; sub(/.*seed \(/, "", s); sub(/\).*/, "", s); seeds[++nseed] = s
    }
    function flush() {
      if (cur == "") return
      printf "%s %s %s %s\n", cur, seeds[++used], join(tcp), join(udp)
      delete tcp; delete udp; cur = ""
    }
    function join(set,   n, i, j, k, a, out) {
      n = 0; for (k in set) a[++n] = k + 0
      for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { k = a[j]; a[j] = a[j-1]; a[j-1] = k }
      out = ""; for (i = 1; i <= n; i++) out = out (i > 1 ? "," : "") a[i]
      return out == "" ? "-" : out
    }
    /WW T=/ {
      flush(); t = $0; sub(/.*T=/, "", t); sub(/ .*/, "", t)
      ip = $0; sub(/.*IP=/, "", ip); sub(/[ \t].*/, "", ip); cur = ip " " t
    }
    /Check [0-9]+ \(port [0-9]+\/tcp\)/ { p = $0; sub(/.*port /, "", p); sub(/\/.*/, "", p); tcp[p] = 1 }
    /Check [0-9]+ \(port [0-9]+\/udp\)/ { p = $0; sub(/.*port /, "", p); sub(/\/.*/, "", p); udp[p] = 1 }
    END { flush(); if (used != nseed) { print "nmap-ports.sh: " nseed " seeds for " used " blocks" > "/dev/stderr"; exit 1 } }'
