"""Hostile input and fault injection: every malformed, oversized or malicious request gets a clear
4xx (or, for HTTP framing garbage, an error response and a closed connection), nothing is stored
half-way, and the server keeps serving everyone else.

After each hostile input a normal signed GET on a fresh connection must still succeed.

Covered: oversized and too many headers, garbage request lines, bad HTTP versions, NUL bytes,
bad Content-Length / Transfer-Encoding combinations, over-long and invalid UTF-8 keys, path
traversal keys (stored only as literal keys), huge Content-Length claims ([storage]
max_object_size), malformed XML incl. billion laughs and external entities, bad aws-chunked
framing, Range overflows, slowloris connections, [server] max_connections, and write-path
faults (HERD_TEST_FAULTS: ENOSPC on write, EIO on fsync and rename) followed by a clean restart
and `herd fsck`.
"""

import hashlib
import os
import re
import socket
import time
import unittest

import herd_harness as h
from herd_harness import HerdServer, HerdTestCase

SENTINEL_KEY = "sentinel.txt"
SENTINEL_BODY = b"still serving\n"
STREAM_UNSIGNED = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
STREAM_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"

# Responses to a hostile request must come quickly: nothing here may wait for an I/O timeout.
QUICK = 5.0


# ---------------------------------------------------------------------------------------------
# Raw sockets

def exchange_bytes(port, data, timeout=QUICK):
    """Sends `data` on a fresh connection and reads until the server closes it (or `timeout`).

    Returns (received bytes, closed): closed is True when the server ended the connection
    (EOF or reset) within the timeout.
    """
    deadline = time.monotonic() + timeout
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    received = b""
    closed = False
    try:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading everything
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            received += chunk
    finally:
        sock.close()
    return received, closed


def status_of(raw):
    """The status code of the first HTTP response in `raw`, or None."""
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", raw)
    return int(m.group(1)) if m else None


def body_of(raw):
    i = raw.find(b"\r\n\r\n")
    return raw[i + 4:] if i >= 0 else b""


