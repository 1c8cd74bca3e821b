# SPDX-License-Identifier: BSD-3-Clause
"""A small HTTPS file server for the mudgated integration test.

usage: https_server.py DIR CERT KEY PORTFILE
Serves DIR on 127.0.0.1 with TLS (CERT/KEY), on a free port written to PORTFILE. Supports
If-Modified-Since (http.server does) and If-None-Match with an ETag made of size and mtime.
Every request is logged to stderr as "METHOD PATH STATUS accept=...".
"""
import functools
import http.server
import os
import ssl
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = dict(http.server.SimpleHTTPRequestHandler.extensions_map,
                          **{".json": "application/mud+json", ".p7s": "application/pkcs7-signature"})

    def etag(self, path):
        st = os.stat(path)
        return '"%x-%x"' % (st.st_size, st.st_mtime_ns)

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isfile(path):
            tag = self.etag(path)
            if self.headers.get("If-None-Match") == tag:
                self.send_response(304)
                self.send_header("ETag", tag)
                self.end_headers()
                return None
        return super().send_head()

    def end_headers(self):
        path = self.translate_path(self.path)
        if os.path.isfile(path):
            self.send_header("ETag", self.etag(path))
        super().end_headers()

    def log_request(self, code="-", size="-"):
        sys.stderr.write("%s %s %s accept=%s\n" % (self.command, self.path, code,
                                                   self.headers.get("Accept")))
        sys.stderr.flush()


def main():
    d, cert, key, portfile = sys.argv[1:5]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                          functools.partial(Handler, directory=d))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
