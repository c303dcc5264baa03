"""Sends a bounded burst of IPv6 packets with made-up source addresses (what a LAN host can do;
the tailnet cannot): python3 send-spoofed.py <destination> <source prefix> <count> <max seconds>
<packets per second>. Cycles TCP SYN, UDP and ICMPv6 echo; every packet has a new source, so each one
would cost tayga a pool address. Prints the number sent. The IPv6 header is built here
(IPPROTO_RAW implies IPV6_HDRINCL on Linux), checksums per RFC 8200 section 8.1."""
import ipaddress
import random
import socket
import struct
import sys
import time

destination, source_prefix, count, max_seconds, rate = (
    sys.argv[1],
    sys.argv[2],
    int(sys.argv[3]),
    float(sys.argv[4]),
    float(sys.argv[5]),
)
network = ipaddress.IPv6Network(source_prefix)
dst = ipaddress.IPv6Address(destination).packed
PROTO = {"tcp": 6, "udp": 17, "icmp": 58}


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def l4(kind: str, src: bytes, index: int) -> bytes:
    if kind == "tcp":
        body = struct.pack("!HHIIBBHHH", 40000 + index % 20000, 8080, index, 0, 5 << 4, 0x02, 1024, 0, 0)
        at = 16
    elif kind == "udp":
        body = struct.pack("!HHHH", 40000 + index % 20000, 9999, 8 + 4, 0) + b"n64e"
        at = 6
    else:
        body = struct.pack("!BBHHH", 128, 0, 0, index & 0xFFFF, 1) + b"n64e"
        at = 2
    pseudo = src + dst + struct.pack("!IxxxB", len(body), PROTO[kind])
    value = checksum(pseudo + body)
    return body[:at] + struct.pack("!H", value) + body[at + 2 :]


sender = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
start = time.monotonic()
deadline = start + max_seconds
sent = 0
kinds = ["tcp", "udp", "icmp"]
while sent < count and time.monotonic() < deadline:
    ahead = start + sent / rate - time.monotonic()
    if ahead > 0:
        time.sleep(ahead)
    kind = kinds[sent % 3]
    host = random.getrandbits(128 - network.prefixlen) | 1
    src = (network.network_address + host).packed
    payload = l4(kind, src, sent)
    header = struct.pack("!IHBB", 6 << 28, len(payload), PROTO[kind], 64) + src + dst
    try:
        sender.sendto(header + payload, (destination, 0))
    except BlockingIOError:
        time.sleep(0.001)
        continue
    sent += 1
print(sent)