def rss_kib(pid):
    """Resident set size of a process in KiB (Linux), or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def streaming_headers(decoded_length, extra=None):
    hdrs = {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(decoded_length)}
    hdrs.update(extra or {})
    return hdrs


# ---------------------------------------------------------------------------------------------
# Shared base

class HostileBase(HerdTestCase):
    """One server; tenant alice with a bucket holding a sentinel object that must stay readable."""

    TENANTS = ("alice",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = cls.unique_bucket("hostile")
        s3 = cls.server.client(cls.tenants["alice"])
        s3.create_bucket(Bucket=cls.bucket)
        s3.put_object(Bucket=cls.bucket, Key=SENTINEL_KEY, Body=SENTINEL_BODY)
        s3.close()  # no pooled keep-alive connection may linger (ConnectionLimitTest counts them)

    def assertServing(self, context=""):
        """A normal signed GET on a fresh connection succeeds promptly."""
        self.assertIsNone(self.server.proc.poll(), "herd serve died after %s\n%s"
                          % (context, self.server.log_tail()))
        start = time.monotonic()
        resp = self.raw("GET", h.object_path(self.bucket, SENTINEL_KEY), timeout=QUICK)
        took = time.monotonic() - start
        self.assertEqual(resp.status, 200, "normal GET failed after %s: %r" % (context, resp.body[:300]))
        self.assertEqual(resp.body, SENTINEL_BODY)
        self.assertLess(took, QUICK, "normal GET took %.1fs after %s" % (took, context))

    def assertRawRejected(self, data, statuses, context, must_close=True):
        """Sends raw bytes; the answer must be one of `statuses` (or, if None is among them, no
        answer at all) and the server must close the connection."""
        raw, closed = exchange_bytes(self.server.port, data)
        status = status_of(raw)
        self.assertIn(status, statuses, "%s: got %r" % (context, raw[:300]))
        if must_close:
            self.assertTrue(closed, "%s: the server kept the connection open" % context)
        if status is not None and status >= 400:
            code, _message = h.parse_error(body_of(raw))
            self.assertTrue(code, "%s: error without a code" % context)
        self.assertServing(context)
        return raw

    _s3 = None

    def client(self, tenant_name=None, **kwargs):
        """boto3 clients are slow to build: one per class for the default tenant."""
        if tenant_name is not None or kwargs:
            return super().client(tenant_name, **kwargs)
        if type(self)._s3 is None:
            type(self)._s3 = super().client()
        return type(self)._s3

    def assertObjectMissing(self, bucket, key, tenant_name=None):
        resp = self.raw("HEAD", h.object_path(bucket, key), tenant_name=tenant_name)
        self.assertEqual(resp.status, 404, "%s/%s exists (HEAD → %d)" % (bucket, key, resp.status))

    def send_signed(self, method, signed_path, sent_target, body=b""):
        """Signs for `signed_path` (its decoded form is what SigV4 covers) but sends `sent_target`,
        e.g. the same path with every byte percent-encoded. Returns the raw response bytes."""
        _target, headers = h.sign_request(self.server.port, method, signed_path, body=body,
                                          tenant=self.tenants["alice"])
        headers["Content-Length"] = str(len(body))
        headers["Connection"] = "close"
        head = "%s %s HTTP/1.1\r\n%s\r\n" % (method, sent_target,
                                             "".join("%s: %s\r\n" % kv for kv in headers.items()))
        raw, _closed = exchange_bytes(self.server.port, head.encode() + body)
        return raw

    def keys(self, bucket=None):
        s3 = self.client()
        return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket or self.bucket).get("Contents", [])]

    def head_line(self, method, target, headers=()):
        host = "127.0.0.1:%d" % self.server.port
        text = "%s %s HTTP/1.1\r\nHost: %s\r\n" % (method, target, host)
        text += "".join("%s: %s\r\n" % kv for kv in headers)
        return text.encode("latin-1")


# ---------------------------------------------------------------------------------------------
# HTTP framing

class HttpFramingTest(HostileBase):
    """Garbage at the HTTP level: a 4xx (431 for header limits) and a closed connection."""

    def test_oversized_header(self):
        raw = self.assertRawRejected(
            self.head_line("GET", "/", [("X-Big", "a" * 20000)]) + b"\r\n", {431}, "20 KB header")
        code, _ = h.parse_error(body_of(raw))
        self.assertEqual(code, "RequestHeaderSectionTooLarge")
        # Many medium headers adding up to more than 16 KiB.
        many = [("X-Pad-%d" % i, "b" * 400) for i in range(50)]
        self.assertRawRejected(self.head_line("GET", "/", many) + b"\r\n", {431}, "50 x 400 B headers")
        # A request line longer than the whole header budget.
        self.assertRawRejected(self.head_line("GET", "/" + "c" * 20000) + b"\r\n", {400, 414, 431},
                               "20 KB request target")

    def test_too_many_headers(self):
        headers = [("X-H-%d" % i, "v") for i in range(150)]
        raw = self.assertRawRejected(self.head_line("GET", "/", headers) + b"\r\n", {431}, "150 headers")
        code, _ = h.parse_error(body_of(raw))
        self.assertEqual(code, "RequestHeaderSectionTooLarge")

    def test_garbage_request_lines(self):
        garbage = [
            b"GARBAGE\r\n\r\n",
            b"GET\r\n\r\n",
            b"GET /\r\n\r\n",  # HTTP/0.9
            b" GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n",
            b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(64)) + b"\r\n\r\n",  # TLS hello
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",  # HTTP/2 preface
            b"\xff\xfe\xfd\r\n\r\n",
            b"GET / HTTP/1.1\r\nNoColonHere\r\n\r\n",
            b"GET / HTTP/1.1\r\n: empty-name\r\n\r\n",
            b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
            b"GET / HTTP/1.1\r\nX-Ctl: a\x01b\r\n\r\n",
            b"GET / HTTP/1.1\r\n folded: x\r\n\r\n",
        ]
        for data in garbage:
            with self.subTest(data=data[:40]):
                self.assertRawRejected(data, {400, None}, "garbage %r" % data[:40])

    def test_invalid_http_versions(self):
        for version in (b"HTTP/x.1", b"HTTQ/1.1", b"HTTP/1.1.1", b"HTTP/11", b"HTTP/", b"HTTP/1.",
                        b"http/1.1", b"HTTP/1.1\x00"):
            with self.subTest(version=version):
                data = b"GET / " + version + b"\r\nHost: x\r\n\r\n"
                self.assertRawRejected(data, {400, 505, None}, "version %r" % version)

    def test_nul_bytes(self):
        path = h.object_path(self.bucket, SENTINEL_KEY).encode()
        for data in (b"GET " + path + b"\x00x HTTP/1.1\r\nHost: x\r\n\r\n",
                     b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
                     b"GET / HTTP/1.1\r\nX-Nul: a\x00b\r\n\r\n",
                     b"GET / HTTP/1.1\r\nX-\x00: v\r\n\r\n",
                     b"\x00" * 64 + b"\r\n\r\n"):
            with self.subTest(data=data[:40]):
                self.assertRawRejected(data, {400, None}, "NUL in %r" % data[:40])

    def test_bad_content_length_framing(self):
        target = h.object_path(self.bucket, "framing.bin")
        cases = [
            [("Content-Length", "abc")],
            [("Content-Length", "-1")],
            [("Content-Length", "1 2")],
            [("Content-Length", "0x10")],
            [("Content-Length", "18446744073709551616")],  # 2**64
            [("Content-Length", "99999999999999999999999999")],
            [("Content-Length", "5"), ("Content-Length", "6")],
            [("Transfer-Encoding", "chunked"), ("Content-Length", "5")],  # smuggling attempt
        ]
        for headers in cases:
            with self.subTest(headers=headers):
                data = self.head_line("PUT", target, headers) + b"\r\nhello"
                self.assertRawRejected(data, {400, 411, 501, None}, "framing %r" % headers)
        self.assertNotIn("framing.bin", self.keys())

    def test_transfer_encoding_not_final_chunked(self):
        """RFC 9112 §6.3: a request whose Transfer-Encoding does not end in chunked has no
        determinable length: the server MUST answer 400 and close. Treating the body as empty and
        parsing the body bytes as the next request on the connection is a request-smuggling
        primitive behind any proxy that frames the message differently."""
        smuggled = self.head_line("GET", "/smuggled-request", [("X-Smuggled", "yes")]) + b"\r\n"
        for te in ("gzip", "chunked, identity", "gzip, chunked, identity", "identity"):
            with self.subTest(transfer_encoding=te):
                data = self.head_line("PUT", h.object_path(self.bucket, "te.bin"), [("Transfer-Encoding", te)])
                raw, closed = exchange_bytes(self.server.port, data + b"\r\n" + smuggled, timeout=1.0)
                self.assertEqual(status_of(raw), 400, "Transfer-Encoding: %s → %r" % (te, raw[:200]))
                self.assertEqual(raw.count(b"HTTP/1.1 "), 1,
                                 "the body was parsed as a second request (smuggling): %r" % raw[:600])
                self.assertTrue(closed, "connection kept open after an undeterminable body length")
        self.assertServing("Transfer-Encoding without final chunked")

    def test_bad_chunked_transfer_encoding(self):
        target = h.object_path(self.bucket, "chunked.bin")
        for body in (b"zz\r\nhello\r\n0\r\n\r\n",  # non-hex size
                     b"ffffffffffffffffffff\r\nx\r\n0\r\n\r\n",  # size overflow
                     b"5\r\nhelloEXTRA\r\n0\r\n\r\n"):  # chunk longer than declared
            with self.subTest(body=body[:30]):
                data = self.head_line("PUT", target, [("Transfer-Encoding", "chunked")]) + b"\r\n" + body
                self.assertRawRejected(data, {400, 403, 411, None}, "chunked %r" % body[:30])
        self.assertNotIn("chunked.bin", self.keys())
        self.assertNoTempFiles()

    def test_nonsense_methods_and_targets(self):
        """Well-framed but meaningless requests: an S3 error, and the connection stays usable."""
        for method, target in (("PROPFIND", "/"), ("TRACE", "/"), ("CONNECT", "example.org:443"),
                               ("GET", "*"), ("GET", "http://evil.example/"), ("GET", "//"),
                               ("GET", "/%zz"), ("GET", "/%"), ("BREW", "/pot")):
            with self.subTest(method=method, target=target):
                data = self.head_line(method, target, [("Connection", "close")]) + b"\r\n"
                raw, closed = exchange_bytes(self.server.port, data)
                status = status_of(raw)
                self.assertIsNotNone(status, "no response to %s %s: %r" % (method, target, raw[:200]))
                self.assertTrue(400 <= status < 500 or status == 501, "%s %s → %r" % (method, target, raw[:300]))
                self.assertTrue(closed)
                self.assertServing("%s %s" % (method, target))


# ---------------------------------------------------------------------------------------------
# Keys

class KeysTest(HostileBase):

    def test_key_too_long(self):
        for key in ("k" * 2000, "k" * 1025, "\u00e9" * 513):  # the limit is 1024 bytes of UTF-8
            with self.subTest(key_len=len(key.encode())):
                path = h.object_path(self.bucket, key)
                self.assertS3Error(self.raw("PUT", path, body=b"x"), 400, "KeyTooLongError")
                self.assertS3Error(self.raw("GET", path), 400, "KeyTooLongError")
                self.assertServing("long key")
        # Exactly 1024 bytes is allowed.
        key = "k" * 1024
        resp = self.raw("PUT", h.object_path(self.bucket, key), body=b"max")
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual(self.raw("GET", h.object_path(self.bucket, key)).body, b"max")
        self.client().delete_object(Bucket=self.bucket, Key=key)
        # Also in a multipart upload's key and a copy source.
        resp = self.raw("POST", h.object_path(self.bucket, "m" * 2000), query={"uploads": None})
        self.assertS3Error(resp, 400, "KeyTooLongError")
        self.assertNoTempFiles()

    def test_invalid_utf8_keys(self):
        for raw_key in ("%FF%FE", "a%C0%AFb", "%ED%A0%80", "x%E2%82", "%F8%88%80%80%80", "a%00b",
                        "%F4%90%80%80"):
            with self.subTest(key=raw_key):
                path = "/%s/%s" % (self.bucket, raw_key)
                resp = self.raw("PUT", path, body=b"x")
                self.assertS3Error(resp, 400, "InvalidArgument")
                resp = self.raw("GET", path)
                self.assertS3Error(resp, 400, "InvalidArgument")
                self.assertServing("key %s" % raw_key)
        self.assertEqual(self.keys(), [SENTINEL_KEY])
        self.assertNoTempFiles()

    def test_malformed_percent_escapes(self):
        for path in ("/%s/a%%G1" % self.bucket, "/%s/a%%" % self.bucket, "/%s/a%%4" % self.bucket):
            with self.subTest(path=path):
                resp = self.raw("PUT", path, body=b"x")
                self.assertTrue(400 <= resp.status < 500, (resp.status, resp.body[:300]))
                h.parse_error(resp.body)
                self.assertServing(path)
        self.assertEqual(self.keys(), [SENTINEL_KEY])

    def test_path_traversal_keys_are_literal(self):
        root = self.server.root
        parent = os.path.dirname(root)
        outside_before = set(os.listdir(parent))
        with open("/etc/passwd", "rb") as f:
            passwd_before = hashlib.sha256(f.read()).hexdigest()
        root_before = {p for p in h.files_under(root) if not p.startswith("data" + os.sep)}

        keys = ["../../etc/passwd", "a/../../b", "..", "../", "./x", "/abs/path", "../" * 20 + "tmp/x",
                "..\\..\\windows\\win.ini", "blobs/../herd.db", "%2e%2e/%2e%2e/literal", "tmp/../../x",
                "staging/../../../y"]
        stored = {}
        for i, key in enumerate(keys):
            with self.subTest(key=key):
                body = ("traversal %d %s\n" % (i, key)).encode()
                resp = self.raw("PUT", h.object_path(self.bucket, key), body=body)
                self.assertEqual(resp.status, 200, "PUT %r: %r" % (key, resp.body[:300]))
                stored[key] = body
        # The same keys, percent-encoded all the way (dots and slashes as escapes).
        enc_key = "../../etc/shadow"
        enc_path = "/%s/%s" % (self.bucket, "".join("%%%02X" % b for b in enc_key.encode()))
        raw = self.send_signed("PUT", h.object_path(self.bucket, enc_key), enc_path, b"encoded traversal")
        self.assertEqual(status_of(raw), 200, raw[:300])
        stored[enc_key] = b"encoded traversal"

        # Each is served back as the literal key, and listed as such.
        for key, body in stored.items():
            with self.subTest(get=key):
                resp = self.raw("GET", h.object_path(self.bucket, key))
                self.assertEqual(resp.status, 200, "GET %r: %r" % (key, resp.body[:300]))
                self.assertEqual(resp.body, body)
        self.assertEqual(sorted(self.keys()), sorted(list(stored) + [SENTINEL_KEY]))

        # Nothing appeared outside the data directory, and inside it only Herd's own files.
        for name in ("etc", "b", "x", "y", "abs", "windows"):
            if name not in outside_before:
                self.assertFalse(os.path.exists(os.path.join(parent, name)), "%s created next to the root" % name)
        root_after = {p for p in h.files_under(root) if not p.startswith("data" + os.sep)}
        self.assertEqual(root_after, root_before, "files appeared outside DATA")
        blob_pattern = re.compile(r"^blobs/([0-9a-f]{2})/([0-9a-f]{2})/\1\2[0-9a-f]{60}$")
        pack_pattern = re.compile(r"^packs/[0-9a-f]{16}\.pack$")
        for rel in h.files_under(self.server.data):
            ok = (rel in ("herd.db", "herd.db-wal", "herd.db-shm", "serve.lock", "gc.lock") or blob_pattern.match(rel)
                  or pack_pattern.match(rel)
                  or rel.startswith("tmp/") or rel.startswith("staging/"))
            self.assertTrue(ok, "unexpected file in DATA: %r" % rel)
        with open("/etc/passwd", "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), passwd_before)

        # Deleting by the literal keys (single and batch) removes exactly those objects.
        s3 = self.client()
        s3.delete_object(Bucket=self.bucket, Key="../../etc/passwd")
        s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in stored]})
        self.assertEqual(self.keys(), [SENTINEL_KEY])
        self.assertServing("traversal keys")

    def test_whitespace_only_keys(self):
        """Keys made only of whitespace are legal S3 keys: stored, listed, and deletable one by one
        and in a DeleteObjects batch (clients send them as raw text: <Key> </Key>)."""
        keys = [" ", "  ", "\t", " \t ", " a "]
        s3 = self.client()
        for key in keys:
            s3.put_object(Bucket=self.bucket, Key=key, Body=b"ws")
        self.assertEqual(sorted(self.keys()), sorted(keys + [SENTINEL_KEY]))
        result = s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in keys]})
        left = [k for k in self.keys() if k != SENTINEL_KEY]
        for key in left:  # clean up whatever the batch missed, so other tests see a tidy bucket
            s3.delete_object(Bucket=self.bucket, Key=key)
        self.assertEqual(result.get("Errors", []), [], "DeleteObjects refused whitespace-only keys")
        self.assertEqual(sorted(d["Key"] for d in result.get("Deleted", [])), sorted(keys))
        self.assertEqual(left, [], "still stored after DeleteObjects: %r" % left)

    def test_traversal_bucket_names(self):
        for path in ("/..", "/../etc", "/%2E%2E/%2E%2E/etc/passwd", "/.", "/./x", "/..%2F..%2Fetc/passwd"):
            with self.subTest(path=path):
                resp = self.raw("PUT", path, body=b"x")
                self.assertTrue(400 <= resp.status < 500, (path, resp.status, resp.body[:300]))
                h.parse_error(resp.body)
                resp = self.raw("GET", path)
                self.assertTrue(400 <= resp.status < 500, (path, resp.status, resp.body[:300]))
        names = [b["Name"] for b in self.client().list_buckets()["Buckets"]]
        self.assertEqual(names, [self.bucket])
        self.assertServing("traversal bucket names")


# ---------------------------------------------------------------------------------------------
# Body size claims

class ContentLengthClaimTest(HostileBase):
    """Default limits (5 GiB): absurd Content-Length values are refused before any body is read."""

    def put_claim(self, key, length, timeout=2.0, **kwargs):
        start = time.monotonic()
        resp = self.raw("PUT", h.object_path(self.bucket, key), payload_hash=h.UNSIGNED, send_body=b"",
                        content_length=length, timeout=timeout, **kwargs)
        return resp, time.monotonic() - start

    def test_huge_content_length(self):
        for length in (10 ** 15, (5 << 30) + 1, 2 ** 63 - 1, 2 ** 63, 2 ** 64 - 1):
            with self.subTest(length=length):
                try:
                    resp, took = self.put_claim("huge.bin", length)
                except socket.timeout:
                    self.fail("no answer within 2s to Content-Length %d: the server is waiting for the "
                              "body instead of answering EntityTooLarge" % length)
                self.assertS3Error(resp, 400, "EntityTooLarge")
                self.assertLess(took, QUICK)
                self.assertEqual(resp.headers.get("connection", "").lower(), "close")
                self.assertServing("Content-Length %d" % length)
        self.assertObjectMissing(self.bucket, "huge.bin")
        self.assertNoTempFiles()

    def test_huge_content_length_with_expect_continue(self):
        resp, took = self.put_claim("huge-expect.bin", 10 ** 15, expect_continue=True)
        self.assertS3Error(resp, 400, "EntityTooLarge")
        self.assertFalse(resp.interim and resp.interim.startswith(b"HTTP/1.1 100"),
                         "100 Continue sent for a body that can never be accepted")
        self.assertLess(took, QUICK)
        self.assertObjectMissing(self.bucket, "huge-expect.bin")
        self.assertServing("Expect + huge Content-Length")

    def test_huge_signed_hex_claim(self):
        resp = self.raw("PUT", h.object_path(self.bucket, "huge-hex.bin"), send_body=b"", content_length=10 ** 15,
                        payload_hash=h.sha256_hex(b"whatever"), timeout=QUICK)
        self.assertS3Error(resp, 400, "EntityTooLarge")
        self.assertObjectMissing(self.bucket, "huge-hex.bin")

    def test_huge_decoded_content_length(self):
        resp = self.raw("PUT", h.object_path(self.bucket, "huge-stream.bin"), send_body=b"", content_length=100,
                        payload_hash=STREAM_UNSIGNED, headers=streaming_headers(10 ** 15), timeout=QUICK)
        self.assertS3Error(resp, 400, "EntityTooLarge")
        for huge in (2 ** 63, 2 ** 64 - 1):
            with self.subTest(decoded=huge):
                try:
                    resp = self.raw("PUT", h.object_path(self.bucket, "huge-stream.bin"), send_body=b"",
                                    content_length=100, payload_hash=STREAM_UNSIGNED,
                                    headers=streaming_headers(huge), timeout=2.0)
                except socket.timeout:
                    self.fail("no answer within 2s to x-amz-decoded-content-length %d: the server is "
                              "waiting for the body instead of answering EntityTooLarge" % huge)
                self.assertS3Error(resp, 400, "EntityTooLarge")
        for bad in ("-1", "abc", "99999999999999999999999"):
            with self.subTest(decoded=bad):
                resp = self.raw("PUT", h.object_path(self.bucket, "huge-stream.bin"), send_body=b"",
                                content_length=100, payload_hash=STREAM_UNSIGNED,
                                headers=streaming_headers(bad), timeout=QUICK)
                self.assertTrue(400 <= resp.status < 500, (resp.status, resp.body[:300]))
        self.assertObjectMissing(self.bucket, "huge-stream.bin")
        self.assertServing("huge decoded length")

    def test_huge_upload_part(self):
        s3 = self.client()
        upload_id = s3.create_multipart_upload(Bucket=self.bucket, Key="mp-huge.bin")["UploadId"]
        try:
            resp = self.raw("PUT", h.object_path(self.bucket, "mp-huge.bin"),
                            query={"partNumber": "1", "uploadId": upload_id}, payload_hash=h.UNSIGNED,
                            send_body=b"", content_length=10 ** 15, timeout=QUICK)
            self.assertS3Error(resp, 400, "EntityTooLarge")
            parts = s3.list_parts(Bucket=self.bucket, Key="mp-huge.bin", UploadId=upload_id).get("Parts", [])
            self.assertEqual(parts, [])
        finally:
            s3.abort_multipart_upload(Bucket=self.bucket, Key="mp-huge.bin", UploadId=upload_id)
        self.assertNoTempFiles()
        self.assertServing("huge part")

    def test_small_body_limits(self):
        """XML bodies have their own small limits, checked against the declared length."""
        s3 = self.client()
        upload_id = s3.create_multipart_upload(Bucket=self.bucket, Key="mp-xml.bin")["UploadId"]
        try:
            cases = [("POST", h.object_path(self.bucket), {"delete": None}),
                     ("POST", h.object_path(self.bucket, "mp-xml.bin"), {"uploadId": upload_id}),
                     ("PUT", h.object_path(self.bucket, SENTINEL_KEY), {"acl": None}),
                     ("PUT", h.object_path(self.bucket), {"acl": None})]
            for method, path, query in cases:
                with self.subTest(method=method, query=query):
                    start = time.monotonic()
                    resp = self.raw(method, path, query=query, payload_hash=h.UNSIGNED, send_body=b"",
                                    content_length=10 ** 12, timeout=QUICK)
                    self.assertLess(time.monotonic() - start, QUICK)
                    self.assertTrue(400 <= resp.status < 500, (resp.status, resp.body[:300]))
                    h.parse_error(resp.body)
                    self.assertServing("%s %r with 1 TB body" % (method, query))
        finally:
            s3.abort_multipart_upload(Bucket=self.bucket, Key="mp-xml.bin", UploadId=upload_id)


class MaxObjectSizeTest(HostileBase):
    """[storage] max_object_size from a config file."""

    LIMIT = 1024
    SERVER_CONFIG = "[storage]\nmax_object_size = %d\n" % LIMIT

    def test_declared_length_over_limit(self):
        for length in (self.LIMIT + 1, 10 * self.LIMIT, 10 ** 15):
            with self.subTest(length=length):
                start = time.monotonic()
                resp = self.raw("PUT", h.object_path(self.bucket, "big.bin"), payload_hash=h.UNSIGNED,
                                send_body=b"", content_length=length, timeout=QUICK)
                self.assertS3Error(resp, 400, "EntityTooLarge")
                self.assertLess(time.monotonic() - start, QUICK)
                self.assertServing("Content-Length %d > limit" % length)
        self.assertObjectMissing(self.bucket, "big.bin")
        self.assertNoTempFiles()

    def test_boundary(self):
        data = os.urandom(self.LIMIT)
        resp = self.raw("PUT", h.object_path(self.bucket, "exact.bin"), body=data)
        self.assertEqual(resp.status, 200, resp.body)
        resp = self.raw("PUT", h.object_path(self.bucket, "over.bin"), body=data + b"!")
        self.assertS3Error(resp, 400, "EntityTooLarge")
        self.assertObjectMissing(self.bucket, "over.bin")
        self.assertEqual(self.raw("GET", h.object_path(self.bucket, "exact.bin")).body, data)
        self.client().delete_object(Bucket=self.bucket, Key="exact.bin")
        self.assertNoTempFiles()

    def test_streaming_over_limit(self):
        data = os.urandom(2 * self.LIMIT)
        framed = b"%x\r\n" % len(data) + data + b"\r\n0\r\n\r\n"
        resp = self.raw("PUT", h.object_path(self.bucket, "stream-big.bin"), payload_hash=STREAM_UNSIGNED,
                        send_body=framed, headers=streaming_headers(len(data)))
        self.assertS3Error(resp, 400, "EntityTooLarge")
        # A decoded length that lies (claims 10 bytes) must not get more than the limit stored.
        resp = self.raw("PUT", h.object_path(self.bucket, "stream-lie.bin"), payload_hash=STREAM_UNSIGNED,
                        send_body=framed, headers=streaming_headers(10))
        self.assertTrue(400 <= resp.status < 500, (resp.status, resp.body[:300]))
        h.parse_error(resp.body)
        self.assertObjectMissing(self.bucket, "stream-big.bin")
        self.assertObjectMissing(self.bucket, "stream-lie.bin")
        self.assertNoTempFiles()
        self.assertServing("streaming over limit")

    def test_transfer_encoding_chunked_over_limit(self):
        """A chunked body has no declared length: the limit is enforced while it is read."""
        data = os.urandom(2 * self.LIMIT)
        target, headers = h.sign_request(self.server.port, "PUT", h.object_path(self.bucket, "te.bin"),
                                         tenant=self.tenants["alice"], payload_hash=h.UNSIGNED)
        headers["Transfer-Encoding"] = "chunked"
        headers["Connection"] = "close"
        head = "PUT %s HTTP/1.1\r\n%s\r\n" % (target, "".join("%s: %s\r\n" % kv for kv in headers.items()))
        body = b"%x\r\n" % len(data) + data + b"\r\n0\r\n\r\n"
        raw, _closed = exchange_bytes(self.server.port, head.encode() + body)
        self.assertEqual(status_of(raw), 400, raw[:300])
        self.assertIn(b"EntityTooLarge", raw)
        self.assertObjectMissing(self.bucket, "te.bin")
        self.assertNoTempFiles()
        self.assertServing("Transfer-Encoding: chunked")

    def test_upload_part_over_limit(self):
        s3 = self.client()
        upload_id = s3.create_multipart_upload(Bucket=self.bucket, Key="mp.bin")["UploadId"]
        try:
            resp = self.raw("PUT", h.object_path(self.bucket, "mp.bin"),
                            query={"partNumber": "1", "uploadId": upload_id}, body=os.urandom(self.LIMIT + 1))
            self.assertS3Error(resp, 400, "EntityTooLarge")
            self.assertEqual(s3.list_parts(Bucket=self.bucket, Key="mp.bin", UploadId=upload_id).get("Parts", []), [])
        finally:
            s3.abort_multipart_upload(Bucket=self.bucket, Key="mp.bin", UploadId=upload_id)
        self.assertNoTempFiles()


# ---------------------------------------------------------------------------------------------
# XML bodies

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(' <!ENTITY lol%d "%s">\n' % (i, ("&lol%s;" % (i - 1 if i > 1 else "")) * 10) for i in range(1, 10))
    + ']>\n<ROOT><Object><Key>&lol9;</Key></Object><Part><PartNumber>1</PartNumber><ETag>&lol9;</ETag></Part>'
    '<AccessControlList><Grant><Permission>&lol9;</Permission></Grant></AccessControlList></ROOT>')

EXTERNAL_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE ROOT [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    '<ROOT><Object><Key>&xxe;</Key></Object><Part><PartNumber>1</PartNumber><ETag>&xxe;</ETag></Part>'
    '<AccessControlList><Grant><Grantee><URI>&xxe;</URI></Grantee></Grant></AccessControlList></ROOT>')

EXTERNAL_DTD = '<?xml version="1.0"?>\n<!DOCTYPE ROOT SYSTEM "http://127.0.0.1:9/evil.dtd">\n<ROOT/>'

PARAMETER_ENTITY = ('<?xml version="1.0"?>\n<!DOCTYPE ROOT [<!ENTITY % pe SYSTEM "file:///etc/passwd"> %pe;]>\n'
                    '<ROOT/>')

# Fits the smallest XML body limit (64 KiB for ACLs); would expand to 40 MB.
QUADRATIC_BLOWUP = ('<?xml version="1.0"?>\n<!DOCTYPE ROOT [<!ENTITY a "' + "a" * 20000 + '">]>\n<ROOT><Object><Key>'
                    + "&a;" * 2000 + '</Key></Object></ROOT>')


class XmlBodiesTest(HostileBase):
    """DeleteObjects, CompleteMultipartUpload and PutObjectAcl / PutBucketAcl with hostile XML."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s3 = cls.server.client(cls.tenants["alice"])
        cls.upload_key = "pending.bin"
        cls.part_data = b"a single small part"
        cls.upload_id = s3.create_multipart_upload(Bucket=cls.bucket, Key=cls.upload_key)["UploadId"]
        cls.part_etag = s3.upload_part(Bucket=cls.bucket, Key=cls.upload_key, UploadId=cls.upload_id,
                                       PartNumber=1, Body=cls.part_data)["ETag"]

    def targets(self):
        """(label, method, path, query, root element name) of every XML-taking operation."""
        return [
            ("DeleteObjects", "POST", h.object_path(self.bucket), {"delete": None}, "Delete"),
            ("CompleteMultipartUpload", "POST", h.object_path(self.bucket, self.upload_key),
             {"uploadId": self.upload_id}, "CompleteMultipartUpload"),
            ("PutObjectAcl", "PUT", h.object_path(self.bucket, SENTINEL_KEY), {"acl": None}, "AccessControlPolicy"),
            ("PutBucketAcl", "PUT", h.object_path(self.bucket), {"acl": None}, "AccessControlPolicy"),
        ]

    def assertStateIntact(self):
        s3 = self.client()
        self.assertEqual(sorted(self.keys()), [SENTINEL_KEY])
        parts = s3.list_parts(Bucket=self.bucket, Key=self.upload_key, UploadId=self.upload_id)["Parts"]
        self.assertEqual([(p["PartNumber"], p["ETag"]) for p in parts], [(1, self.part_etag)])
        for acl in (s3.get_object_acl(Bucket=self.bucket, Key=SENTINEL_KEY), s3.get_bucket_acl(Bucket=self.bucket)):
            uris = [g["Grantee"].get("URI") for g in acl["Grants"]]
            self.assertNotIn("http://acs.amazonaws.com/groups/global/AllUsers", uris)
        resp = self.raw("GET", h.object_path(self.bucket, SENTINEL_KEY), anonymous=True)
        self.assertEqual(resp.status, 403)

    def send_xml(self, method, path, query, body):
        start = time.monotonic()
        resp = self.raw(method, path, query=query, body=body, timeout=QUICK * 2)
        return resp, time.monotonic() - start

    def test_entity_attacks_refused(self):
        pid = self.server.proc.pid
        rss_before = rss_kib(pid)
        docs = {"billion laughs": BILLION_LAUGHS, "external entity": EXTERNAL_ENTITY, "external DTD": EXTERNAL_DTD,
                "parameter entity": PARAMETER_ENTITY, "quadratic blowup": QUADRATIC_BLOWUP}
        for label, method, path, query, root in self.targets():
            for name, doc in docs.items():
                with self.subTest(op=label, doc=name):
                    body = doc.replace("ROOT", root).encode()
                    resp, took = self.send_xml(method, path, query, body)
                    self.assertS3Error(resp, 400, "MalformedXML")
                    self.assertLess(took, QUICK, "%s/%s took %.1fs" % (label, name, took))
                    self.assertNotIn(b"root:", resp.body)
                    self.assertNotIn(b"lollollol", resp.body)
        rss_after = rss_kib(pid)
        if rss_before and rss_after:
            self.assertLess(rss_after - rss_before, 200 * 1024, "server RSS grew by %d KiB" % (rss_after - rss_before))
        self.assertStateIntact()
        self.assertServing("entity attacks")

    def test_doctype_spelling_variants(self):
        """Variants a naive '<!DOCTYPE' substring check could miss must never expand anything."""
        variants = {
            "lower-case doctype": '<?xml version="1.0"?><!doctype ROOT [<!entity x "EXPANDED">]><ROOT>%s</ROOT>',
            "whitespace": '<?xml version="1.0"?><!DOCTYPE\tROOT [<!ENTITY\nx "EXPANDED">]><ROOT>%s</ROOT>',
        }
        inner = {"Delete": "<Object><Key>&x;</Key></Object>",
                 "CompleteMultipartUpload": "<Part><PartNumber>1</PartNumber><ETag>&x;</ETag></Part>",
                 "AccessControlPolicy": "<AccessControlList><Grant><Grantee><URI>&x;</URI></Grantee>"
                                        "<Permission>READ</Permission></Grant></AccessControlList>"}
        for label, method, path, query, root in self.targets():
            for name, template in variants.items():
                with self.subTest(op=label, variant=name):
                    body = (template.replace("ROOT", root) % inner[root]).encode()
                    resp, took = self.send_xml(method, path, query, body)
                    self.assertLess(took, QUICK)
                    self.assertNotIn(b"EXPANDED", resp.body)
                    self.assertTrue(400 <= resp.status < 500 or resp.status == 200, (resp.status, resp.body[:300]))
                    if resp.status != 200:
                        h.parse_error(resp.body)
        self.assertStateIntact()

    def test_malformed_documents(self):
        junk = {
            "empty": b"",
            "truncated": b"<ROOT><Object><Key>a</Key>",
            "not xml": b"this is not xml at all",
            "binary": bytes(range(256)) * 4,
            "wrong root": b"<Nope><Object><Key>a</Key></Object></Nope>",
            "unclosed attr": b'<ROOT a="1><Object/></ROOT>',
            "cdata unterminated": b"<ROOT><![CDATA[ never ends",
            "processing instr": b'<?xml-stylesheet href="file:///etc/passwd"?><ROOT',
            "utf-16 garbage": "<ROOT>\ud800</ROOT>".encode("utf-16", "surrogatepass"),
        }
        for label, method, path, query, root in self.targets():
            for name, doc in junk.items():
                with self.subTest(op=label, doc=name):
                    body = doc.replace(b"ROOT", root.encode())
                    resp, took = self.send_xml(method, path, query, body)
                    self.assertLess(took, QUICK)
                    self.assertTrue(400 <= resp.status < 500, "%s/%s: %r %r" % (label, name, resp.status,
                                                                                resp.body[:300]))
                    code, _ = h.parse_error(resp.body)
                    self.assertIn(code, ("MalformedXML", "MalformedACLError", "MissingSecurityHeader",
                                         "InvalidPart", "InvalidArgument"), "%s/%s" % (label, name))
        self.assertStateIntact()
        self.assertServing("malformed XML")

    def test_not_well_formed_documents(self):
        """Documents that break XML well-formedness in ways a lenient parser lets through: S3 answers
        MalformedXML. (DeleteObjects with no <Object> at all is MalformedXML in S3 as well.)"""
        # "victim" exists: a key that a NUL character reference truncates to "victim" must not delete it.
        self.client().put_object(Bucket=self.bucket, Key="victim", Body=b"must survive")
        docs = {
            "two roots": b"<ROOT><Object><Key>two-roots</Key></Object></ROOT><ROOT/>",
            "undefined entity": b"<ROOT><Object><Key>&nope;</Key></Object></ROOT>",
            "NUL char ref": b"<ROOT><Object><Key>victim&#0;.bak</Key></Object></ROOT>",
            "out-of-range char ref": b"<ROOT><Object><Key>a&#xFFFFFFFF;b</Key></Object></ROOT>",
            "no Object": b"<ROOT><Quiet>true</Quiet></ROOT>",
        }
        label, method, path, query, root = self.targets()[0]
        try:
            for name, doc in docs.items():
                with self.subTest(op=label, doc=name):
                    resp, took = self.send_xml(method, path, query, doc.replace(b"ROOT", root.encode()))
                    self.assertLess(took, QUICK)
                    self.assertS3Error(resp, 400, "MalformedXML")
            with self.subTest(check="NUL truncation deletes another object"):
                resp = self.raw("HEAD", h.object_path(self.bucket, "victim"))
                self.assertEqual(resp.status, 200, "DeleteObjects with <Key>victim&#0;.bak</Key> deleted the "
                                 "object 'victim' (the key was cut at the NUL)")
        finally:
            self.client().delete_object(Bucket=self.bucket, Key="victim")
        self.assertStateIntact()

    def test_well_formed_edge_cases_accepted(self):
        """The guards against entity tricks must not refuse well-formed XML: a bare '&' is legal
        inside CDATA sections, comments and processing instructions."""
        s3 = self.client()
        s3.put_object(Bucket=self.bucket, Key="R&D.txt", Body=b"x")
        docs = {
            "CDATA": b"<Delete><Object><Key><![CDATA[R&D.txt]]></Key></Object></Delete>",
            "comment": b"<Delete><!-- R&D --><Object><Key>R&amp;D.txt</Key></Object></Delete>",
            "processing instruction": b"<?xml version='1.0'?><?app a&b?><Delete><Object><Key>R&amp;D.txt</Key>"
                                      b"</Object></Delete>",
        }
        label, method, path, query, _root = self.targets()[0]
        try:
            for name, doc in docs.items():
                with self.subTest(doc=name):
                    s3.put_object(Bucket=self.bucket, Key="R&D.txt", Body=b"x")
                    resp, _took = self.send_xml(method, path, query, doc)
                    self.assertEqual(resp.status, 200, "%s: %r" % (name, resp.body[:300]))
                    self.assertIn(b"<Key>R&amp;D.txt</Key>", resp.body)
        finally:
            s3.delete_object(Bucket=self.bucket, Key="R&D.txt")
        self.assertStateIntact()

    def test_deep_nesting_and_many_elements(self):
        depth = 100000
        deep = "<ROOT>" + "<a>" * depth + "</a>" * depth + "</ROOT>"
        wide_parts = "<CompleteMultipartUpload>" + "".join(
            "<Part><PartNumber>%d</PartNumber><ETag>x</ETag></Part>" % n for n in range(1, 10001)) + \
            "</CompleteMultipartUpload>"
        too_many_keys = "<Delete>" + "".join(
            "<Object><Key>k%d</Key></Object>" % i for i in range(1001)) + "</Delete>"
        for label, method, path, query, root in self.targets():
            with self.subTest(op=label, doc="deep"):
                resp, took = self.send_xml(method, path, query, deep.replace("ROOT", root).encode())
                self.assertLess(took, QUICK)
                self.assertTrue(resp.status == 200 or 400 <= resp.status < 500, (resp.status, resp.body[:300]))
        complete = self.targets()[1]
        resp, took = self.send_xml(complete[1], complete[2], complete[3], wide_parts.encode())
        self.assertLess(took, QUICK)
        self.assertTrue(400 <= resp.status < 500, (resp.status, resp.body[:300]))
        delete = self.targets()[0]
        resp, took = self.send_xml(delete[1], delete[2], delete[3], too_many_keys.encode())
        self.assertS3Error(resp, 400, "MalformedXML")
        self.assertStateIntact()
        self.assertServing("deep XML")


