#!/usr/bin/env bash
# Identity end to end, change of hands included. The capture is written here
# (python3, byte by byte): 10.1.5.20 gets a DHCP ACK naming it KIOSK-7 (MAC
# 02:00:00:00:00:0a), registers the NetBIOS name KIOSK7-PC, and scans TCP/445
# of six dark addresses: its alert must carry all three. Ten minutes later
# the address has been handed (DHCP ACK) to another machine (MAC ..:0b),
# which scans too: its alert must carry the new MAC and neither old name.
# Usage: test_identity_e2e.sh WORMWATCH
set -euo pipefail
ww=$1
command -v python3 >/dev/null || { echo "test_identity_e2e: skipped: no python3"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work/ident.pcap" <<'EOF'
import struct, sys

def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def ip(a): return bytes(int(x) for x in a.split("."))

def ipv4(src, dst, proto, payload, ttl=128):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0x4000, ttl, proto, 0, ip(src), ip(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload

def eth(src_mac, dst_mac, payload):
    return dst_mac + src_mac + b"\x08\x00" + payload

def udp(sport, dport, data):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data

def syn(sport, dport, seq):
    opts = bytes([2, 4, 5, 0xb4, 1, 1, 4, 2])
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 0, (5 + 2) << 4, 0x02, 65535, 0, 0) + opts

def dhcp_ack(xid, yiaddr, mac, hostname):
    b = struct.pack("!BBBBIHH4s4s4s4s", 2, 1, 6, 0, xid, 0, 0, b"\0" * 4, ip(yiaddr), b"\0" * 4, b"\0" * 4)
    b += mac + b"\0" * 10 + b"\0" * 64 + b"\0" * 128 + b"\x63\x82\x53\x63"
    b += bytes([53, 1, 5, 54, 4]) + ip("10.1.5.1") + bytes([51, 4, 0, 0, 0x0e, 0x10])
    if hostname:
        b += bytes([12, len(hostname)]) + hostname.encode()
    b += b"\xff"
    return b

def nb_encode(name, suffix):
    raw = name.ljust(15).encode() + bytes([suffix])
    return bytes([32]) + b"".join(bytes([0x41 + (c >> 4), 0x41 + (c & 15)]) for c in raw) + b"\0"

def nbns_registration(name, address):
    h = struct.pack("!HHHHHH", 0x1234, (5 << 11) | 0x0110, 1, 0, 0, 1)
    q = nb_encode(name, 0x00) + struct.pack("!HH", 0x20, 1)
    rr = b"\xc0\x0c" + struct.pack("!HHIH", 0x20, 1, 300000, 6) + struct.pack("!H", 0) + ip(address)
    return h + q + rr

server_mac = bytes.fromhex("020000000001")
mac_a, mac_b = bytes.fromhex("02000000000a"), bytes.fromhex("02000000000b")
bcast = b"\xff" * 6
frames = []
t0 = 1238371200.0  # 2009-03-30 00:00:00 UTC
frames.append((t0, eth(server_mac, mac_a, ipv4("10.1.5.1", "10.1.5.20", 17, udp(67, 68, dhcp_ack(0xabcd, "10.1.5.20", mac_a, "KIOSK-7"))))))
frames.append((t0 + 1, eth(mac_a, bcast, ipv4("10.1.5.20", "10.1.5.255", 17, udp(137, 137, nbns_registration("KIOSK7-PC", "10.1.5.20"))))))
for i in range(6):
    frames.append((t0 + 2 + i, eth(mac_a, server_mac, ipv4("10.1.5.20", "10.1.99.%d" % (10 + i), 6, syn(1100 + i, 445, 1000 + i)))))
t1 = t0 + 600
frames.append((t1, eth(server_mac, mac_b, ipv4("10.1.5.1", "10.1.5.20", 17, udp(67, 68, dhcp_ack(0xbeef, "10.1.5.20", mac_b, ""))))))
for i in range(6):
    frames.append((t1 + 2 + i, eth(mac_b, server_mac, ipv4("10.1.5.20", "10.1.98.%d" % (10 + i), 6, syn(2100 + i, 445, 5000 + i)))))

with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for ts, fr in frames:
        f.write(struct.pack("<IIII", int(ts), int((ts % 1) * 1e6), len(fr), len(fr)) + fr)
EOF
# Alerts again after 10 minutes, not an hour: the default rules' suppression shortened.
"$ww" --dump-rules | sed 's/^suppress = 1h$/suppress = 1m/' >"$work/test.rules"
"$ww" -R "$work/test.rules" -r "$work/ident.pcap" -o "$work/eve.json"
python3 - "$work/eve.json" <<'EOF'
import json, sys
alerts = [e for e in map(json.loads, open(sys.argv[1])) if e["event_type"] == "alert"]
first = [a for a in alerts if a["timestamp"].startswith("2009-03-30T00:")]
second = [a for a in alerts if a["timestamp"].startswith("2009-03-30T00:1")]
first = [a for a in first if a not in second]
assert first and second, "expected alerts before and after the hand-over: %r" % [a["timestamp"] for a in alerts]
for a in first:
    i = a["identity"]
    assert i["mac"] == "02:00:00:00:00:0a", i
    assert i["dhcp_hostname"] == "KIOSK-7", i
    assert i["netbios_name"] == "KIOSK7-PC", i
    assert "mac_seen" in i and "dhcp_hostname_seen" in i and "netbios_name_seen" in i, i
for a in second:
    i = a["identity"]
    assert i["mac"] == "02:00:00:00:00:0b", i
    assert "netbios_name" not in i and "dhcp_hostname" not in i, "old names lent to a new machine: %r" % i
stats = [e for e in map(json.loads, open(sys.argv[1])) if e["event_type"] == "stats"][-1]["stats"]
assert stats["identity"]["hand_overs"] == 1, stats["identity"]
assert stats["identity"]["dhcp_acks"] == 2 and stats["identity"]["netbios_names"] == 1, stats["identity"]
print("test_identity_e2e: ok (%d alerts before, %d after the hand-over)" % (len(first), len(second)))
EOF
