"""Anonymous public serving: GET/HEAD of public objects on the S3 endpoint and on the public
endpoint ([public] listen), alias hosts with a path prefix, content-addressed /blobs/<sha256>
URLs and their lifetime, redirect mode, Range and conditional requests, keep-alive and
pipelining, the content policy for unsafe types, immediate cache invalidation, hostile request
targets, and a few hundred concurrent keep-alive connections.

Everything is driven with raw HTTP (http.client, or a small pipelining client below) over
loopback; uploads and ACL changes go through boto3 as a tenant would.
"""

import asyncio
import email.utils
import http.client
import random
import socket
import threading
import time

import herd_harness as h
from herd_harness import HerdTestCase

TIMEOUT = 30.0
ALIAS_HOST = "media.test"
ALIAS_PREFIX = "/alice"
ALIAS_BUCKET = "media"
UNSAFE_TYPES = ("text/html", "text/html; charset=utf-8", "TEXT/HTML", "image/svg+xml",
                "application/javascript", "text/javascript", "application/xml", "text/xml",
                "application/xhtml+xml", "application/pdf", "")
SAFE_TYPES = ("image/png", "image/jpeg", "video/mp4", "audio/mpeg", "image/webp; q=1")


def blob_bytes(seed, size):
    return random.Random(seed).randbytes(size)


# ---------------------------------------------------------------------------------------------
# A minimal HTTP/1.1 client that can pipeline: requests are written back-to-back on one socket
# and the responses are parsed from one buffered reader, in order.

class Resp:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.header_list = headers                       # [(lower name, value)] as received
        self.headers = {k: v for k, v in headers}        # last value wins
        self.body = body

    def all(self, name):
        return [v for k, v in self.header_list if k == name]

    def __repr__(self):
        return "<Resp %d %s %r body=%d bytes>" % (self.status, self.reason, self.headers, len(self.body))


def build_request(method, target, host, headers=None, body=b""):
    lines = ["%s %s HTTP/1.1" % (method, target), "Host: %s" % host]
    for k, v in (headers or {}).items():
        lines.append("%s: %s" % (k, v))
    if body:
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def read_response(reader, method):
    """Parses one response from a binary file object (socket.makefile('rb'))."""
    line = reader.readline(65537)
    if not line:
        raise ConnectionError("connection closed before a response")
    parts = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
        raise AssertionError("bad status line %r" % line)
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    headers = []
    for _ in range(200):
        hl = reader.readline(65537)
        if hl in (b"\r\n", b"\n", b""):
            break
        name, _, value = hl.decode("latin-1").partition(":")
        headers.append((name.strip().lower(), value.strip()))
    else:
        raise AssertionError("too many header lines")
    hd = {k: v for k, v in headers}
    body = b""
    if method == "HEAD" or status in (204, 304) or status < 200:
        pass
    elif "content-length" in hd:
        n = int(hd["content-length"])
        body = reader.read(n)
        if len(body) != n:
            raise AssertionError("short body: %d of %d bytes" % (len(body), n))
    elif hd.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        for _ in range(1 << 20):
            size = int(reader.readline(1024).split(b";")[0].strip(), 16)
            if size == 0:
                reader.readline(1024)
                break
            chunks.append(reader.read(size))
            reader.readline(16)
        body = b"".join(chunks)
    else:
        body = reader.read()
    return Resp(status, reason, headers, body)


class Pipe:
    """One keep-alive connection; send() writes raw request bytes, recv() parses a response."""

    def __init__(self, port, timeout=TIMEOUT):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.reader = self.sock.makefile("rb")
        self.port = port

    def send(self, data):
        self.sock.sendall(data)

    def recv(self, method="GET"):
        return read_response(self.reader, method)

    def request(self, method, target, host=None, headers=None):
        self.send(build_request(method, target, host or "127.0.0.1:%d" % self.port, headers))
        return self.recv(method)

    def closed_by_peer(self, wait=2.0):
        """True when the server closed the connection (EOF) within `wait` seconds."""
        self.sock.settimeout(wait)
        try:
            return self.reader.read(1) == b""
        except (socket.timeout, TimeoutError):
            return False
        except ConnectionResetError:
            return True

    def close(self):
        try:
            self.reader.close()
        finally:
            self.sock.close()