# ---------------------------------------------------------------------------------------------
# aws-chunked framing

class AwsChunkedFramingTest(HostileBase):

    def put_stream(self, key, framed, decoded_length, mode=STREAM_UNSIGNED, extra=None):
        return self.raw("PUT", h.object_path(self.bucket, key), payload_hash=mode, send_body=framed,
                        headers=streaming_headers(decoded_length, extra), timeout=QUICK * 2)

    def test_bad_framing_unsigned(self):
        hello = b"hello"
        cases = {
            "non-hex size": (b"zz\r\nhello\r\n0\r\n\r\n", ("InvalidRequest",)),
            "negative size": (b"-5\r\nhello\r\n0\r\n\r\n", ("InvalidRequest",)),
            "hex prefix": (b"0x5\r\nhello\r\n0\r\n\r\n", ("InvalidRequest",)),
            "empty size": (b"\r\nhello\r\n0\r\n\r\n", ("InvalidRequest",)),
            "size overflow": (b"ffffffffffffffffffff\r\nhello\r\n0\r\n\r\n", ("InvalidRequest",)),
            "16 hex digits": (b"0000000000000005\r\nhello\r\n0\r\n\r\n", ("InvalidRequest",)),
            "missing CR after size": (b"5\nhello\r\n0\r\n\r\n", ("InvalidRequest",)),
            "missing CRLF after data": (b"5\r\nhello0\r\n\r\n", ("InvalidRequest",)),
            "chunk longer than declared": (b"3\r\nhello\r\n0\r\n\r\n", ("InvalidRequest",)),
            "chunk shorter than declared": (b"9\r\nhello\r\n0\r\n\r\n", ("InvalidRequest", "IncompleteBody")),
            "no final chunk": (b"5\r\nhello\r\n", ("IncompleteBody",)),
            "no final CRLF": (b"5\r\nhello\r\n0\r\n", ("IncompleteBody",)),
            "data after final chunk": (b"5\r\nhello\r\n0\r\n\r\nEXTRA", ("InvalidRequest",)),
            "giant size, little data": (b"fffffffffffffff\r\nhello", ("IncompleteBody", "InvalidRequest")),
            "line too long": (b"5;" + b"x" * 5000 + b"\r\nhello\r\n0\r\n\r\n", ("InvalidRequest",)),
            "malformed trailer": (b"5\r\nhello\r\n0\r\nno-colon-here\r\n\r\n", ("InvalidRequest",)),
            "empty trailer name": (b"5\r\nhello\r\n0\r\n:value\r\n\r\n", ("InvalidRequest",)),
            "too many trailers": (b"5\r\nhello\r\n0\r\n" + b"".join(b"x-t-%d:v\r\n" % i for i in range(17)) + b"\r\n",
                                  ("InvalidRequest",)),
            "bare LF everywhere": (b"5\nhello\n0\n\n", ("InvalidRequest",)),
        }
        for name, (framed, codes) in cases.items():
            with self.subTest(case=name):
                key = "chunked-%s.bin" % name.replace(" ", "-").replace(",", "")
                resp = self.put_stream(key, framed, len(hello))
                self.assertTrue(400 <= resp.status < 500, "%s: %r %r" % (name, resp.status, resp.body[:300]))
                code, _ = h.parse_error(resp.body)
                self.assertIn(code, codes, "%s: %r" % (name, resp.body[:300]))
                self.assertObjectMissing(self.bucket, key)
                self.assertServing(name)
        self.assertEqual(self.keys(), [SENTINEL_KEY])
        self.assertNoTempFiles()

    def test_decoded_length_mismatch(self):
        framed = b"5\r\nhello\r\n0\r\n\r\n"
        for decoded in (4, 6, 0):
            with self.subTest(decoded=decoded):
                resp = self.put_stream("mismatch.bin", framed, decoded)
                self.assertTrue(400 <= resp.status < 500, (resp.status, resp.body[:300]))
                self.assertObjectMissing(self.bucket, "mismatch.bin")
        # Missing x-amz-decoded-content-length.
        resp = self.raw("PUT", h.object_path(self.bucket, "mismatch.bin"), payload_hash=STREAM_UNSIGNED,
                        send_body=framed, headers={"Content-Encoding": "aws-chunked"})
        self.assertS3Error(resp, 411, "MissingContentLength")
        # Control: the same body with the right length is stored.
        resp = self.put_stream("ok.bin", framed, 5)
        self.assertEqual(resp.status, 200, resp.body)
        self.assertEqual(self.raw("GET", h.object_path(self.bucket, "ok.bin")).body, b"hello")
        self.client().delete_object(Bucket=self.bucket, Key="ok.bin")
        self.assertNoTempFiles()

    def test_bad_framing_signed(self):
        """Signed streaming: framing errors are refused before or instead of signature checks."""
        sig = "0" * 64
        cases = {
            "non-hex size": b"zz;chunk-signature=" + sig.encode() + b"\r\nhello\r\n",
            "missing chunk-signature": b"5\r\nhello\r\n0\r\n\r\n",
            "malformed chunk-signature": b"5;chunk-signature=XYZ\r\nhello\r\n",
            "upper-case signature": b"5;chunk-signature=" + sig.upper().replace("0", "A").encode() + b"\r\nhello\r\n",
            "wrong signature": b"5;chunk-signature=" + sig.encode() + b"\r\nhello\r\n0;chunk-signature="
                               + sig.encode() + b"\r\n\r\n",
        }
        for name, framed in cases.items():
            with self.subTest(case=name):
                resp = self.put_stream("signed-bad.bin", framed, 5, mode=STREAM_SIGNED)
                self.assertIn(resp.status, (400, 403), "%s: %r" % (name, resp.body[:300]))
                code, _ = h.parse_error(resp.body)
                self.assertIn(code, ("InvalidRequest", "SignatureDoesNotMatch", "IncompleteBody"))
                self.assertObjectMissing(self.bucket, "signed-bad.bin")
        self.assertNoTempFiles()
        self.assertServing("signed framing")

    def test_bad_framing_in_upload_part(self):
        s3 = self.client()
        upload_id = s3.create_multipart_upload(Bucket=self.bucket, Key="mp-chunked.bin")["UploadId"]
        try:
            for framed in (b"zz\r\nhello\r\n0\r\n\r\n", b"3\r\nhello\r\n0\r\n\r\n", b"5\r\nhello\r\n"):
                resp = self.raw("PUT", h.object_path(self.bucket, "mp-chunked.bin"),
                                query={"partNumber": "1", "uploadId": upload_id}, payload_hash=STREAM_UNSIGNED,
                                send_body=framed, headers=streaming_headers(5))
                self.assertTrue(400 <= resp.status < 500, (resp.status, resp.body[:300]))
            self.assertEqual(s3.list_parts(Bucket=self.bucket, Key="mp-chunked.bin",
                                           UploadId=upload_id).get("Parts", []), [])
        finally:
            s3.abort_multipart_upload(Bucket=self.bucket, Key="mp-chunked.bin", UploadId=upload_id)
        self.assertNoTempFiles()
        self.assertServing("part framing")


