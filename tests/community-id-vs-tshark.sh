#!/bin/sh
# wormwatch's Community IDs must equal Wireshark's, an independent
# implementation of the spec: compares them for every TCP SYN to 445/139 and
# every UDP/137 packet (IPv4, not quoted inside ICMP) of the given captures,
# once per distinct (src, dst, proto, sport, dport), both directions of a flow
# included so the endpoint ordering is checked too.
# Usage: community-id-vs-tshark.sh WORMWATCH_ID_TOOL PCAP...
# Exit: 0 all equal; 1 a difference, a tshark failure or nothing to compare;
# 77 tshark is not installed (ctest reports the test as skipped).
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 WORMWATCH_ID_TOOL PCAP..." >&2
  exit 1
fi
tool=$1
shift
if ! command -v tshark >/dev/null 2>&1; then
  echo "tshark is not installed: skipped"
  exit 77
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

filter='ip && !icmp && ((tcp.flags.syn == 1 && tcp.flags.ack == 0 && (tcp.dstport == 139 || tcp.dstport == 445)) || udp.port == 137)'
for pcap in "$@"; do
  # The Community ID dissector is off by default; its seed must match ours (0).
  if ! tshark -n -r "$pcap" -o communityid.seed:0 --enable-protocol communityid -Y "$filter" \
       -T fields -E separator=/t -E occurrence=f -e communityid -e ip.src -e ip.dst -e ip.proto \
       -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport \
       >>"$work/fields" 2>"$work/tshark.err"; then
    echo "tshark failed on $pcap:" >&2
    cat "$work/tshark.err" >&2
    exit 1
  fi
done

# "SRC DST PROTO SPORT DPORT TSHARK_ID", one line per distinct tuple; a TCP
# packet leaves the UDP port fields empty and the other way round.
awk -F'\t' '{ id = ($1 == "" ? "(none)" : $1); print $2, $3, $4, $5 $7, $6 $8, id }' \
  "$work/fields" | sort -u >"$work/tshark"
flows=$(wc -l <"$work/tshark")
if [ "$flows" -eq 0 ]; then
  echo "tshark found no TCP SYN to 445/139 or UDP/137 packet in: $*" >&2
  exit 1
fi

cut -d' ' -f1-5 "$work/tshark" | "$tool" >"$work/ours"
if [ "$(wc -l <"$work/ours")" -ne "$flows" ]; then
  echo "$tool answered $(wc -l <"$work/ours") lines for $flows flows" >&2
  exit 1
fi

# Columns: the tuple, tshark's ID, ours.
paste -d' ' "$work/tshark" "$work/ours" >"$work/both"
if ! awk '$6 != $7 { print "differs: " $1 ":" $4 " -> " $2 ":" $5 " proto " $3 \
                       ": tshark " $6 ", wormwatch " $7; bad++ }
          END { exit bad > 0 }' "$work/both" >&2; then
  echo "FAIL: Community IDs differ from tshark's (of $flows flows compared)" >&2
  exit 1
fi
ids=$(cut -d' ' -f6 "$work/tshark" | sort -u | wc -l)
echo "$flows flows (tuples, $ids distinct Community IDs) from $# captures: all equal to tshark's"
