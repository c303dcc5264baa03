"""Sends one bare IPv6 TCP segment with the given flags (no handshake, no socket state):
python3 send-tcp-flags.py <ipv6> <port> <flags, e.g. SF for SYN+FIN>. The kernel fills in the
checksum (IPV6_CHECKSUM). Used to send what conntrack calls invalid through the relay."""
import socket
import struct
import sys

FLAGS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20}

address, port, flags = sys.argv[1], int(sys.argv[2]), sys.argv[3]
bits = sum(FLAGS[flag] for flag in flags)
segment = struct.pack("!HHIIBBHHH", 40123, port, 1000, 0, 5 << 4, bits, 1024, 0, 0)
sender = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_TCP)
sender.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_CHECKSUM, 16)
sender.sendto(segment, (address, 0))