# ---------------------------------------------------------------------------------------------
# Ranges

class RangeOverflowTest(HostileBase):

    SIZE = 1000

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data = bytes((i * 7) % 256 for i in range(cls.SIZE))
        cls.server.client(cls.tenants["alice"]).put_object(Bucket=cls.bucket, Key="r.bin", Body=cls.data)
        cls.server.client(cls.tenants["alice"]).put_object(Bucket=cls.bucket, Key="empty.bin", Body=b"")

    def assertRangeAnswer(self, key, data, range_value):
        resp = self.raw("GET", h.object_path(self.bucket, key), headers={"Range": range_value})
        size = len(data)
        if resp.status == 200:
            self.assertEqual(resp.body, data, range_value)
        elif resp.status == 206:
            m = re.match(r"^bytes (\d+)-(\d+)/(\d+)$", resp.headers.get("content-range", ""))
            self.assertTrue(m, "206 without a valid Content-Range: %r" % resp.headers)
            first, last, total = (int(g) for g in m.groups())
            self.assertEqual(total, size)
            self.assertTrue(0 <= first <= last < size, (range_value, first, last))
            self.assertEqual(resp.body, data[first:last + 1], range_value)
        elif resp.status == 416:
            self.assertS3Error(resp, 416, "InvalidRange")
            self.assertEqual(resp.headers.get("content-range"), "bytes */%d" % size)
        else:
            self.fail("Range %r → %d %r" % (range_value, resp.status, resp.body[:300]))
        return resp.status

    def test_overflowing_ranges(self):
        values = ["bytes=0-99999999999999999999999", "bytes=99999999999999999999999-",
                  "bytes=-99999999999999999999999", "bytes=9223372036854775807-",
                  "bytes=0-9223372036854775807", "bytes=-9223372036854775807", "bytes=-9223372036854775808",
                  "bytes=9223372036854775806-9223372036854775807", "bytes=18446744073709551615-",
                  "bytes=999999999999999999-", "bytes=0-999999999999999999", "bytes=-999999999999999999",
                  "bytes=1000-", "bytes=999-", "bytes=-0", "bytes=-1", "bytes=5-1", "bytes=--1", "bytes=-",
                  "bytes=0-0,1-1", "bytes=1e3-", "bytes= 0-10", "bytes=0 -10", "items=0-1", "bytes=+1-2",
                  "bytes=0x10-", "bytes=\t1-2", "BYTES=1-2", "bytes=" + "9" * 5000, "bytes=0-" + "1" * 5000]
        for value in values:
            with self.subTest(range=value[:60]):
                self.assertRangeAnswer("r.bin", self.data, value)
        # The values the brief calls out explicitly.
        self.assertIn(self.assertRangeAnswer("r.bin", self.data, "bytes=0-99999999999999999999999"), (200, 206, 416))
        # RFC 9110 lets a server ignore a Range (200); Herd ignores numbers of more than 18 digits.
        self.assertIn(self.assertRangeAnswer("r.bin", self.data, "bytes=0-9223372036854775807"), (200, 206))
        self.assertIn(self.assertRangeAnswer("r.bin", self.data, "bytes=9223372036854775807-"), (200, 416))
        self.assertEqual(self.assertRangeAnswer("r.bin", self.data, "bytes=0-999999999999999999"), 206)
        self.assertEqual(self.assertRangeAnswer("r.bin", self.data, "bytes=999999999999999999-"), 416)
        self.assertServing("range overflow")

    def test_ranges_on_empty_object(self):
        for value in ("bytes=0-", "bytes=-1", "bytes=0-0", "bytes=-9223372036854775807",
                      "bytes=0-99999999999999999999999"):
            with self.subTest(range=value):
                self.assertRangeAnswer("empty.bin", b"", value)
        self.assertServing("empty ranges")

    def test_part_number_overflow(self):
        for value in ("99999999999999999999", "-1", "0", "10001", "1.5", "", "2147483648"):
            with self.subTest(partNumber=value):
                resp = self.raw("GET", h.object_path(self.bucket, "r.bin"), query={"partNumber": value})
                self.assertIn(resp.status, (400, 416), resp.body[:300])
                h.parse_error(resp.body)
        self.assertServing("partNumber overflow")

    def test_copy_source_range_overflow(self):
        s3 = self.client()
        upload_id = s3.create_multipart_upload(Bucket=self.bucket, Key="copy-part.bin")["UploadId"]
        try:
            for value in ("bytes=0-99999999999999999999999", "bytes=99999999999999999999999-1", "bytes=-5",
                          "bytes=5-", "bytes=10-5", "bytes=1000-1001", "garbage"):
                with self.subTest(range=value):
                    resp = self.raw("PUT", h.object_path(self.bucket, "copy-part.bin"),
                                    query={"partNumber": "1", "uploadId": upload_id},
                                    headers={"x-amz-copy-source": "/%s/r.bin" % self.bucket,
                                             "x-amz-copy-source-range": value})
                    self.assertTrue(resp.status == 200 or 400 <= resp.status < 500, (resp.status, resp.body[:300]))
        finally:
            s3.abort_multipart_upload(Bucket=self.bucket, Key="copy-part.bin", UploadId=upload_id)
        self.assertServing("copy source range")