def http_get(port, method, target, headers=None, timeout=TIMEOUT):
    """One request with http.client on a fresh connection; returns a Resp."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, target, headers=headers or {})
        r = conn.getresponse()
        body = r.read()
        return Resp(r.status, r.reason, [(k.lower(), v) for k, v in r.getheaders()], body)
    finally:
        conn.close()


def wait_for_port(port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def public_config(port, object_urls="serve", redirect_base="", redirect_status=302):
    return ('[public]\nlisten = "127.0.0.1:%d"\nobject_urls = "%s"\nredirect_base = "%s"\n'
            'redirect_status = %d\n\n[[public.alias]]\nhost = "%s%s"\nbucket = "%s"\n'
            % (port, object_urls, redirect_base, redirect_status, ALIAS_HOST, ALIAS_PREFIX,
               ALIAS_BUCKET))


class PublicTestBase(HerdTestCase):
    """A server with a public endpoint; `self.pub` is its port, `self.s3port` the S3 one."""

    TENANTS = ("alice", "bob")
    OBJECT_URLS = "serve"
    REDIRECT_BASE = ""
    REDIRECT_STATUS = 302

    @classmethod
    def setUpClass(cls):
        cls.pub = h.free_port()
        cls.SERVER_CONFIG = public_config(cls.pub, cls.OBJECT_URLS, cls.REDIRECT_BASE, cls.REDIRECT_STATUS)
        super().setUpClass()
        if not wait_for_port(cls.pub):
            raise RuntimeError("public endpoint not listening on %d\n%s" % (cls.pub, cls.server.log_tail()))
        cls.s3port = cls.server.port

    # -- helpers --

    def new_bucket(self, tenant="alice", acl=None, name=None):
        name = name or self.unique_bucket("pub")
        s3 = self.client(tenant)
        s3.create_bucket(Bucket=name)
        if acl:
            s3.put_bucket_acl(Bucket=name, ACL=acl)
        return name

    def put(self, bucket, key, data, tenant="alice", acl="public-read", content_type="image/png", **extra):
        kwargs = dict(Bucket=bucket, Key=key, Body=data, **extra)
        if acl:
            kwargs["ACL"] = acl
        if content_type is not None:
            kwargs["ContentType"] = content_type
        return self.client(tenant).put_object(**kwargs)

    def get(self, port, method, target, headers=None):
        return http_get(port, method, target, headers)

    def both(self, method, bucket, key, headers=None):
        """The same anonymous request on the S3 endpoint and on the public endpoint."""
        path = h.object_path(bucket, key)
        return [("s3", self.get(self.s3port, method, path, headers)),
                ("public", self.get(self.pub, method, path, headers))]

    def assertError(self, r, status, code=None, where=""):
        detail = "%s: %s %s %r" % (where, r.status, r.reason, r.body[:300])
        self.assertEqual(r.status, status, detail)
        if code is not None and r.body:
            got, _msg = h.parse_error(r.body)
            self.assertEqual(got, code, detail)

    def assertPublicHeaders(self, r, where=""):
        self.assertEqual(r.headers.get("x-content-type-options"), "nosniff", "%s %r" % (where, r.headers))
        self.assertEqual(r.headers.get("access-control-allow-origin"), "*", "%s %r" % (where, r.headers))

    def assertServes(self, bucket, key, data, where_ports=None):
        for where, port in where_ports or (("s3", self.s3port), ("public", self.pub)):
            r = self.get(port, "GET", h.object_path(bucket, key))
            self.assertEqual(r.status, 200, "%s: %r %r" % (where, r, r.body[:200]))
            self.assertTrue(r.body == data, "%s: body differs (%d vs %d bytes)" % (where, len(r.body), len(data)))

    def blob_url(self, data, ext=""):
        return "/blobs/" + h.sha256_hex(data) + ext


# ---------------------------------------------------------------------------------------------

class PublicServeTest(PublicTestBase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        alice = cls.server.client(cls.tenants["alice"])
        cls.bucket = "pubserve-main"
        alice.create_bucket(Bucket=cls.bucket)
        cls.data = blob_bytes(1, 300_000 + 7)
        cls.big = blob_bytes(2, 6 * 1024 * 1024 + 13)
        cls.key = "photos/2024/cat picture ü.png"
        alice.put_object(Bucket=cls.bucket, Key=cls.key, Body=cls.data, ACL="public-read",
                         ContentType="image/png", CacheControl="public, max-age=600")
        alice.put_object(Bucket=cls.bucket, Key="big.mp4", Body=cls.big, ACL="public-read",
                         ContentType="video/mp4")
        alice.put_object(Bucket=cls.bucket, Key="private.png", Body=blob_bytes(3, 1000),
                         ContentType="image/png")
        # An empty body with Expect: 100-continue, answered without a 100, leaves Debian 12's
        # botocore (1.29) with a stale response class on that connection: use a throwaway client.
        cls.server.client(cls.tenants["alice"]).put_object(
            Bucket=cls.bucket, Key="empty.png", Body=b"", ACL="public-read", ContentType="image/png")

    # -- GET / HEAD --

    def test_get_and_head_byte_exact_on_both_endpoints(self):
        for data, key, ctype in ((self.data, self.key, "image/png"), (self.big, "big.mp4", "video/mp4")):
            for where, r in self.both("GET", self.bucket, key):
                self.assertEqual(r.status, 200, "%s %r" % (where, r))
                self.assertTrue(r.body == data, "%s: body of %s differs" % (where, key))
                self.assertEqual(r.headers.get("content-length"), str(len(data)), where)
                self.assertEqual(r.headers.get("etag"), h.quoted_etag(data), where)
                self.assertEqual(r.headers.get("content-type"), ctype, where)
                self.assertEqual(r.headers.get("accept-ranges"), "bytes", where)
                self.assertIn("last-modified", r.headers, where)
                self.assertNotIn("content-security-policy", r.headers, where)
                self.assertNotIn("content-disposition", r.headers, where)
                self.assertPublicHeaders(r, where)
            for where, r in self.both("HEAD", self.bucket, key):
                self.assertEqual(r.status, 200, where)
                self.assertEqual(r.body, b"", where)
                self.assertEqual(r.headers.get("content-length"), str(len(data)), where)
                self.assertEqual(r.headers.get("etag"), h.quoted_etag(data), where)
                self.assertPublicHeaders(r, where)
        # Stored headers come back.
        r = self.get(self.pub, "GET", h.object_path(self.bucket, self.key))
        self.assertEqual(r.headers.get("cache-control"), "public, max-age=600")

    def test_empty_object(self):
        for where, r in self.both("GET", self.bucket, "empty.png"):
            self.assertEqual(r.status, 200, where)
            self.assertEqual(r.body, b"", where)
            self.assertEqual(r.headers.get("content-length"), "0", where)
        for where, r in self.both("GET", self.bucket, "empty.png", {"Range": "bytes=0-0"}):
            self.assertError(r, 416, "InvalidRange", where)
            self.assertEqual(r.headers.get("content-range"), "bytes */0", where)

    def test_slow_reader_gets_every_byte(self):
        """sendfile into a full socket buffer must wait, not drop or truncate."""
        p = Pipe(self.pub)
        try:
            p.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
            p.send(build_request("GET", h.object_path(self.bucket, "big.mp4"), "x"))
            time.sleep(0.3)  # let the server fill the buffers and hit EAGAIN
            line = p.reader.readline()
            self.assertIn(b" 200 ", line)
            length = None
            for _ in range(100):
                hl = p.reader.readline()
                if hl == b"\r\n":
                    break
                if hl.lower().startswith(b"content-length:"):
                    length = int(hl.split(b":")[1])
            self.assertEqual(length, len(self.big))
            got = bytearray()
            deadline = time.monotonic() + 20
            while len(got) < length and time.monotonic() < deadline:
                chunk = p.reader.read1(65536)
                if not chunk:
                    break
                got += chunk
                if len(got) < 1024 * 1024:
                    time.sleep(0.002)
            self.assertTrue(bytes(got) == self.big, "slowly read body differs (%d bytes)" % len(got))
            # The connection is still usable afterwards.
            r = p.request("GET", h.object_path(self.bucket, self.key))
            self.assertEqual(r.status, 200)
            self.assertTrue(r.body == self.data)
        finally:
            p.close()

    # -- Range --

    def test_ranges(self):
        size = len(self.data)
        cases = [  # header, (first, last) or None for a 200 with everything
            ("bytes=0-0", (0, 0)),
            ("bytes=0-99", (0, 99)),
            ("bytes=1000-1999", (1000, 1999)),
            ("bytes=%d-" % (size - 10), (size - 10, size - 1)),           # open-ended
            ("bytes=100-", (100, size - 1)),
            ("bytes=-1", (size - 1, size - 1)),                            # suffix
            ("bytes=-500", (size - 500, size - 1)),
            ("bytes=-%d" % (size + 1000), (0, size - 1)),                  # suffix longer than the object
            ("bytes=10-%d" % (size + 1000), (10, size - 1)),               # last clamped
            ("bytes=%d-%d" % (size - 1, size - 1), (size - 1, size - 1)),  # last byte
            ("bytes=0-", (0, size - 1)),
            ("bytes=5-4", None),                                           # invalid: ignored
            ("bytes=abc", None),
            ("items=0-10", None),
        ]
        for header, expect in cases:
            for where, r in self.both("GET", self.bucket, self.key, {"Range": header}):
                msg = "%s Range: %s -> %r" % (where, header, r)
                if expect is None:
                    self.assertEqual(r.status, 200, msg)
                    self.assertTrue(r.body == self.data, msg)
                    self.assertNotIn("content-range", r.headers, msg)
                    continue
                first, last = expect
                self.assertEqual(r.status, 206, msg)
                self.assertEqual(r.headers.get("content-range"), "bytes %d-%d/%d" % (first, last, size), msg)
                self.assertEqual(r.headers.get("content-length"), str(last - first + 1), msg)
                self.assertTrue(r.body == self.data[first:last + 1], msg)
                self.assertPublicHeaders(r, msg)
        # HEAD with a Range: the same status and headers, no body.
        for where, r in self.both("HEAD", self.bucket, self.key, {"Range": "bytes=10-19"}):
            self.assertEqual(r.status, 206, where)
            self.assertEqual(r.body, b"", where)
            self.assertEqual(r.headers.get("content-range"), "bytes 10-19/%d" % size, where)
            self.assertEqual(r.headers.get("content-length"), "10", where)
        # Ranges of the big object span sendfile's chunks.
        big = len(self.big)
        for first, last in ((0, 1024 * 1024 - 1), (big // 2, big // 2 + 3 * 1024 * 1024), (big - 5, big - 1)):
            r = self.get(self.pub, "GET", h.object_path(self.bucket, "big.mp4"),
                         {"Range": "bytes=%d-%d" % (first, last)})
            self.assertEqual(r.status, 206)
            self.assertTrue(r.body == self.big[first:last + 1], "range %d-%d of big.mp4" % (first, last))

    def test_unsatisfiable_ranges(self):
        size = len(self.data)
        for header in ("bytes=%d-" % size, "bytes=%d-%d" % (size, size + 10), "bytes=%d-" % (size + 5000), "bytes=-0"):
            for where, r in self.both("GET", self.bucket, self.key, {"Range": header}):
                self.assertError(r, 416, "InvalidRange", "%s %s" % (where, header))
                self.assertEqual(r.headers.get("content-range"), "bytes */%d" % size, "%s %s" % (where, header))
            for where, r in self.both("HEAD", self.bucket, self.key, {"Range": header}):
                self.assertEqual(r.status, 416, "%s HEAD %s" % (where, header))
                self.assertEqual(r.body, b"")
                self.assertEqual(r.headers.get("content-range"), "bytes */%d" % size, "%s HEAD %s" % (where, header))

    def test_multiple_ranges_get_the_whole_object(self):
        for where, r in self.both("GET", self.bucket, self.key, {"Range": "bytes=0-1,5-6"}):
            self.assertIn(r.status, (200, 206), where)
            if r.status == 200:
                self.assertTrue(r.body == self.data, where)

    # -- conditional requests --

    def test_not_modified(self):
        etag = h.quoted_etag(self.data)
        r0 = self.get(self.pub, "GET", h.object_path(self.bucket, self.key))
        last_modified = r0.headers["last-modified"]
        lm = email.utils.parsedate_to_datetime(last_modified).timestamp()
        earlier = email.utils.formatdate(lm - 3600, usegmt=True)
        later = email.utils.formatdate(lm + 3600, usegmt=True)
        cases = [
            ({"If-None-Match": etag}, 304),
            ({"If-None-Match": "W/" + etag}, 304),
            ({"If-None-Match": '"nope", ' + etag}, 304),
            ({"If-None-Match": "*"}, 304),
            ({"If-None-Match": '"nope"'}, 200),
            ({"If-Modified-Since": last_modified}, 304),
            ({"If-Modified-Since": later}, 304),
            ({"If-Modified-Since": earlier}, 200),
            ({"If-Modified-Since": "garbage"}, 200),
            ({"If-None-Match": '"nope"', "If-Modified-Since": later}, 200),  # If-None-Match wins
            ({"If-None-Match": etag, "Range": "bytes=0-9"}, 304),
        ]
        for headers, status in cases:
            for method in ("GET", "HEAD"):
                for where, r in self.both(method, self.bucket, self.key, headers):
                    msg = "%s %s %r -> %r" % (where, method, headers, r)
                    self.assertEqual(r.status, status, msg)
                    if status == 304:
                        self.assertEqual(r.body, b"", msg)
                        self.assertEqual(r.headers.get("etag"), etag, msg)
                        self.assertPublicHeaders(r, msg)
                    elif method == "GET":
                        self.assertTrue(r.body == self.data, msg)

    def test_not_modified_has_no_wrong_content_length(self):
        """RFC 9110 8.6: a server MUST NOT send Content-Length in a 304 unless it equals the
        length a 200 would have had; caches may otherwise update the stored length to 0."""
        targets = [(self.pub, h.object_path(self.bucket, self.key), h.quoted_etag(self.data)),
                   (self.s3port, h.object_path(self.bucket, self.key), h.quoted_etag(self.data)),
                   (self.pub, self.blob_url(self.data), '"%s"' % h.sha256_hex(self.data))]
        for port, target, etag in targets:
            for method in ("GET", "HEAD"):
                r = self.get(port, method, target, {"If-None-Match": etag})
                self.assertEqual(r.status, 304)
                cl = r.headers.get("content-length")
                self.assertIn(cl, (None, str(len(self.data))),
                              "%s %s on %d: 304 with Content-Length %r" % (method, target, port, cl))

    def test_date_header(self):
        """RFC 9110 6.6.1: an origin server with a clock MUST send Date (caches compute ages from
        it; SDKs correct clock skew with it)."""
        path = h.object_path(self.bucket, self.key)
        for port in (self.pub, self.s3port):
            for hdrs, target in (({}, path), ({"Range": "bytes=0-1"}, path),
                                 ({"If-None-Match": h.quoted_etag(self.data)}, path),
                                 ({}, h.object_path(self.bucket, "private.png"))):
                r = self.get(port, "GET", target, hdrs)
                date = r.headers.get("date")
                self.assertIsNotNone(date, "no Date header: %d %s %r -> %r" % (port, target, hdrs, r))
                when = email.utils.parsedate_to_datetime(date).timestamp()
                self.assertLess(abs(when - time.time()), 120, date)

    def test_if_range(self):
        """A Range with an If-Range that does not match must be ignored (RFC 9110 13.1.5): a
        resumed download of changed bytes gets the whole new representation, never a splice."""
        etag = h.quoted_etag(self.data)
        for where, r in self.both("GET", self.bucket, self.key, {"Range": "bytes=0-9", "If-Range": etag}):
            self.assertEqual((r.status, r.body), (206, self.data[:10]), where)
        for where, r in self.both("GET", self.bucket, self.key, {"Range": "bytes=0-9", "If-Range": '"0123"'}):
            self.assertEqual(r.status, 200, "%s: If-Range mismatch answered %r" % (where, r))
            self.assertTrue(r.body == self.data, where)
        old_date = "Mon, 01 Jan 2001 00:00:00 GMT"
        for where, r in self.both("GET", self.bucket, self.key, {"Range": "bytes=0-9", "If-Range": old_date}):
            self.assertEqual(r.status, 200, "%s: If-Range with an older date answered %r" % (where, r))

    # -- keep-alive and pipelining --

    def test_keep_alive(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.pub, timeout=TIMEOUT)
        try:
            sock = None
            for i in range(6):
                method = "HEAD" if i % 3 == 1 else "GET"
                conn.request(method, h.object_path(self.bucket, self.key),
                             headers={"Range": "bytes=0-9"} if i % 3 == 2 else {})
                r = conn.getresponse()
                body = r.read()
                self.assertIn(r.status, (200, 206))
                if method == "GET":
                    self.assertTrue(body == (self.data if r.status == 200 else self.data[:10]))
                if sock is None:
                    sock = conn.sock
                self.assertIs(conn.sock, sock, "the server closed a keep-alive connection")
            # An error response keeps the connection too.
            conn.request("GET", h.object_path(self.bucket, "private.png"))
            r = conn.getresponse()
            r.read()
            self.assertEqual(r.status, 403)
            conn.request("GET", h.object_path(self.bucket, self.key), headers={"If-None-Match": h.quoted_etag(self.data)})
            r = conn.getresponse()
            r.read()
            self.assertEqual(r.status, 304)
            conn.request("GET", h.object_path(self.bucket, self.key))
            r = conn.getresponse()
            self.assertTrue(r.read() == self.data)
            self.assertIs(conn.sock, sock)
        finally:
            conn.close()

    def test_pipelined_requests(self):
        for port in (self.pub, self.s3port):
            p = Pipe(port)
            try:
                path = h.object_path(self.bucket, self.key)
                big = h.object_path(self.bucket, "big.mp4")
                # Two GETs back-to-back in one write.
                p.send(build_request("GET", path, "x") + build_request("GET", big, "x", {"Range": "bytes=5-1000004"}))
                r1, r2 = p.recv("GET"), p.recv("GET")
                self.assertEqual(r1.status, 200)
                self.assertTrue(r1.body == self.data)
                self.assertEqual(r2.status, 206)
                self.assertTrue(r2.body == self.big[5:1000005])
                # Five mixed requests in one write: a big body, HEAD, an error, a 304, a range.
                batch = [("GET", big, {}), ("HEAD", path, {}), ("GET", h.object_path(self.bucket, "private.png"), {}),
                         ("GET", path, {"If-None-Match": h.quoted_etag(self.data)}),
                         ("GET", path, {"Range": "bytes=-100"})]
                p.send(b"".join(build_request(m, t, "x", hd) for m, t, hd in batch))
                got = [p.recv(m) for m, _t, _hd in batch]
                self.assertEqual([r.status for r in got], [200, 200, 403, 304, 206], got)
                self.assertTrue(got[0].body == self.big)
                self.assertEqual(got[1].body, b"")
                self.assertEqual(got[1].headers.get("content-length"), str(len(self.data)))
                self.assertTrue(got[4].body == self.data[-100:])
                # Byte by byte, the server still parses it.
                req = build_request("GET", path, "x", {"Range": "bytes=0-3"})
                for i in range(len(req)):
                    p.send(req[i:i + 1])
                r = p.recv("GET")
                self.assertEqual((r.status, r.body), (206, self.data[:4]))
            finally:
                p.close()

    def test_query_strings_and_http10(self):
        path = h.object_path(self.bucket, self.key)
        r = self.get(self.pub, "GET", path + "?1700000000")  # cache-busting suffix
        self.assertEqual((r.status, len(r.body)), (200, len(self.data)))
        r = self.get(self.pub, "GET", ALIAS_PREFIX + "/nothing?x=1", {"Host": ALIAS_HOST})
        self.assertEqual(r.status, 403)
        p = Pipe(self.pub)
        try:
            p.send(("GET %s HTTP/1.0\r\n\r\n" % path).encode())
            r = p.recv("GET")
            self.assertEqual(r.status, 200)
            self.assertTrue(r.body == self.data)
            self.assertTrue(p.closed_by_peer(), "HTTP/1.0 without keep-alive left open")
        finally:
            p.close()

    def test_connection_close_is_honoured(self):
        p = Pipe(self.pub)
        try:
            r = p.request("GET", h.object_path(self.bucket, self.key), headers={"Connection": "close"})
            self.assertEqual(r.status, 200)
            self.assertTrue(r.body == self.data)
            self.assertTrue(p.closed_by_peer(), "server kept the connection open after Connection: close")
        finally:
            p.close()

    # -- access rules --

    def test_private_objects_and_missing_keys(self):
        priv_bucket = self.bucket  # not public-read
        pub_bucket = self.new_bucket(acl="public-read")
        self.put(pub_bucket, "there.png", b"x" * 10, acl=None)
        self.put(pub_bucket, "open.png", b"o" * 10, acl="public-read")
        denied = []
        for where, r in self.both("GET", priv_bucket, "private.png") + self.both("GET", priv_bucket, "missing.png"):
            self.assertError(r, 403, "AccessDenied", where)
            self.assertNotEqual(r.body, b"")
            denied.append((where, r))
        # Bucket names are global and discoverable: a missing bucket is a 404, as in S3.
        for where, r in self.both("GET", "no-such-bucket-xyz", "a.png"):
            self.assertError(r, 404, "NoSuchBucket", where)
        for where, r in self.both("HEAD", priv_bucket, "private.png") + self.both("HEAD", priv_bucket, "missing.png"):
            self.assertEqual(r.status, 403, where)
            self.assertEqual(r.body, b"")
        # Private and missing are indistinguishable: same header names, same body but the ids.
        for endpoint in ("s3", "public"):
            rs = [r for w, r in denied if w == endpoint]
            names = [sorted(k for k, _v in r.header_list if k not in ("date",)) for r in rs]
            self.assertEqual(names[0], names[1], endpoint)
            codes = [h.parse_error(r.body) for r in rs]
            self.assertEqual(codes[0], codes[1], endpoint)
            self.assertEqual(len(rs[0].body), len(rs[1].body), endpoint)
        # A public-read bucket is listable by anyone, so a missing key there is a 404; its objects
        # are readable only when their own ACL says so (S3: a bucket ACL grants no object reads).
        for where, r in self.both("GET", pub_bucket, "missing.png"):
            self.assertError(r, 404, "NoSuchKey", where)
        for where, r in self.both("GET", pub_bucket, "there.png"):
            self.assertError(r, 403, "AccessDenied", where)
        self.assertServes(pub_bucket, "open.png", b"o" * 10)
        # Another tenant's private object is not readable anonymously either.
        bob_bucket = self.new_bucket("bob")
        self.put(bob_bucket, "secret.png", b"s" * 100, tenant="bob", acl="private")
        for where, r in self.both("GET", bob_bucket, "secret.png"):
            self.assertError(r, 403, "AccessDenied", where)
        # authenticated-read is not public.
        self.put(bob_bucket, "auth.png", b"a" * 100, tenant="bob", acl="authenticated-read")
        for where, r in self.both("GET", bob_bucket, "auth.png"):
            self.assertError(r, 403, "AccessDenied", where)

    def test_listings(self):
        """The S3 endpoint lists a public-read bucket for anyone, as S3 does; a private bucket
        only for its owner. The public endpoint serves objects, never listings."""
        pub_bucket = self.new_bucket(acl="public-read")
        priv_bucket = self.new_bucket()
        for bucket in (pub_bucket, priv_bucket):
            self.put(bucket, "a.png", b"a" * 10, acl="public-read")
        listings = ("/%s", "/%s/", "/%s/?list-type=2", "/%s?prefix=a")
        for path in [p % pub_bucket for p in listings]:
            r = self.get(self.s3port, "GET", path)
            self.assertEqual(r.status, 200, "s3 GET %s -> %r %r" % (path, r, r.body[:200]))
            self.assertIn(b"<Key>a.png</Key>", r.body)
        for where, port, path in ([("s3", self.s3port, p % priv_bucket) for p in listings] + [("s3", self.s3port, "/")]
                                  + [("public", self.pub, p % b) for p in listings for b in (pub_bucket, priv_bucket)]
                                  + [("public", self.pub, "/")]):
            r = self.get(port, "GET", path)
            self.assertEqual(r.status, 403, "%s GET %s -> %r %r" % (where, path, r, r.body[:200]))
            self.assertNotIn(b"a.png", r.body)
        r = self.get(self.pub, "GET", ALIAS_PREFIX + "/", {"Host": ALIAS_HOST})
        self.assertEqual(r.status, 403)

    def test_other_methods_are_refused_on_the_public_endpoint(self):
        path = h.object_path(self.bucket, self.key)
        for method in ("PUT", "POST", "DELETE", "PATCH"):
            r = self.get(self.pub, method, path)
            self.assertEqual(r.status, 405, "%s -> %r" % (method, r))
        self.assertServes(self.bucket, self.key, self.data)
        r = self.get(self.pub, "OPTIONS", path, {"Origin": "https://example.org", "Access-Control-Request-Method": "GET"})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers.get("access-control-allow-origin"), "*")

    # -- alias hosts --

    def test_alias_host_with_prefix(self):
        try:
            self.client("alice").create_bucket(Bucket=ALIAS_BUCKET)
        except h.ClientError:
            pass
        data = blob_bytes(10, 5000)
        self.put(ALIAS_BUCKET, "media_attachments/files/1/original/a.jpg", data, content_type="image/jpeg")
        self.put(ALIAS_BUCKET, "private.jpg", data, acl="private", content_type="image/jpeg")
        target = ALIAS_PREFIX + "/media_attachments/files/1/original/a.jpg"
        for host in (ALIAS_HOST, ALIAS_HOST.upper(), ALIAS_HOST + ":8443"):
            for method in ("GET", "HEAD"):
                r = self.get(self.pub, method, target, {"Host": host})
                self.assertEqual(r.status, 200, "Host %s %s -> %r" % (host, method, r))
                self.assertEqual(r.body, data if method == "GET" else b"")
                self.assertEqual(r.headers.get("content-type"), "image/jpeg")
                self.assertPublicHeaders(r)
        r = self.get(self.pub, "GET", target, {"Host": ALIAS_HOST, "Range": "bytes=1-2"})
        self.assertEqual((r.status, r.body), (206, data[1:3]))
        r = self.get(self.pub, "GET", ALIAS_PREFIX + "/private.jpg", {"Host": ALIAS_HOST})
        self.assertError(r, 403, "AccessDenied")
        r = self.get(self.pub, "GET", ALIAS_PREFIX + "/missing.jpg", {"Host": ALIAS_HOST})
        self.assertEqual(r.status, 403)
        # The prefix must match a whole path segment; other hosts use path style (and name
        # buckets that do not exist: 404 NoSuchBucket).
        r = self.get(self.pub, "GET", ALIAS_PREFIX + "x/media_attachments/files/1/original/a.jpg", {"Host": ALIAS_HOST})
        self.assertError(r, 404, "NoSuchBucket")
        r = self.get(self.pub, "GET", "/media_attachments/files/1/original/a.jpg", {"Host": ALIAS_HOST})
        self.assertError(r, 404, "NoSuchBucket")
        r = self.get(self.pub, "GET", target, {"Host": "other.test"})
        self.assertError(r, 404, "NoSuchBucket")
        # Path style for the alias bucket still works on any host.
        r = self.get(self.pub, "GET", "/" + ALIAS_BUCKET + "/media_attachments/files/1/original/a.jpg")
        self.assertEqual((r.status, r.body), (200, data))

    # -- blob URLs --

    def test_blob_url(self):
        bucket = self.new_bucket()
        data = blob_bytes(20, 70_000)
        self.put(bucket, "x/photo.JPG", data, content_type="image/jpeg")
        for ext in ("", ".jpg", ".JPG", ".anything"):
            r = self.get(self.pub, "GET", self.blob_url(data, ext))
            self.assertEqual(r.status, 200, "%s -> %r" % (ext, r))
            self.assertTrue(r.body == data)
            self.assertEqual(r.headers.get("etag"), '"%s"' % h.sha256_hex(data))
            self.assertEqual(r.headers.get("cache-control"), "public, max-age=31536000, immutable")
            self.assertEqual(r.headers.get("content-type"), "image/jpeg")
            self.assertPublicHeaders(r)
        r = self.get(self.pub, "HEAD", self.blob_url(data))
        self.assertEqual((r.status, r.body, r.headers.get("content-length")), (200, b"", str(len(data))))
        r = self.get(self.pub, "GET", self.blob_url(data), {"Range": "bytes=-3"})
        self.assertEqual((r.status, r.body), (206, data[-3:]))
        r = self.get(self.pub, "GET", self.blob_url(data), {"Range": "bytes=70000-"})
        self.assertEqual((r.status, r.headers.get("content-range")), (416, "bytes */70000"))
        r = self.get(self.pub, "GET", self.blob_url(data), {"If-None-Match": '"%s"' % h.sha256_hex(data)})
        self.assertEqual((r.status, r.body), (304, b""))
        # Not blob URLs: wrong case, wrong length, unknown content, nothing.
        sha = h.sha256_hex(data)
        for path in ("/blobs/" + sha.upper(), "/blobs/" + sha[:-1], "/blobs/" + sha + "0",
                     "/blobs/" + h.sha256_hex(b"never stored"), "/blobs/", "/blobs/.jpg"):
            r = self.get(self.pub, "GET", path)
            self.assertEqual(r.status, 404, "%s -> %r" % (path, r))
        # A blob only private objects reference is not served.
        secret = blob_bytes(21, 1234)
        self.put(bucket, "secret.png", secret, acl="private")
        self.assertEqual(self.get(self.pub, "GET", self.blob_url(secret)).status, 404)
        # A public-read bucket makes no blob public: only an object's own ACL does.
        pub_bucket = self.new_bucket(acl="public-read")
        via_bucket = blob_bytes(22, 999)
        self.put(pub_bucket, "b.png", via_bucket, acl=None)
        self.assertEqual(self.get(self.pub, "GET", self.blob_url(via_bucket, ".png")).status, 404)
        self.put(pub_bucket, "c.png", via_bucket, acl="public-read")
        r = self.get(self.pub, "GET", self.blob_url(via_bucket, ".png"))
        self.assertEqual((r.status, r.body), (200, via_bucket))

    def test_blob_url_lifetime(self):
        bucket = self.new_bucket()
        data = blob_bytes(30, 40_000)
        url = self.blob_url(data, ".png")
        s3 = self.client("alice")
        self.put(bucket, "only.png", data)
        self.assertEqual(self.get(self.pub, "GET", url).status, 200)
        s3.put_object_acl(Bucket=bucket, Key="only.png", ACL="private")
        self.assertEqual(self.get(self.pub, "GET", url).status, 404, "blob still served after its only object went private")
        s3.put_object_acl(Bucket=bucket, Key="only.png", ACL="public-read")
        r = self.get(self.pub, "GET", url)
        self.assertEqual((r.status, r.body), (200, data))
        s3.delete_object(Bucket=bucket, Key="only.png")
        self.assertEqual(self.get(self.pub, "GET", url).status, 404, "blob still served after its only object was deleted")
        # Overwriting the only object with other bytes retires the old URL.
        self.put(bucket, "only.png", data)
        self.assertEqual(self.get(self.pub, "GET", url).status, 200)
        other = blob_bytes(31, 40_000)
        self.put(bucket, "only.png", other)
        self.assertEqual(self.get(self.pub, "GET", url).status, 404)
        self.assertEqual(self.get(self.pub, "GET", self.blob_url(other)).body, other)
        # A bucket's ACL changes nothing about its blobs: its public object keeps its URL alive.
        pub_bucket = self.new_bucket(acl="public-read")
        bdata = blob_bytes(32, 3000)
        self.put(pub_bucket, "b.png", bdata, acl=None)
        self.assertEqual(self.get(self.pub, "GET", self.blob_url(bdata)).status, 404)
        s3.put_object_acl(Bucket=pub_bucket, Key="b.png", ACL="public-read")
        self.assertEqual(self.get(self.pub, "GET", self.blob_url(bdata)).status, 200)
        s3.put_bucket_acl(Bucket=pub_bucket, ACL="private")
        self.assertEqual(self.get(self.pub, "GET", self.blob_url(bdata)).status, 200)

    def test_suspension_keeps_other_tenants_copy_public(self):
        """Mastodon suspends an account by making its media private (PutObjectAcl). Another
        instance that stored the same bytes publicly must keep serving them, and the suspended
        instance's own URL must stop working."""
        data = blob_bytes(40, 123_456)
        a_bucket, b_bucket = self.new_bucket("alice"), self.new_bucket("bob")
        self.put(a_bucket, "media/1/original/cat.png", data, tenant="alice")
        self.put(b_bucket, "cache/media/9/original/cat.png", data, tenant="bob")
        url = self.blob_url(data, ".png")
        self.assertEqual(self.get(self.pub, "GET", url).status, 200)
        self.client("alice").put_object_acl(Bucket=a_bucket, Key="media/1/original/cat.png", ACL="private")
        for where, r in self.both("GET", a_bucket, "media/1/original/cat.png"):
            self.assertError(r, 403, "AccessDenied", where)
        self.assertServes(b_bucket, "cache/media/9/original/cat.png", data)
        r = self.get(self.pub, "GET", url)
        self.assertEqual((r.status, r.body), (200, data), "blob URL died while bob's copy is public")
        # Alice still reads her own (now private) object with credentials.
        got = self.client("alice").get_object(Bucket=a_bucket, Key="media/1/original/cat.png")["Body"].read()
        self.assertEqual(got, data)
        # Bob deletes his copy: nothing public references the blob any more.
        self.client("bob").delete_object(Bucket=b_bucket, Key="cache/media/9/original/cat.png")
        self.assertEqual(self.get(self.pub, "GET", url).status, 404)
        # Alice is unsuspended.
        self.client("alice").put_object_acl(Bucket=a_bucket, Key="media/1/original/cat.png", ACL="public-read")
        self.assertEqual(self.get(self.pub, "GET", url).status, 200)
        self.assertServes(a_bucket, "media/1/original/cat.png", data)

    # -- content policy --

    def test_unsafe_types_are_neutralised(self):
        bucket = self.new_bucket()
        payload = b"<html><script>alert(document.cookie)</script></html>"
        for i, ctype in enumerate(UNSAFE_TYPES):
            key = "evil%d.html" % i
            self.put(bucket, key, payload + str(i).encode(), content_type=ctype or None,
                     ContentDisposition='inline; filename="evil.html"')
            targets = [(self.pub, h.object_path(bucket, key)), (self.s3port, h.object_path(bucket, key)),
                       (self.pub, self.blob_url(payload + str(i).encode()))]
            for port, target in targets:
                for method, hdrs in (("GET", {}), ("HEAD", {}), ("GET", {"Range": "bytes=0-5"})):
                    r = self.get(port, method, target, hdrs)
                    msg = "%r on %d %s %s -> %r" % (ctype, port, method, target, r)
                    self.assertIn(r.status, (200, 206), msg)
                    self.assertTrue(r.headers.get("content-disposition", "").startswith("attachment"), msg)
                    self.assertEqual(len(r.all("content-disposition")), 1, msg)
                    self.assertEqual(r.headers.get("content-security-policy"), "sandbox; default-src 'none'", msg)
                    self.assertPublicHeaders(r, msg)
        # Safe media types are served inline, with the stored disposition.
        for i, ctype in enumerate(SAFE_TYPES):
            key = "ok%d" % i
            self.put(bucket, key, b"\x89PNG" + str(i).encode(), content_type=ctype,
                     ContentDisposition='inline; filename="ok.png"')
            r = self.get(self.pub, "GET", h.object_path(bucket, key))
            self.assertEqual(r.status, 200)
            self.assertNotIn("content-security-policy", r.headers, ctype)
            self.assertEqual(r.headers.get("content-disposition"), 'inline; filename="ok.png"', ctype)
            self.assertPublicHeaders(r, ctype)

    # -- cache invalidation --

    def test_changes_are_visible_immediately(self):
        bucket = self.new_bucket()
        key = "hot.png"
        s3 = self.client("alice")
        path = h.object_path(bucket, key)
        ports = (("s3", self.s3port), ("public", self.pub))

        def expect(status, data=None):
            for where, port in ports:
                for _ in range(3):  # repeated hits come from the cache
                    r = self.get(port, "GET", path)
                    self.assertEqual(r.status, status, "%s: %r" % (where, r))
                    if data is not None:
                        self.assertTrue(r.body == data, "%s: stale body (%d bytes)" % (where, len(r.body)))
                        self.assertEqual(r.headers.get("etag"), h.quoted_etag(data), where)

        expect(403)                                    # absent (cached as absent)
        for round_ in range(8):
            data = blob_bytes(100 + round_, 2000 + round_)
            self.put(bucket, key, data)                # create / overwrite
            expect(200, data)
        s3.put_object_acl(Bucket=bucket, Key=key, ACL="private")
        expect(403)
        s3.put_object_acl(Bucket=bucket, Key=key, ACL="public-read")
        expect(200, data)
        s3.delete_object(Bucket=bucket, Key=key)
        expect(403)
        # Copy onto the key, then DeleteObjects.
        src = blob_bytes(200, 3333)
        self.put(bucket, "src.png", src)
        s3.copy_object(Bucket=bucket, Key=key, CopySource={"Bucket": bucket, "Key": "src.png"}, ACL="public-read")
        expect(200, src)
        s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": key}], "Quiet": True})
        expect(403)
        # Bucket ACL: it makes the bucket listable (so a missing key is a 404), never an object
        # readable.
        self.put(bucket, key, src, acl="private")
        expect(403)
        s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
        expect(403)
        s3.delete_object(Bucket=bucket, Key=key)
        expect(404)                                    # missing in a listable bucket
        self.put(bucket, key, data, acl=None)
        expect(403)
        s3.put_object_acl(Bucket=bucket, Key=key, ACL="public-read")
        expect(200, data)
        s3.put_bucket_acl(Bucket=bucket, ACL="private")
        expect(200, data)
        s3.delete_object(Bucket=bucket, Key=key)
        expect(403)                                    # missing in a bucket nobody else may list
        # Multipart completion replaces the object too.
        self.put(bucket, key, data)
        expect(200, data)
        mp = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="image/png", ACL="public-read")
        part = blob_bytes(300, 5 * 1024 * 1024 + 1)
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=mp["UploadId"], PartNumber=1, Body=part)["ETag"]
        s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=mp["UploadId"],
                                     MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]})
        for where, port in ports:
            r = self.get(port, "GET", path)
            self.assertEqual(r.status, 200, where)
            self.assertTrue(r.body == part, "%s: stale body after multipart completion" % where)

    def test_invalidation_under_concurrent_readers(self):
        """Readers hammer a key while it is overwritten; right after each PUT returns, every
        new request sees the new bytes."""
        bucket = self.new_bucket()
        path = h.object_path(bucket, "race.png")
        self.put(bucket, "race.png", b"v0")
        stop = threading.Event()
        errors = []

        def reader():
            p = Pipe(self.pub)
            try:
                for _ in range(100000):
                    if stop.is_set():
                        return
                    r = p.request("GET", path)
                    if r.status != 200:
                        errors.append(r.status)
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))
            finally:
                p.close()

        threads = [threading.Thread(target=reader, daemon=True) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            for i in range(1, 21):
                body = b"v%d" % i
                self.put(bucket, "race.png", body)
                r = self.get(self.pub, "GET", path)
                self.assertEqual(r.body, body, "round %d: stale body %r" % (i, r.body))
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=10)
        self.assertEqual(errors, [])

    # -- hostile request targets --

    def raw_exchange(self, port, raw, wait=5.0):
        """Sends raw bytes; returns (status or None, raw response head)."""
        with socket.create_connection(("127.0.0.1", port), timeout=wait) as s:
            s.sendall(raw)
            buf = b""
            deadline = time.monotonic() + wait
            while b"\r\n" not in buf and time.monotonic() < deadline:
                try:
                    chunk = s.recv(4096)
                except (socket.timeout, ConnectionResetError):
                    break
                if not chunk:
                    break
                buf += chunk
        if not buf.startswith(b"HTTP/1."):
            return None, buf[:200]
        return int(buf.split(b" ", 2)[1]), buf[:300]

    def test_hostile_targets_are_rejected_cleanly(self):
        long_key = "k" * 1100
        targets = [
            "/%s/../../etc/passwd" % self.bucket,
            "/%s/..%%2f..%%2fetc%%2fpasswd" % self.bucket,
            "/../../../etc/passwd",
            "/%2e%2e/%2e%2e/etc/passwd",
            "/blobs/../../etc/passwd",
            "/blobs/..%2f..%2f..%2fetc%2fpasswd",
            "/blobs/%2e%2e%2fdata%2fherd.db",
            "/herd.db",
            "/%s/%s%%00.png" % (self.bucket, h.s3_quote(self.key)),
            "/%s/a%%00b" % self.bucket,
            "/blobs/%s%%00" % h.sha256_hex(self.data),
            "/%s/%%ff%%fe" % self.bucket,        # not UTF-8
            "/%s/%%zz" % self.bucket,            # bad escape
            "/%s/%%" % self.bucket,
            "/%s/%s" % (self.bucket, long_key),  # key over 1024 bytes
            "/%s/%s" % (self.bucket, "%C3%BC" * 600),
            "*",
            "http://evil.example/%s/x" % self.bucket,
            "relative/path",
            "//%s" % self.bucket,
        ]
        for port in (self.pub, self.s3port):
            for t in targets:
                status, head = self.raw_exchange(port, build_request("GET", t, "x"))
                self.assertIsNotNone(status, "%s: no HTTP response: %r" % (t, head))
                self.assertTrue(400 <= status < 500, "%d: GET %s -> %r" % (port, t[:80], head))
                self.assertNotIn(b"root:", head)
        # Over-long heads and garbage.
        for raw in (build_request("GET", "/" + "a" * 20000, "x"),
                    build_request("GET", "/x", "x", {"X-Big": "b" * 20000}),
                    b"GARBAGE\r\n\r\n",
                    b"GET /x HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
                    b"GET /a\x00b HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"GET /x HTTP/9.9\r\nHost: x\r\n\r\n"):
            for port in (self.pub, self.s3port):
                status, head = self.raw_exchange(port, raw)
                if status is not None:  # closing without a response is acceptable here
                    self.assertTrue(400 <= status < 500, "%r -> %r" % (raw[:60], head))
        # The server is alive and well.
        self.assertServes(self.bucket, self.key, self.data)
        self.assertServes(self.bucket, "big.mp4", self.big)

    # -- many connections --

    def test_hundreds_of_concurrent_keep_alive_connections(self):
        bucket = self.new_bucket()
        files = {"c/%d.png" % i: blob_bytes(500 + i, 2000 + 37 * i) for i in range(20)}
        for key, data in files.items():
            self.put(bucket, key, data)
        keys = sorted(files)
        n_conns, per_conn = 300, 4

        async def one(i, opened, go):
            reader, writer = await asyncio.open_connection("127.0.0.1", self.pub)
            try:
                opened.append(i)
                await go.wait()
                for j in range(per_conn):
                    key = keys[(i + j) % len(keys)]
                    rng = "bytes=10-99" if j == per_conn - 1 else None
                    writer.write(build_request("GET", h.object_path(bucket, key), "x", {"Range": rng} if rng else None))
                    await writer.drain()
                    line = await reader.readline()
                    status = int(line.split()[1])
                    length = None
                    while True:
                        hl = await reader.readline()
                        if hl in (b"\r\n", b""):
                            break
                        if hl.lower().startswith(b"content-length:"):
                            length = int(hl.split(b":")[1])
                    body = await reader.readexactly(length)
                    want = files[key][10:100] if rng else files[key]
                    if status != (206 if rng else 200) or body != want:
                        return "conn %d req %d: status %d, %d bytes" % (i, j, status, len(body))
                return None
            finally:
                writer.close()

        async def run():
            opened, go = [], asyncio.Event()
            tasks = [asyncio.ensure_future(one(i, opened, go)) for i in range(n_conns)]
            deadline = time.monotonic() + 30
            while len(opened) < n_conns and time.monotonic() < deadline:
                if any(t.done() for t in tasks):
                    break
                await asyncio.sleep(0.01)
            concurrent = len(opened)
            go.set()
            results = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 60)
            return concurrent, results

        concurrent, results = asyncio.run(run())
        failures = [r for r in results if r is not None]
        self.assertEqual(concurrent, n_conns, "only %d connections were open at once" % concurrent)
        self.assertEqual(failures, [], "%d of %d connections failed: %r" % (len(failures), n_conns, failures[:5]))
        self.assertServes(bucket, keys[0], files[keys[0]])


