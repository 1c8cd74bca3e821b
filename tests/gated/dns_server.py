# SPDX-License-Identifier: BSD-3-Clause
"""A tiny authoritative DNS server for the mudgated integration test.

usage: dns_server.py ADDR NAME N [TTL]
Answers A queries for NAME with N addresses 198.51.100.1 .. (TTL 300 or TTL), AAAA queries for
NAME with 2001:db8:cd::1 (same TTL), anything else with NXDOMAIN, over UDP and TCP. The A records
come in an order rotated by one at every query, as round-robin servers do: the same set in
another order is not a change. A UDP answer
larger than the client's EDNS0 payload size (512 without OPT) is cut and flagged TC, as real
servers do, so the client must retry over TCP. Logs each query to stderr.
"""
import socket
import struct
import sys
import threading


def qname(msg, off):
    labels = []
    while msg[off]:
        n = msg[off]
        labels.append(msg[off + 1:off + 1 + n].decode().lower())
        off += 1 + n
    return ".".join(labels), off + 1


TTL = 300
ROTATE = [0]


def respond(msg, name, n, limit):
    qid, flags = struct.unpack("!HH", msg[:4])
    q, off = qname(msg, 12)
    qtype, qclass = struct.unpack("!HH", msg[off:off + 4])
    question = msg[12:off + 4]
    if limit is None:  # UDP: the client's EDNS0 payload size, else 512
        limit = 512
        rest = msg[off + 4:]
        if len(rest) >= 11 and rest[1:3] == b"\x00\x29":
            limit = max(512, struct.unpack("!H", rest[3:5])[0])
    answers = []
    if q == name and qtype == 1:
        ROTATE[0] += 1
        for k in range(n):
            i = (k + ROTATE[0]) % n
            answers.append(struct.pack("!HHHIH", 0xc00c, 1, 1, TTL, 4) +
                           bytes([198, 51, 100 + (i + 1) // 256, (i + 1) % 256]))
    elif q == name and qtype == 28:
        answers.append(struct.pack("!HHHIH", 0xc00c, 28, 1, TTL, 16) +
                       socket.inet_pton(socket.AF_INET6, "2001:db8:cd::1"))
    rcode = 0 if q == name else 3
    tc = 0
    while 12 + len(question) + sum(len(a) for a in answers) > limit:
        answers.pop()
        tc = 0x0200
    hdr = struct.pack("!HHHHHH", qid, 0x8180 | tc | rcode, 1, len(answers), 0, 0)
    sys.stderr.write("query %s type %d: %d answers%s\n" % (q, qtype, len(answers),
                                                          " (TC)" if tc else ""))
    sys.stderr.flush()
    return hdr + question + b"".join(answers)


def serve_tcp(addr, name, n):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, 53))
    t.listen(8)
    while True:
        c, _ = t.accept()
        with c:
            hdr = c.recv(2, socket.MSG_WAITALL)
            if len(hdr) < 2:
                continue
            msg = c.recv(struct.unpack("!H", hdr)[0], socket.MSG_WAITALL)
            out = respond(msg, name, n, 65535)
            c.sendall(struct.pack("!H", len(out)) + out)


def main():
    global TTL
    addr, name, n = sys.argv[1], sys.argv[2].lower(), int(sys.argv[3])
    if len(sys.argv) > 4:
        TTL = int(sys.argv[4])
    threading.Thread(target=serve_tcp, args=(addr, name, n), daemon=True).start()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    while True:
        msg, peer = s.recvfrom(4096)
        if len(msg) >= 12:
            s.sendto(respond(msg, name, n, None), peer)


if __name__ == "__main__":
    main()