# ---------------------------------------------------------------------------------------------
# Connection-level abuse

class SlowClientsTest(HostileBase):
    """Slowloris: 50 connections dribbling a request head (or a body) do not starve anyone."""

    CONNECTIONS = 50
    DURATION = 4.0

    def _slow_sockets(self, first_bytes):
        socks = []
        self.addCleanup(lambda: [s.close() for s in socks])
        for _ in range(self.CONNECTIONS):
            s = socket.create_connection(("127.0.0.1", self.server.port), timeout=QUICK)
            s.sendall(first_bytes)
            s.setblocking(False)
            socks.append(s)
        return socks

    def _drip_and_check(self, socks):
        deadline = time.monotonic() + self.DURATION
        served = 0
        worst = 0.0
        while time.monotonic() < deadline:
            for s in socks:
                try:
                    s.send(b"a")
                except (BlockingIOError, BrokenPipeError, ConnectionResetError, OSError):
                    pass
            start = time.monotonic()
            self.assertServing("slow clients")
            worst = max(worst, time.monotonic() - start)
            served += 1
            time.sleep(0.25)
        self.assertGreaterEqual(served, 3)
        self.assertLess(worst, 2.0, "a normal request took %.2fs next to slow clients" % worst)

    def test_slow_headers(self):
        head = self.head_line("GET", h.object_path(self.bucket, SENTINEL_KEY)) + b"X-Slow: "
        self._drip_and_check(self._slow_sockets(head))

    def test_slow_bodies(self):
        head = self.head_line("PUT", h.object_path(self.bucket, "slow.bin"),
                              [("Content-Length", "100000"), ("x-amz-content-sha256", h.UNSIGNED)]) + b"\r\n"
        self._drip_and_check(self._slow_sockets(head))

    def test_many_connections_opened_and_dropped(self):
        for round_ in range(3):
            socks = [socket.create_connection(("127.0.0.1", self.server.port), timeout=QUICK) for _ in range(100)]
            for i, s in enumerate(socks):
                if i % 3 == 0:
                    s.sendall(self.head_line("GET", "/")[:10])  # half a request line, then gone
                elif i % 3 == 1:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                s.close()  # i % 3 == 1 sends an RST
            self.assertServing("100 dropped connections, round %d" % round_)