class PublicDisconnectTest(PublicTestBase):
    """Clients that vanish mid-download (on its own server: a crash must not take the other
    tests down with it)."""

    def test_client_disconnect_mid_body_does_not_hurt(self):
        bucket = self.new_bucket()
        big = blob_bytes(2, 6 * 1024 * 1024 + 13)
        self.put(bucket, "big.mp4", big, content_type="video/mp4")
        def died():
            if self.server.proc.poll() is None:
                return None
            return "herd serve died (exit code %r; -13 is SIGPIPE) after a client disconnected mid-body\n%s" % (
                self.server.proc.returncode, self.server.log_tail())

        for port in (self.pub, self.s3port):
            for i in range(6):
                try:
                    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
                    s.sendall(build_request("GET", h.object_path(bucket, "big.mp4"), "x",
                                            {"Range": "bytes=100-"} if i % 2 else None))
                    s.recv(1000)
                    if i % 3 == 2:
                        s.shutdown(socket.SHUT_RDWR)  # FIN, then the server's writes fail
                    else:  # RST with most of the body unsent
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    s.close()
                except OSError:
                    time.sleep(0.3)
                    self.fail(died() or "connection failed but the server is alive")
                time.sleep(0.05)
        time.sleep(0.3)
        self.assertIsNone(died(), died())
        self.assertServes(bucket, "big.mp4", big)


