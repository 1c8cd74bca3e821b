# SPDX-License-Identifier: BSD-3-Clause
"""A steady packet stream through mudgate-dp, for the restart-without-a-gap check.

usage: stream.py TX_IF RX_IF SRC_MAC DST_IP ALLOWED_PORT DENIED_PORT SECONDS INTERVAL READY_FILE

Every INTERVAL seconds, for SECONDS, sends from TX_IF (the device side) two TCP SYNs from
SRC_MAC / 192.0.2.99 to DST_IP: one to ALLOWED_PORT (source port 40000) and one to DENIED_PORT
(source port 40001), each carrying a sequence number. Captures on RX_IF (the uplink side) and
prints one line: "sent N allowed A denied D lost L", where A and D count distinct sequence
numbers that came through and L = N - A. Writes READY_FILE once the capture runs.
"""
import socket
import struct
import sys
import threading
import time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def frame(src_mac, src_ip, dst_ip, sport, dport, seq):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x02, 1024, 0, 0)
    pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), seq & 0xffff, 0, 64, 6, 0,
                     src_ip, dst_ip)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    dst_mac = bytes.fromhex("02005e1000fe")
    return dst_mac + src_mac + b"\x08\x00" + ip + tcp


def main():
    tx_if, rx_if, mac, dst = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    allowed, denied = int(sys.argv[5]), int(sys.argv[6])
    seconds, interval, ready = float(sys.argv[7]), float(sys.argv[8]), sys.argv[9]
    src_mac = bytes.fromhex(mac.replace(":", ""))
    src_ip, dst_ip = socket.inet_aton("192.0.2.99"), socket.inet_aton(dst)
    got = {40000: set(), 40001: set()}
    stop = threading.Event()

    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    rx.bind((rx_if, 0))
    rx.settimeout(0.2)

    def capture():
        while not stop.is_set():
            try:
                f = rx.recv(2048)
            except socket.timeout:
                continue
            if len(f) < 54 or f[23] != 6 or f[26:30] != src_ip or f[30:34] != dst_ip:
                continue
            sport, _, seq = struct.unpack("!HHI", f[34:42])
            if sport in got:
                got[sport].add(seq)

    t = threading.Thread(target=capture)
    t.start()
    open(ready, "w").close()
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    tx.bind((tx_if, 0))
    n = 0
    end = time.monotonic() + seconds
    next_at = time.monotonic()
    while time.monotonic() < end:
        n += 1
        tx.send(frame(src_mac, src_ip, dst_ip, 40000, allowed, n))
        tx.send(frame(src_mac, src_ip, dst_ip, 40001, denied, n))
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))
    time.sleep(0.5)  # what is still in flight
    stop.set()
    t.join()
    a, d = len(got[40000]), len(got[40001])
    print("sent %d allowed %d denied %d lost %d" % (n, a, d, n - a))


if __name__ == "__main__":
    main()