class ConnectionLimitTest(HostileBase):
    """[server] max_connections = 20: connections beyond the limit are closed at once."""

    LIMIT = 20
    SERVER_CONFIG = "[server]\nmax_connections = %d\n" % LIMIT

    @staticmethod
    def _is_closed(sock):
        sock.settimeout(0.05)
        try:
            data = sock.recv(1)
            return data == b""
        except socket.timeout:
            return False
        except (ConnectionResetError, OSError):
            return True

    def test_extra_connections_closed(self):
        socks = []
        try:
            for _ in range(2 * self.LIMIT):
                socks.append(socket.create_connection(("127.0.0.1", self.server.port), timeout=QUICK))
            closed = h.bounded_wait(lambda: sum(self._is_closed(s) for s in socks) >= self.LIMIT, 5.0, 0.1)
            states = [self._is_closed(s) for s in socks]
            open_count = states.count(False)
            picture = "".join("x" if c else "o" for c in states)  # o = still open, x = closed by the server
            self.assertTrue(closed, "only %d of %d extra connections were closed: %s"
                            % (states.count(True), self.LIMIT, picture))
            self.assertLessEqual(open_count, self.LIMIT, picture)
            self.assertGreaterEqual(open_count, self.LIMIT - 2, "idle connections under the limit were closed: "
                                    + picture)
            # The earliest connections are the ones kept.
            self.assertFalse(any(states[:self.LIMIT - 2]), picture)
            # A connection left over from setup (closed by the client, not yet noticed by the
            # server) may have held a slot during the burst. Once the server lets it go, its slot
            # goes to the next connection: top up until the server holds LIMIT of ours.
            deadline = time.monotonic() + 5.0
            while open_count < self.LIMIT and time.monotonic() < deadline:
                extra = socket.create_connection(("127.0.0.1", self.server.port), timeout=QUICK)
                socks.append(extra)
                if not self._is_closed(extra):
                    open_count += 1
            self.assertEqual(open_count, self.LIMIT, "the server never held %d connections" % self.LIMIT)
            # While the limit is reached, a new client is turned away (closed), not queued forever.
            try:
                resp = self.raw("GET", h.object_path(self.bucket, SENTINEL_KEY), timeout=QUICK)
                self.fail("a connection over the limit was served: %d %r (%s)" % (resp.status, resp.body[:200],
                                                                                 picture))
            except (ConnectionError, OSError, h.http.client.HTTPException):
                pass
            # The held connections still work.
            keep = socks[0]
            keep.settimeout(QUICK)
            keep.sendall(self.head_line("GET", "/", [("Connection", "close")]) + b"\r\n")
            data = b""
            while True:
                chunk = keep.recv(65536)
                if not chunk:
                    break
                data += chunk
            self.assertIsNotNone(status_of(data), "a held connection got no answer: %r" % data[:200])
        finally:
            for s in socks:
                s.close()
        ok = h.bounded_wait(lambda: self._try_get() == 200, 5.0, 0.1)
        self.assertTrue(ok, "the server did not recover after the connections closed\n" + self.server.log_tail())
        self.assertServing("connection limit")
        self.assertTrue(h.bounded_wait(lambda: b"connection limit" in open(self.server.log_path, "rb").read(), 2.0),
                        "no 'connection limit' warning in the log:\n" + self.server.log_tail())

    def _try_get(self):
        try:
            return self.raw("GET", h.object_path(self.bucket, SENTINEL_KEY), timeout=QUICK).status
        except (ConnectionError, OSError, h.http.client.HTTPException):
            return None


