#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Traffic endpoints of the mudgate lab.

  labnet.py serve --addr A[,A...] [--tcp P,...] [--udp P,...]
      Echo servers: every TCP connection and UDP datagram gets one line back,
      "<local-addr>:<port> <peer-addr>", so a probe proves a round trip.
  labnet.py slow-https --addr A --port P --cert C --key K [--delay S]
      A TLS server that accepts, sends an HTTP header, then one body byte every
      S seconds (a slow MUD file server).
  labnet.py probe tcp|udp|icmp|icmp6 HOST [PORT] [-6] [--src A] [--sport P] [--timeout S]
      One round trip. HOST may be a name, resolved with the namespace's resolver
      (A records, AAAA with -6).
      Exit 0: answered; 1: no answer within the timeout (blocked); 3: refused or
      another error (printed).
  labnet.py forward --listen A --port P [--any-port] --netns NAME --to A:P [--port-file F]
      A TCP relay from the namespace it starts in to another one: it listens on A:P
      (a free port instead when P is taken and --any-port is given; the port it got
      is written to F), then enters network namespace NAME (/run/netns/NAME) and
      connects every accepted connection to A:P there. The lab uses it to make
      mudgated's NETCONF server (management namespace) reachable from the host.
"""
import argparse
import ctypes
import errno
import os
import selectors
import socket
import ssl
import subprocess
import sys
import threading
import time


IP_FREEBIND = 15  # linux/in.h; not exported by the socket module


def _family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def _tcp_client(conn, tag):
    try:
        conn.settimeout(5)
        conn.recv(256)
        peer = conn.getpeername()[0]
        conn.sendall(("%s %s\n" % (tag, peer)).encode())
    except OSError:
        pass
    finally:
        conn.close()


def serve(args):
    sel = selectors.DefaultSelector()
    socks = []
    for addr in [a for a in args.addr.split(",") if a]:
        fam = _family(addr)
        for port in [int(p) for p in args.tcp.split(",") if p]:
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            # a probe may open connections from this address and port (--sport)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.setsockopt(socket.IPPROTO_IP, IP_FREEBIND, 1)
            s.bind((addr, port))
            s.listen(64)
            sel.register(s, selectors.EVENT_READ, ("tcp", "%s:%d" % (addr, port)))
            socks.append(s)
        for port in [int(p) for p in args.udp.split(",") if p]:
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.setsockopt(socket.IPPROTO_IP, IP_FREEBIND, 1)
            s.bind((addr, port))
            sel.register(s, selectors.EVENT_READ, ("udp", "%s:%d" % (addr, port)))
            socks.append(s)
    while True:
        for key, _ in sel.select():
            kind, tag = key.data
            if kind == "tcp":
                try:
                    conn, _ = key.fileobj.accept()
                except OSError:
                    continue
                threading.Thread(target=_tcp_client, args=(conn, tag), daemon=True).start()
            else:
                try:
                    data, peer = key.fileobj.recvfrom(2048)
                    key.fileobj.sendto(("%s %s\n" % (tag, peer[0])).encode(), peer)
                except OSError:
                    pass


def _slow_client(conn, ctx, delay):
    try:
        conn.settimeout(30)
        tls = ctx.wrap_socket(conn, server_side=True)
        tls.recv(4096)
        tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/mud+json\r\n"
                    b"Content-Length: 100000\r\n\r\n")
        for _ in range(100000):
            time.sleep(delay)
            tls.sendall(b" ")
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()


def slow_https(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    s = socket.socket(_family(args.addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IP, IP_FREEBIND, 1)
    s.bind((args.addr, args.port))
    s.listen(16)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=_slow_client, args=(conn, ctx, args.delay), daemon=True).start()


def _resolve(host, proto, family):
    fam = socket.AF_INET6 if family == 6 or proto == "icmp6" else socket.AF_INET
    infos = socket.getaddrinfo(host, None, fam, socket.SOCK_DGRAM)
    return infos[0][4][0]


def probe(args):
    try:
        addr = _resolve(args.host, args.proto, args.family)
    except OSError as e:
        print("resolve %s: %s" % (args.host, e))
        return 3
    if args.proto in ("icmp", "icmp6"):
        cmd = ["ping", "-n", "-c", "1", "-W", str(max(1, int(args.timeout + 0.999))), addr]
        if args.src:
            cmd[1:1] = ["-I", args.src]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        print(r.stdout.decode(errors="replace").strip().splitlines()[-1:] and
              r.stdout.decode(errors="replace").strip().splitlines()[-1] or "")
        return 0 if r.returncode == 0 else 1
    fam = _family(addr)
    kind = socket.SOCK_STREAM if args.proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(fam, kind)
    s.settimeout(args.timeout)
    try:
        if args.src or args.sport:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            s.bind((args.src or ("::" if fam == socket.AF_INET6 else "0.0.0.0"), args.sport))
        if kind == socket.SOCK_STREAM:
            s.connect((addr, args.port))
            s.sendall(b"probe\n")
            data = s.recv(256)
        else:
            # connected: the answer goes to this socket even when a server of the same
            # namespace is bound to the same address and port
            s.connect((addr, args.port))
            s.send(b"probe\n")
            data = s.recv(256)
        if not data:
            print("%s %s:%d: closed without an answer" % (args.proto, addr, args.port))
            return 3
        print(data.decode(errors="replace").strip())
        return 0
    except socket.timeout:
        print("%s %s:%d: no answer in %.1fs" % (args.proto, addr, args.port, args.timeout))
        return 1
    except OSError as e:
        print("%s %s:%d: %s" % (args.proto, addr, args.port, e.strerror or e))
        return 3
    finally:
        s.close()


CLONE_NEWNET = 0x40000000
FORWARD_MAX = 32  # concurrent relayed connections (mudgated takes 16 sessions)


def _setns(path):
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if hasattr(os, "setns"):
            os.setns(fd, CLONE_NEWNET)
        else:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.setns(fd, CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, os.strerror(e), path)
    finally:
        os.close(fd)


def _copy(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def _relay(conn, peer, target, slots):
    up = None
    try:
        try:
            up = socket.create_connection(target, timeout=5)
        except OSError as e:
            print("forward: %s: connect %s:%d: %s" % (peer, target[0], target[1],
                                                       e.strerror or e), flush=True)
            return
        for s in (conn, up):
            s.settimeout(None)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        back = threading.Thread(target=_copy, args=(up, conn), daemon=True)
        back.start()
        _copy(conn, up)
        back.join()
    finally:
        conn.close()
        if up:
            up.close()
        slots.release()


def forward(args):
    host, _, port = args.to.rpartition(":")
    target = (host.strip("[]"), int(port))
    ls = socket.socket(_family(args.listen), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        ls.bind((args.listen, args.port))
    except OSError as e:
        if e.errno != errno.EADDRINUSE or not args.any_port:
            print("forward: %s:%d: %s" % (args.listen, args.port, e.strerror), flush=True)
            return 1
        ls.bind((args.listen, 0))
    ls.listen(16)
    bound = ls.getsockname()[1]
    # the listening socket stays in this namespace; every socket made from here on is in
    # NAME's (no thread exists yet: they all inherit it)
    try:
        _setns("/run/netns/" + args.netns)
    except OSError as e:
        print("forward: enter namespace %s: %s" % (args.netns, e.strerror), flush=True)
        return 1
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % bound)
        os.rename(args.port_file + ".tmp", args.port_file)
    print("forward: %s:%d -> %s:%d in namespace %s" % (args.listen, bound, target[0],
                                                         target[1], args.netns), flush=True)
    slots = threading.BoundedSemaphore(FORWARD_MAX)
    while True:
        try:
            conn, peer = ls.accept()
        except OSError:
            continue
        if not slots.acquire(blocking=False):
            print("forward: %s: %d connections already, refused" % (peer[0], FORWARD_MAX),
                  flush=True)
            conn.close()
            continue
        threading.Thread(target=_relay, args=(conn, "%s:%d" % peer[:2], target, slots),
                         daemon=True).start()


def main():
    p = argparse.ArgumentParser(prog="labnet.py")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--addr", required=True)
    s.add_argument("--tcp", default="")
    s.add_argument("--udp", default="")
    s = sub.add_parser("slow-https")
    s.add_argument("--addr", required=True)
    s.add_argument("--port", type=int, default=443)
    s.add_argument("--cert", required=True)
    s.add_argument("--key", required=True)
    s.add_argument("--delay", type=float, default=5.0)
    s = sub.add_parser("probe")
    s.add_argument("proto", choices=["tcp", "udp", "icmp", "icmp6"])
    s.add_argument("host")
    s.add_argument("port", type=int, nargs="?", default=0)
    s.add_argument("--src", default="")
    s.add_argument("--sport", type=int, default=0)
    s.add_argument("--timeout", type=float, default=2.0)
    s.add_argument("-6", dest="family", action="store_const", const=6, default=4)
    s = sub.add_parser("forward")
    s.add_argument("--listen", default="127.0.0.1")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--any-port", action="store_true")
    s.add_argument("--netns", required=True)
    s.add_argument("--to", required=True)
    s.add_argument("--port-file", default="")
    a = p.parse_args()
    if a.cmd == "forward":
        sys.exit(forward(a))
    if a.cmd == "serve":
        serve(a)
    elif a.cmd == "slow-https":
        slow_https(a)
    else:
        sys.exit(probe(a))


if __name__ == "__main__":
    main()