# ---------------------------------------------------------------------------------------------

class RedirectTestBase(PublicTestBase):
    OBJECT_URLS = "redirect"

    def follow(self, location):
        """Fetches a redirect target on the public endpoint (a CDN base maps onto it)."""
        path = location
        if self.REDIRECT_BASE:
            self.assertTrue(location.startswith(self.REDIRECT_BASE + "/blobs/"), location)
            path = location[len(self.REDIRECT_BASE):]
        return self.get(self.pub, "GET", path)

    def check_redirects(self):
        bucket = self.new_bucket()
        cases = [("a/photo.jpg", ".jpg", "image/jpeg"), ("b/archive.tar.gz", ".gz", "application/gzip"),
                 ("c/noext", "", "image/png"), ("d.dir/file", "", "image/png"), ("e/x.toolongextension", "", "image/png"),
                 ("f/we!rd.p-g", "", "image/png")]
        for i, (key, ext, ctype) in enumerate(cases):
            data = blob_bytes(600 + i, 10_000 + i)
            self.put(bucket, key, data, content_type=ctype)
            expected = self.REDIRECT_BASE + self.blob_url(data, ext)
            for method in ("GET", "HEAD"):
                r = self.get(self.pub, method, h.object_path(bucket, key))
                self.assertEqual(r.status, self.REDIRECT_STATUS, "%s %s -> %r" % (method, key, r))
                self.assertEqual(r.headers.get("location"), expected, key)
                self.assertEqual(r.headers.get("access-control-allow-origin"), "*")
            f = self.follow(r.headers["location"])
            self.assertEqual(f.status, 200, "following %s -> %r" % (r.headers["location"], f))
            self.assertTrue(f.body == data)
            self.assertEqual(f.headers.get("cache-control"), "public, max-age=31536000, immutable")
            self.assertEqual(f.headers.get("content-type"), ctype)
        # Through the alias host.
        try:
            self.client("alice").create_bucket(Bucket=ALIAS_BUCKET)
        except h.ClientError:
            pass
        data = blob_bytes(650, 777)
        self.put(ALIAS_BUCKET, "m/1.webp", data, content_type="image/webp")
        r = self.get(self.pub, "GET", ALIAS_PREFIX + "/m/1.webp", {"Host": ALIAS_HOST})
        self.assertEqual(r.status, self.REDIRECT_STATUS)
        self.assertEqual(r.headers.get("location"), self.REDIRECT_BASE + self.blob_url(data, ".webp"))
        self.assertEqual(self.follow(r.headers["location"]).body, data)
        # Private and missing objects are not redirected.
        self.put(bucket, "private.jpg", blob_bytes(660, 100), acl="private")
        for key in ("private.jpg", "missing.jpg"):
            r = self.get(self.pub, "GET", h.object_path(bucket, key))
            self.assertError(r, 403, "AccessDenied", key)
            self.assertNotIn("location", r.headers)
        # Once private, the blob URL stops working too.
        self.client("alice").put_object_acl(Bucket=bucket, Key="a/photo.jpg", ACL="private")
        self.assertEqual(self.get(self.pub, "GET", h.object_path(bucket, "a/photo.jpg")).status, 403)
        self.assertEqual(self.follow(self.REDIRECT_BASE + self.blob_url(blob_bytes(600, 10_000), ".jpg")).status, 404)

    def check_s3_endpoint(self):
        """An anonymous GET on the S3 endpoint must end at the bytes too: either served, or a
        redirect whose target (resolved against the S3 endpoint, or the CDN base) works."""
        bucket = self.new_bucket()
        data = blob_bytes(700, 5555)
        self.put(bucket, "s3/x.png", data)
        r = self.get(self.s3port, "GET", h.object_path(bucket, "s3/x.png"))
        if r.status == 200:
            self.assertTrue(r.body == data)
            return
        self.assertIn(r.status, (301, 302, 307, 308), r)
        location = r.headers.get("location", "")
        if self.REDIRECT_BASE:
            self.assertEqual(self.follow(location).body, data)
        else:
            f = self.get(self.s3port, "GET", location)
            self.assertEqual(f.status, 200, "S3 endpoint redirected to %s, which answers %r %r"
                             % (location, f, f.body[:200]))
            self.assertTrue(f.body == data)


class PublicRedirectTest(RedirectTestBase):
    REDIRECT_STATUS = 301

    def test_redirects_to_blob_urls(self):
        self.check_redirects()

    def test_anonymous_get_on_s3_endpoint_in_redirect_mode(self):
        self.check_s3_endpoint()


class PublicRedirectCdnTest(RedirectTestBase):
    REDIRECT_BASE = "https://cdn.example.org"
    REDIRECT_STATUS = 302

    def test_redirects_to_cdn(self):
        self.check_redirects()

    def test_anonymous_get_on_s3_endpoint_in_redirect_mode(self):
        self.check_s3_endpoint()


if __name__ == "__main__":
    h.main()
