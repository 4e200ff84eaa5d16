#!/usr/bin/env python3
"""Writes tests/ident_payloads.h and the seeds fuzz/corpus/dhcp, fuzz/corpus/nbname
from single frames of the captures in pcaps/real/ (their UDP payloads, by tshark).

Run it from the top of the tree (needs tshark); commit the result.
"""
import subprocess

R = "pcaps/real/"
SV = "sv_smb2-ntlmssp-negotiateflags.pcap"
ITEMS = [
    ("dhcp_request_133", SV, 21, "DHCPREQUEST from 00:0c:29:61:f5:5f, host name DESKTOP-V1FA0UQ", "dhcp"),
    ("dhcp_ack_133", SV, 22, "DHCPACK of 192.168.199.133 to 00:0c:29:61:f5:5f (no host name)", "dhcp"),
    ("dhcp_discover_132", SV, 302, "DHCPDISCOVER from 00:0c:29:03:df:ad, host name DESKTOP-2AEFM7G", "dhcp"),
    ("dhcp_request_132", SV, 334, "DHCPREQUEST of 192.168.199.132 from 00:0c:29:03:df:ad, host name DESKTOP-2AEFM7G", "dhcp"),
    ("dhcp_ack_132", SV, 335, "DHCPACK of 192.168.199.132 to 00:0c:29:03:df:ad", "dhcp"),
    ("nbns_reg_desktop_00", SV, 25, "registration DESKTOP-V1FA0UQ<00> unique, 192.168.199.133", "nbname"),
    ("nbns_reg_workgroup_00", SV, 26, "registration WORKGROUP<00> group, 192.168.199.133", "nbname"),
    ("nbns_reg_desktop_20", SV, 65, "registration DESKTOP-V1FA0UQ<20> unique, 192.168.199.133", "nbname"),
    ("nbns_reg_workgroup_1e", SV, 83, "registration WORKGROUP<1e> group, 192.168.199.133", "nbname"),
    ("nbns_resp_gunnar", "ndpi_netbios.pcap", 69, "positive query response GUNNAR<00> unique, 10.0.4.24", "nbname"),
    ("nbns_resp_guru", "ndpi_netbios.pcap", 107, "positive query response GURU<00> unique, 10.0.5.1", "nbname"),
    ("nbns_nbstat_gunnar", "ndpi_netbios.pcap", 55, "node status response (type NBSTAT) from 10.0.4.24: no NB address record", "nbname"),
    ("nbns_query_xstream", "ndpi_netbios.pcap", 1, "broadcast name query XSTREAM_HY<00> from 10.0.4.131", "nbname"),
    ("nbns_resp_dc_1c", "elc_chip_host_signin.pcap", 56, "positive query response PICKLESWORTH<1c> group, 192.168.1.195", "nbname"),
    ("nbns_resp_chip", "elc_chip_host_signin.pcap", 65, "positive query response CHIP_DOUGLAS-PC<00> unique, 192.168.1.46", "nbname"),
]

out = [
    "/*",
    " * Real DHCP and NBNS payloads for test_dhcp, test_nbname and test_identity:",
    " * the UDP payloads of single frames of the captures in pcaps/real/, taken with",
    " *   tshark -r pcaps/real/FILE -Y frame.number==N -T fields -e udp.payload",
    " * (the captures' sources are in pcaps/real/SOURCES.md). The fuzz seeds",
    " * fuzz/corpus/dhcp and fuzz/corpus/nbname are the same bytes. Written by",
    " * tests/gen/ident_payloads.py.",
    " */",
    "#ifndef WW_TEST_IDENT_PAYLOADS_H",
    "#define WW_TEST_IDENT_PAYLOADS_H",
    "",
    "#include <stdint.h>",
    "",
]
for name, capture, frame, what, kind in ITEMS:
    text = subprocess.run(["tshark", "-r", R + capture, "-Y", "frame.number==%d" % frame,
                           "-T", "fields", "-e", "udp.payload"],
                          capture_output=True, text=True, check=True).stdout.strip()
    payload = bytes.fromhex(text)
    with open("fuzz/corpus/%s/%s" % (kind, name), "wb") as f:
        f.write(payload)
    out.append("/* %s frame %d (%d bytes): %s */" % (capture, frame, len(payload), what))
    out.append("static const uint8_t %s[] = {" % name)
    for i in range(0, len(payload), 12):
        out.append("    " + ", ".join("0x%02x" % b for b in payload[i:i + 12]) + ",")
    out.append("};")
    out.append("")
out.append("#endif")
with open("tests/ident_payloads.h", "w") as f:
    f.write("\n".join(out) + "\n")
