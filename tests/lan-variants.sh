#!/bin/sh
# The LAN captures' promise holds for any capture of their classes, not only
# the committed ones: each story (monitoring polls, logon scripts, printers,
# laptops, each with a real scanner) told again with other seeds must flag
# exactly its expected sources: every scanner, and none of the hosts whose
# failed SMB contacts are everyday business.
#
#   tests/lan-variants.sh WWGEN WORMWATCH [SEEDS]
set -eu
wwgen=$1 wormwatch=$2 seeds=${3:-16}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
checked=0 failed=0
seed=1
while [ "$seed" -le "$seeds" ]; do
  for name in lan_monitor.pcap lan_logon.pcap lan_printer.pcap lan_laptop.pcap; do
    "$wwgen" --reseed "$seed" "$dir" "$name" >/dev/null
    # jq-free: the expect object's keys, and each alert's src_ip.
    want=$(sed -n '/"expect": {/,/^  },/p' "$dir/$name.truth.json" |
           sed -n -E 's/^    "([0-9.]+)": .*/\1/p' | sort -u | tr '\n' ' ')
    got=$("$wormwatch" -r "$dir/$name" 2>/dev/null | grep '"event_type":"alert"' |
          sed -E 's/.*"src_ip":"([^"]*)".*/\1/' | sort -u | tr '\n' ' ')
    if [ "$got" != "$want" ]; then
      echo "FAIL $name seed $seed: flagged '${got:--}', expected '$want'"
      failed=$((failed + 1))
    fi
    checked=$((checked + 1))
  done
  seed=$((seed + 1))
done
echo "lan variants: $checked captures, $failed failed"
[ "$failed" -eq 0 ]
