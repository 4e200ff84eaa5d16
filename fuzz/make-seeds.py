#!/usr/bin/env python3
"""Writes the committed seed corpora in fuzz/corpus/ from the bundled captures.

decode/   one input per distinct kind of frame (link, IP protocol, TCP flags,
          ports) in pcaps/*.pcap: [link byte][frame], and the same frame cut
          to 54, 64 and 68 bytes with the snap-length bit set (see fuzz_decode.c)
pipeline/ each bundled classic pcap cut to its first 64 packets
rules/    rules/default.rules and one file per rule type and per kind of error

Run it from the top of the tree after changing the captures; commit the result.
"""
import os, struct, glob

LINKS = {1: 0, 113: 1, 276: 2, 101: 3, 12: 3, 14: 3, 228: 3, 0: 4, 108: 5}
out = "fuzz/corpus"

def records(path):
    d = open(path, "rb").read()
    if len(d) < 24:
        return None, []
    magic = d[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return None, []
    linktype = struct.unpack(e + "I", d[20:24])[0]
    recs, pos = [], 24
    while pos + 16 <= len(d):
        caplen = struct.unpack(e + "I", d[pos + 8:pos + 12])[0]
        if pos + 16 + caplen > len(d):
            break
        recs.append((d[pos:pos + 16], d[pos + 16:pos + 16 + caplen]))
        pos += 16 + caplen
    return (d[:24], linktype), recs

def kind(frame):
    # A coarse signature: enough to keep one frame of each shape.
    return (len(frame) > 40 and frame[12:14], frame[23:24] if len(frame) > 23 else b"",
            frame[47:48] if len(frame) > 47 else b"", frame[36:38] if len(frame) > 37 else b"")

for sub in ("decode", "pipeline", "rules"):
    os.makedirs(os.path.join(out, sub), exist_ok=True)

for path in sorted(glob.glob("pcaps/*.pcap")):
    head, recs = records(path)
    if head is None or head[1] not in LINKS:
        continue
    link = LINKS[head[1]]
    name = os.path.basename(path)[:-5]
    seen = {}
    for _, frame in recs:
        seen.setdefault(kind(frame), frame)
    for i, frame in enumerate(list(seen.values())[:24]):
        open(f"{out}/decode/{name}-{i:02d}", "wb").write(bytes([link]) + frame)
        if i < 4:
            for snap in (54, 64, 68):
                if len(frame) > snap:
                    open(f"{out}/decode/{name}-{i:02d}-cut{snap}", "wb").write(
                        bytes([link | 0x80]) + frame[:snap])
    with open(f"{out}/pipeline/{name}-64.pcap", "wb") as f:
        f.write(head[0])
        for hdr, frame in recs[:64]:
            f.write(hdr + frame)

rules = open("rules/default.rules").read()
open(f"{out}/rules/default.rules", "w").write(rules)
one = {
    "count": "[rule 1]\nname = n\nproto = tcp\nport = 445\ncount = failed\nthreshold = 3\nwindow = 1m\n",
    "sequential": "[rule 2]\nname = s\ntype = sequential\nproto = tcp\nport = 139\ntheta0 = 0.8\ntheta1 = 0.2\n",
    "nbns": "[rule 3]\nname = u\nproto = udp\nport = 137\ncount = all\nthreshold = 10\nwindow = 1m\n",
    "global": "[global]\nhome_nets = 10.0.0.0/8\nmax_memory = 2M\nattempt_timeout = 500ms\n",
    "bad-key": "[global]\nno_such_key = 1\n",
    "bad-section": "[rule x\nname = n\n",
    "bad-number": "[rule 4]\nproto = tcp\nport = 99999\n",
    "bad-prefix": "[global]\nhome_nets = 10.0.0.0/33\n",
}
for n, text in one.items():
    open(f"{out}/rules/{n}.rules", "w").write(text)