# ---------------------------------------------------------------------------------------------
# Fault injection

def staging_files(server):
    return h.files_under(os.path.join(server.data, "staging"))


class FaultInjectionTest(unittest.TestCase):
    """HERD_TEST_FAULTS makes the blob store's write path fail: requests get 500 InternalError and
    nothing is half stored; restarted without faults, the same data directory works and is clean."""

    def setUp(self):
        h.quiet_resource_warnings()

    def start(self, server, faults=None):
        saved = os.environ.pop("HERD_TEST_FAULTS", None)
        try:
            if faults:
                os.environ["HERD_TEST_FAULTS"] = faults
            server.start()
        finally:
            os.environ.pop("HERD_TEST_FAULTS", None)
            if saved is not None:
                os.environ["HERD_TEST_FAULTS"] = saved

    def restart(self, server, faults=None):
        code = server.stop()
        self.assertEqual(code, 0, "herd serve did not exit 0 on SIGTERM\n" + server.log_tail())
        self.start(server, faults)

    def keys(self, s3, bucket):
        return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]

    def assertNothingHalfStored(self, server, s3, bucket, staged_before, blobs_before):
        self.assertEqual(self.keys(s3, bucket), [], "an object was stored")
        self.assertEqual(server.blob_names(), blobs_before, "a blob was left behind")
        clean = h.bounded_wait(lambda: not server.tmp_files(), QUICK)
        self.assertTrue(clean, "DATA/tmp not empty: %r" % server.tmp_files())
        self.assertEqual(staging_files(server), staged_before, "DATA/staging changed")

    def fsck(self, server):
        proc = server.cli("fsck", "--json", check=False)
        try:
            report = h.json.loads(proc.stdout)
        except ValueError:
            self.fail("fsck printed non-JSON (exit %d): %r %r" % (proc.returncode, proc.stdout, proc.stderr))
        self.assertEqual(report.get("problems"), 0, "fsck found problems: %r" % report)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return report

    def run_fault(self, faults):
        server = HerdServer()
        self.addCleanup(h.shutdown_server, server)
        self.start(server)
        alice = server.create_tenant("alice")
        s3 = server.client(alice)
        bucket = "faults"
        s3.create_bucket(Bucket=bucket)
        # A pending multipart upload with one part staged before the faults start.
        part_data = os.urandom(4096)
        upload_id = s3.create_multipart_upload(Bucket=bucket, Key="mp.bin")["UploadId"]
        etag = s3.upload_part(Bucket=bucket, Key="mp.bin", UploadId=upload_id, PartNumber=1, Body=part_data)["ETag"]
        staged_before = staging_files(server)
        self.assertEqual(len(staged_before), 1)
        blobs_before = server.blob_names()

        self.restart(server, faults)
        s3 = server.client(alice)  # the restarted server listens on a new port
        alice_put = os.urandom(10000)
        resp = server.raw("PUT", h.object_path(bucket, "obj.bin"), tenant=alice, body=alice_put)
        h.HerdTestCase.assertS3Error(self, resp, 500, "InternalError")
        # Streaming PUT and an unsigned-payload PUT take the same path.
        framed = b"%x\r\n" % 5000 + os.urandom(5000) + b"\r\n0\r\n\r\n"
        resp = server.raw("PUT", h.object_path(bucket, "stream.bin"), tenant=alice, payload_hash=STREAM_UNSIGNED,
                          send_body=framed, headers=streaming_headers(5000))
        h.HerdTestCase.assertS3Error(self, resp, 500, "InternalError")
        resp = server.raw("PUT", h.object_path(bucket, "unsigned.bin"), tenant=alice, payload_hash=h.UNSIGNED,
                          body=os.urandom(3000))
        h.HerdTestCase.assertS3Error(self, resp, 500, "InternalError")
        # UploadPart into the pending upload, and into a new one created under faults.
        resp = server.raw("PUT", h.object_path(bucket, "mp.bin"), tenant=alice,
                          query={"partNumber": "2", "uploadId": upload_id}, body=os.urandom(2048))
        h.HerdTestCase.assertS3Error(self, resp, 500, "InternalError")
        upload2 = s3.create_multipart_upload(Bucket=bucket, Key="mp2.bin")["UploadId"]
        resp = server.raw("PUT", h.object_path(bucket, "mp2.bin"), tenant=alice,
                          query={"partNumber": "1", "uploadId": upload2}, body=os.urandom(2048))
        h.HerdTestCase.assertS3Error(self, resp, 500, "InternalError")
        # Complete of the pending upload (its part was staged before the faults).
        complete = ('<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part>'
                    '</CompleteMultipartUpload>' % etag).encode()
        resp = server.raw("POST", h.object_path(bucket, "mp.bin"), tenant=alice, query={"uploadId": upload_id},
                          body=complete)
        h.HerdTestCase.assertS3Error(self, resp, 500, "InternalError")
        self.assertNothingHalfStored(server, s3, bucket, staged_before, blobs_before)
        parts = s3.list_parts(Bucket=bucket, Key="mp.bin", UploadId=upload_id)["Parts"]
        self.assertEqual([(p["PartNumber"], p["ETag"]) for p in parts], [(1, etag)])
        self.assertEqual(s3.list_parts(Bucket=bucket, Key="mp2.bin", UploadId=upload2).get("Parts", []), [])
        # Reads and metadata-only operations still work under write faults.
        self.assertEqual(s3.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertIsNone(server.proc.poll(), "herd serve died under %s\n%s" % (faults, server.log_tail()))

        # Restarted without faults: the same directory takes writes, and fsck finds it clean.
        self.restart(server)
        s3 = server.client(alice)
        s3.put_object(Bucket=bucket, Key="obj.bin", Body=alice_put)
        self.assertEqual(s3.get_object(Bucket=bucket, Key="obj.bin")["Body"].read(), alice_put)
        s3.complete_multipart_upload(Bucket=bucket, Key="mp.bin", UploadId=upload_id,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        self.assertEqual(s3.get_object(Bucket=bucket, Key="mp.bin")["Body"].read(), part_data)
        s3.abort_multipart_upload(Bucket=bucket, Key="mp2.bin", UploadId=upload2)
        self.assertEqual(sorted(self.keys(s3, bucket)), ["mp.bin", "obj.bin"])
        self.assertTrue(h.bounded_wait(lambda: not staging_files(server), QUICK), staging_files(server))
        self.assertEqual(len(server.blob_names()), 2)
        self.fsck(server)

    def test_write_enospc(self):
        self.run_fault("write=ENOSPC")

    def test_fsync_eio(self):
        self.run_fault("fsync=EIO")

    def test_rename_eio(self):
        self.run_fault("rename=EIO")

    def test_intermittent_faults(self):
        """Faults half the time: every PUT either fully succeeds or leaves nothing behind."""
        server = HerdServer()
        self.addCleanup(h.shutdown_server, server)
        self.start(server)
        alice = server.create_tenant("alice")
        server.client(alice).create_bucket(Bucket="flaky")
        self.restart(server, "write=EIO@0.3,fsync=EIO@0.3,rename=EIO@0.3")
        stored, failed = {}, []
        for i in range(30):
            data = os.urandom(1000 + i)
            key = "obj-%02d" % i
            resp = server.raw("PUT", h.object_path("flaky", key), tenant=alice, body=data)
            if resp.status == 200:
                stored[key] = data
            else:
                h.HerdTestCase.assertS3Error(self, resp, 500, "InternalError")
                failed.append(key)
        self.assertTrue(failed, "no fault fired in 30 PUTs at p=0.3 per point")
        s3 = server.client(alice)
        self.assertEqual(sorted(self.keys(s3, "flaky")), sorted(stored))
        for key, data in stored.items():
            self.assertEqual(s3.get_object(Bucket="flaky", Key=key)["Body"].read(), data)
        self.assertEqual(len(server.blob_names()), len(stored))
        self.assertTrue(h.bounded_wait(lambda: not server.tmp_files(), QUICK), server.tmp_files())
        self.restart(server)
        self.fsck(server)


if __name__ == "__main__":
    h.main()
