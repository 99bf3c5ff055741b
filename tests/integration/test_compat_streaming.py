"""Akkoma / GoToSocial / Pixelfed compatibility at the wire level.

Akkoma (ex_aws_s3, streaming_enabled) and GoToSocial (minio-go PutFile) send every upload as a
multipart upload with 5 MiB parts, even a single small part and even an empty file; minio-go over
plain HTTP signs each part with STREAMING-AWS4-HMAC-SHA256-PAYLOAD (aws-chunked, 64 KiB chunks,
each chunk signed in a chain seeded by the header signature). Newer AWS SDKs send
STREAMING-UNSIGNED-PAYLOAD-TRAILER with an x-amz-checksum-crc32 trailer. Pixelfed (flysystem +
aws-sdk-php) uses virtual-host addressing by default. GoToSocial serves media by redirecting to
presigned GETs with response-content-type.

These requests are built here by a small, independent SigV4 / aws-chunked implementation
(following the AWS "sigv4-streaming" documentation) so the chunk framing, signatures and trailers
are exactly what the spec says, and so they can be broken on purpose (test_compat_errors.py
imports the helpers below).
"""

import base64
import concurrent.futures
import datetime
import hashlib
import hmac
import os
import random
import urllib.parse
import zlib

import herd_harness as h
from herd_harness import HerdTestCase

MiB = 1024 * 1024
PART = 5 * MiB
CHUNK = 64 * 1024  # minio-go's payloadChunkSize
VHOST_DOMAIN = "s3.test"
SIGNED_STREAMING = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
SIGNED_STREAMING_TRAILER = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"


# ---------------------------------------------------------------------------------------------
# SigV4 and aws-chunked, written from the AWS documentation

def _hmac(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def uri_encode(text, slash=True):
    return urllib.parse.quote(text, safe="/~" if slash else "~")


def canonical_query(pairs):
    enc = [(uri_encode(str(k), False), uri_encode("" if v is None else str(v), False)) for k, v in pairs]
    return "&".join("%s=%s" % kv for kv in sorted(enc))


def query_string(pairs):
    """The query as sent: bare keys (`?uploads`) stay bare."""
    out = []
    for k, v in pairs:
        k = uri_encode(str(k), False)
        out.append(k if v is None else k + "=" + uri_encode(str(v), False))
    return "&".join(out)


def crc32_b64(data):
    return base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()


def _crc_table(poly, bits):
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ poly if c & 1 else c >> 1
        table.append(c)
    return table, (1 << bits) - 1


_CRC32C = _crc_table(0x82F63B78, 32)
_CRC64NVME = _crc_table(0x9A6C9329AC4BC9B5, 64)


def _reflected_crc(spec, data):
    table, mask = spec
    c = mask
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ mask


def crc32c_b64(data):
    return base64.b64encode(_reflected_crc(_CRC32C, data).to_bytes(4, "big")).decode()


def crc64nvme_b64(data):
    return base64.b64encode(_reflected_crc(_CRC64NVME, data).to_bytes(8, "big")).decode()


# The standard check values ("123456789") keep the two implementations above honest.
assert _reflected_crc(_CRC32C, b"123456789") == 0xE3069283
assert _reflected_crc(_CRC64NVME, b"123456789") == 0xAE8B14860A799888


def sha256_b64(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def md5_b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def multipart_etag(parts):
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return '"%s-%d"' % (digest, len(parts))


class Signer:
    """SigV4 for one tenant (header and query forms). `sign` returns what the chunk signer needs."""

    def __init__(self, tenant, region="us-east-1"):
        self.tenant = tenant
        self.region = region

    def key(self, date):
        k = _hmac(("AWS4" + self.tenant.secret_key).encode(), date)
        k = _hmac(k, self.region)
        k = _hmac(k, "s3")
        return _hmac(k, "aws4_request")

    def scope(self, date):
        return "%s/%s/s3/aws4_request" % (date, self.region)

    @staticmethod
    def now():
        return datetime.datetime.now(datetime.timezone.utc)

    def sign(self, method, path, query, headers, payload_hash, when=None):
        """Adds x-amz-date, x-amz-content-sha256 and Authorization to `headers` (a dict that
        must hold Host). Signs host, every x-amz-* header and Content-Type / -MD5 / -Encoding.
        Returns (headers, context) where context = dict(key, amz_date, scope, signature)."""
        when = when or self.now()
        amz_date = when.strftime("%Y%m%dT%H%M%SZ")
        date = amz_date[:8]
        headers = dict(headers)
        headers["x-amz-date"] = amz_date
        headers["x-amz-content-sha256"] = payload_hash
        signed = {}
        for name, value in headers.items():
            low = name.lower()
            if low == "host" or low.startswith("x-amz-") or low in ("content-type", "content-md5",
                                                                    "content-encoding"):
                signed[low] = " ".join(str(value).strip().split())
        names = sorted(signed)
        canonical = "\n".join([
            method, uri_encode(path), canonical_query(query or []),
            "".join("%s:%s\n" % (n, signed[n]) for n in names), ";".join(names), payload_hash])
        scope = self.scope(date)
        sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, h.sha256_hex(canonical.encode())])
        key = self.key(date)
        signature = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
            self.tenant.access_key, scope, ";".join(names), signature)
        return headers, {"key": key, "amz_date": amz_date, "scope": scope, "signature": signature}

    def presign(self, method, host, path, query=(), expires=3600, when=None):
        """The request target of a presigned URL (query auth, UNSIGNED-PAYLOAD, host signed)."""
        when = when or self.now()
        amz_date = when.strftime("%Y%m%dT%H%M%SZ")
        scope = self.scope(amz_date[:8])
        q = list(query) + [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
                           ("X-Amz-Credential", "%s/%s" % (self.tenant.access_key, scope)),
                           ("X-Amz-Date", amz_date), ("X-Amz-Expires", str(expires)),
                           ("X-Amz-SignedHeaders", "host")]
        canonical = "\n".join([method, uri_encode(path), canonical_query(q), "host:%s\n" % host, "host",
                               "UNSIGNED-PAYLOAD"])
        sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, h.sha256_hex(canonical.encode())])
        sig = hmac.new(self.key(amz_date[:8]), sts.encode(), hashlib.sha256).hexdigest()
        return path + "?" + query_string(q + [("X-Amz-Signature", sig)])


def split_chunks(data, chunk_size):
    return [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)]


def encode_signed_chunks(data, ctx, chunk_size=CHUNK, trailers=None, bad_chunk=None, bad_trailer_sig=False):
    """aws-chunked body with chained chunk signatures (STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]).
    bad_chunk: index of a chunk (len(chunks) = the final empty chunk) whose signature is corrupted."""
    out = []
    prev = ctx["signature"]
    chunks = split_chunks(data, chunk_size) + [b""]
    for i, chunk in enumerate(chunks):
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", ctx["amz_date"], ctx["scope"], prev, h.EMPTY_SHA256,
                         h.sha256_hex(chunk)])
        sig = hmac.new(ctx["key"], sts.encode(), hashlib.sha256).hexdigest()
        prev = sig
        if bad_chunk == i:
            sig = sig[:-4] + ("0000" if sig[-4:] != "0000" else "1111")
        out.append(b"%x;chunk-signature=%s\r\n" % (len(chunk), sig.encode()))
        if chunk:
            out.append(chunk + b"\r\n")
    if trailers:
        text = "".join("%s:%s\n" % (k, v) for k, v in trailers)
        sts = "\n".join(["AWS4-HMAC-SHA256-TRAILER", ctx["amz_date"], ctx["scope"], prev,
                         h.sha256_hex(text.encode())])
        tsig = hmac.new(ctx["key"], sts.encode(), hashlib.sha256).hexdigest()
        if bad_trailer_sig:
            tsig = tsig[:-4] + ("0000" if tsig[-4:] != "0000" else "1111")
        for k, v in trailers:
            out.append(("%s:%s\r\n" % (k, v)).encode())
        out.append(("x-amz-trailer-signature:%s\r\n" % tsig).encode())
    out.append(b"\r\n")
    return b"".join(out)


def encode_unsigned_chunks(data, chunk_size=CHUNK, trailers=()):
    """aws-chunked body without signatures (STREAMING-UNSIGNED-PAYLOAD-TRAILER)."""
    out = []
    for chunk in split_chunks(data, chunk_size):
        out.append(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
    out.append(b"0\r\n")
    for k, v in trailers:
        out.append(("%s:%s\r\n" % (k, v)).encode())
    out.append(b"\r\n")
    return b"".join(out)


class RawS3:
    """Hand-signed S3 requests to one server, path style or virtual-host style."""

    def __init__(self, server, tenant, vhost=False, region="us-east-1"):
        self.server = server
        self.signer = Signer(tenant, region)
        self.vhost = vhost

    def host(self, bucket):
        if self.vhost and bucket:
            return "%s.%s:%d" % (bucket, VHOST_DOMAIN, self.server.port)
        return "127.0.0.1:%d" % self.server.port

    def path(self, bucket, key=None):
        if self.vhost and bucket:
            return "/" + (key or "")
        if not bucket:
            return "/"
        return "/" + bucket + ("/" + key if key is not None else "")

    def send(self, method, bucket, key=None, query=(), headers=None, body=b"", payload_hash=None,
             send_body=None, **raw_kwargs):
        """A request signed in the header with a hex SHA-256 (or `payload_hash`) payload."""
        path = self.path(bucket, key)
        hdrs = {"Host": self.host(bucket)}
        hdrs.update(headers or {})
        hdrs, _ctx = self.signer.sign(method, path, list(query), hdrs,
                                      payload_hash or h.sha256_hex(body))
        return self._raw(method, path, list(query), hdrs, body if send_body is None else send_body, **raw_kwargs)

    def send_streaming(self, method, bucket, key, data, query=(), headers=None, mode=SIGNED_STREAMING,
                       chunk_size=CHUNK, trailer=None, bad_chunk=None, bad_trailer_sig=False,
                       body_filter=None, decoded_length=None, truncate=None, **raw_kwargs):
        """An aws-chunked request. mode: SIGNED_STREAMING, SIGNED_STREAMING_TRAILER or
        UNSIGNED_TRAILER. trailer: (name, value) of a checksum trailer (declared in x-amz-trailer).
        body_filter(bytes) -> bytes alters the encoded body after signing. truncate=N sends only
        the first N bytes of the encoded body while Content-Length announces all of it (use with
        half_close=True)."""
        path = self.path(bucket, key)
        hdrs = {"Host": self.host(bucket), "Content-Encoding": "aws-chunked",
                "x-amz-decoded-content-length": str(len(data) if decoded_length is None else decoded_length)}
        if trailer:
            hdrs["x-amz-trailer"] = trailer[0]
        hdrs.update(headers or {})
        hdrs, ctx = self.signer.sign(method, path, list(query), hdrs, mode)
        if mode == UNSIGNED_TRAILER:
            body = encode_unsigned_chunks(data, chunk_size, [trailer] if trailer else [])
        else:
            body = encode_signed_chunks(data, ctx, chunk_size, [trailer] if trailer else None,
                                        bad_chunk=bad_chunk, bad_trailer_sig=bad_trailer_sig)
        if body_filter is not None:
            body = body_filter(body)
        if truncate is not None:
            raw_kwargs.update(content_length=len(body), send_body=body[:truncate])
        return self._raw(method, path, list(query), hdrs, body, **raw_kwargs)

    def _raw(self, method, path, query, hdrs, body, **raw_kwargs):
        # herd_harness.raw_request with tenant=None sends our headers as they are (Host included).
        target_path = uri_encode(path)
        return h.raw_request(self.server.port, method, target_path, query=query_string(query) or None,
                             headers=hdrs, body=body, tenant=None, **raw_kwargs)

    def get_url(self, bucket, key, query=(), expires=3600, when=None):
        """A presigned GET (request target, Host header)."""
        host = self.host(bucket)
        return self.signer.presign("GET", host, self.path(bucket, key), query, expires, when), host


def expect_ok(resp, what, status=200):
    if resp.status != status:
        raise AssertionError("%s: HTTP %d %s\n%r" % (what, resp.status, resp.reason, resp.body[:800]))
    return resp


def multipart_upload(raw, bucket, key, data, part_size=PART, part_mode=SIGNED_STREAMING, create_headers=None,
                     checksum=None, threads=1):
    """Akkoma / GoToSocial style: create, parts of `part_size` (at least one, even when `data` is
    empty) sent with `part_mode`, complete. checksum='CRC32' declares it on create and sends a
    CRC32 per part (header for signed modes, trailer for UNSIGNED_TRAILER).
    Returns (complete response, parts list)."""
    headers = dict(create_headers or {})
    if checksum:
        headers["x-amz-checksum-algorithm"] = checksum
    resp = expect_ok(raw.send("POST", bucket, key, query=[("uploads", None)], headers=headers), "create")
    upload_id = h.xml_root(resp.body).findtext("UploadId")
    parts = split_chunks(data, part_size) or [b""]

    def send_part(number):
        part = parts[number - 1]
        q = [("partNumber", str(number)), ("uploadId", upload_id)]
        phdrs = {}
        trailer = None
        if checksum and part_mode == UNSIGNED_TRAILER:
            trailer = ("x-amz-checksum-crc32", crc32_b64(part))
        elif checksum:
            phdrs["x-amz-checksum-crc32"] = crc32_b64(part)
        if part_mode in (SIGNED_STREAMING, SIGNED_STREAMING_TRAILER, UNSIGNED_TRAILER):
            r = raw.send_streaming("PUT", bucket, key, part, query=q, headers=phdrs, mode=part_mode, trailer=trailer)
        else:
            r = raw.send("PUT", bucket, key, query=q, headers=phdrs, body=part,
                         payload_hash=part_mode if part_mode == h.UNSIGNED else None)
        expect_ok(r, "part %d" % number)
        return number, r.headers.get("etag"), r.headers.get("x-amz-checksum-crc32")

    numbers = list(range(1, len(parts) + 1))
    if threads > 1:
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(send_part, reversed(numbers)))  # parts arrive out of order
        results.sort()
    else:
        results = [send_part(n) for n in numbers]
    xml = ["<CompleteMultipartUpload>"]
    for number, etag, crc in results:
        xml.append("<Part><PartNumber>%d</PartNumber><ETag>%s</ETag>%s</Part>" % (
            number, etag, "<ChecksumCRC32>%s</ChecksumCRC32>" % crc if checksum and crc else ""))
    xml.append("</CompleteMultipartUpload>")
    body = "".join(xml).encode()
    resp = expect_ok(raw.send("POST", bucket, key, query=[("uploadId", upload_id)], body=body), "complete")
    root = h.xml_root(resp.body)
    if root.tag != "CompleteMultipartUploadResult":
        raise AssertionError("complete answered 200 with <%s>: %r" % (root.tag, resp.body[:500]))
    return resp, parts


def staging_files(server):
    return h.files_under(os.path.join(server.data, "staging"))


# ---------------------------------------------------------------------------------------------

class StreamingCompatTest(HerdTestCase):
    TENANTS = ("akkoma", "gts", "pixelfed")
    SERVER_CONFIG = '[server]\nbase_domains = ["%s"]\n' % VHOST_DOMAIN

    def setUp(self):
        super().setUp()
        self.rng = random.Random(self.id())

    def wire(self, tenant="akkoma", vhost=False):
        return RawS3(self.server, self.tenants[tenant], vhost=vhost)

    def make_bucket(self, tenant="akkoma", vhost=False, stem="bkt"):
        bucket = self.unique_bucket(stem)
        expect_ok(self.wire(tenant, vhost).send("PUT", bucket), "create bucket")
        return bucket

    def assertStored(self, bucket, key, data, tenant="akkoma", etag=None):
        obj = self.client(tenant).get_object(Bucket=bucket, Key=key)
        body = obj["Body"].read()
        self.assertEqual(len(body), len(data), "stored length")
        self.assertEqual(h.sha256_hex(body), h.sha256_hex(data), "stored content differs")
        if etag is not None:
            self.assertEqual(obj["ETag"], etag)
        return obj

    def assertClean(self):
        self.assertNoTempFiles()
        left = h.bounded_wait(lambda: not staging_files(self.server), 5.0)
        self.assertTrue(left, "leftover staged parts: %r" % staging_files(self.server))

    # -- Akkoma / GoToSocial: everything multipart, parts signed chunk by chunk ---------------------

    def test_multipart_signed_chunks_all_sizes(self):
        raw = self.wire("akkoma")
        bucket = self.make_bucket("akkoma")
        sizes = [0, 1, 70_000, PART, PART + 1, 2 * PART + 654_321]
        for size in sizes:
            with self.subTest(size=size):
                data = self.rng.randbytes(size)
                key = "%064x.jpg" % self.rng.getrandbits(256)  # Akkoma's Dedupe filter: <sha256>.<ext>
                _resp, parts = multipart_upload(raw, bucket, key, data, create_headers={
                    "x-amz-acl": "public-read", "Content-Type": "image/jpeg"})
                self.assertEqual(len(parts), max(1, -(-size // PART)))
                obj = self.assertStored(bucket, key, data, etag=multipart_etag(parts))
                self.assertEqual(obj["ContentType"], "image/jpeg")
                acl = self.client().get_object_acl(Bucket=bucket, Key=key)
                self.assertTrue(any(g["Grantee"].get("URI", "").endswith("/global/AllUsers") and g["Permission"] == "READ"
                                    for g in acl["Grants"]), acl["Grants"])
        # Akkoma deletes with DeleteObject and expects 204.
        for obj in self.client().list_objects_v2(Bucket=bucket).get("Contents", []):
            expect_ok(raw.send("DELETE", bucket, obj["Key"]), "delete", status=204)
        self.assertEqual(self.client().list_objects_v2(Bucket=bucket).get("KeyCount"), 0)
        self.assertClean()

    def test_multipart_parallel_parts_like_akkoma(self):
        # ex_aws uploads 4 parts at a time; here they even arrive last-first.
        raw = self.wire("akkoma")
        bucket = self.make_bucket("akkoma")
        data = self.rng.randbytes(3 * PART + 4321)
        _resp, parts = multipart_upload(raw, bucket, "parallel.mp4", data, threads=4)
        self.assertStored(bucket, "parallel.mp4", data, etag=multipart_etag(parts))
        self.assertClean()

    def test_gotosocial_key_layout_and_chunk_sizes(self):
        # minio-go always uses 64 KiB chunks; other signers use other sizes, and the last chunk of
        # a part is usually short. Odd chunk sizes must decode the same.
        raw = self.wire("gts")
        bucket = self.make_bucket("gts")
        data = self.rng.randbytes(300_001)
        for chunk_size in (1, 8 * 1024, 65_536, 100_000, 300_001, 1 * MiB):
            with self.subTest(chunk_size=chunk_size):
                body = data if chunk_size > 1 else data[:3000]
                key = "01HX%dACCOUNT/attachment/original/01HXMEDIA%d.png" % (chunk_size, chunk_size)
                resp = raw.send_streaming("PUT", bucket, key, body, chunk_size=chunk_size,
                                          headers={"Content-Type": "image/png"})
                expect_ok(resp, "streaming PUT")
                self.assertEqual(resp.headers.get("etag"), h.quoted_etag(body))
                self.assertStored(bucket, key, body, tenant="gts")
        self.assertClean()

    # -- newer SDKs: STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer ------------------------

    def test_unsigned_payload_trailer_put(self):
        for vhost in (False, True):
            raw = self.wire("pixelfed", vhost=vhost)
            bucket = self.make_bucket("pixelfed", vhost=vhost)
            for size, chunk_size in ((0, CHUNK), (10, CHUNK), (200_000, 8192), (1_000_003, CHUNK)):
                with self.subTest(vhost=vhost, size=size):
                    data = self.rng.randbytes(size)
                    key = "public/m/_v2/1/%d/trailer.bin" % size
                    resp = raw.send_streaming("PUT", bucket, key, data, mode=UNSIGNED_TRAILER, chunk_size=chunk_size,
                                              trailer=("x-amz-checksum-crc32", crc32_b64(data)),
                                              headers={"x-amz-sdk-checksum-algorithm": "CRC32",
                                                       "Content-Type": "application/octet-stream"})
                    expect_ok(resp, "PUT with CRC32 trailer")
                    self.assertEqual(resp.headers.get("x-amz-checksum-crc32"), crc32_b64(data),
                                     "PutObject response should echo the CRC32")
                    self.assertStored(bucket, key, data, tenant="pixelfed")
                    head = raw.send("HEAD", bucket, key, headers={"x-amz-checksum-mode": "ENABLED"})
                    expect_ok(head, "HEAD checksum mode")
                    self.assertEqual(head.headers.get("x-amz-checksum-crc32"), crc32_b64(data))
        self.assertClean()

    def test_unsigned_trailer_sha256_and_signed_trailer(self):
        raw = self.wire("gts")
        bucket = self.make_bucket("gts")
        data = self.rng.randbytes(150_000)
        resp = raw.send_streaming("PUT", bucket, "sha.bin", data, mode=UNSIGNED_TRAILER,
                                  trailer=("x-amz-checksum-sha256", sha256_b64(data)))
        expect_ok(resp, "PUT with SHA256 trailer")
        self.assertStored(bucket, "sha.bin", data, tenant="gts")
        resp = raw.send_streaming("PUT", bucket, "signed-trailer.bin", data, mode=SIGNED_STREAMING_TRAILER,
                                  trailer=("x-amz-checksum-crc32", crc32_b64(data)))
        expect_ok(resp, "PUT STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
        self.assertStored(bucket, "signed-trailer.bin", data, tenant="gts")
        head = raw.send("HEAD", bucket, "signed-trailer.bin", headers={"x-amz-checksum-mode": "ENABLED"})
        self.assertEqual(head.headers.get("x-amz-checksum-crc32"), crc32_b64(data))

    def test_multipart_parts_with_crc32_trailers(self):
        raw = self.wire("pixelfed", vhost=True)
        bucket = self.make_bucket("pixelfed", vhost=True)
        data = self.rng.randbytes(PART + 777)
        resp, parts = multipart_upload(raw, bucket, "video.mp4", data, part_mode=UNSIGNED_TRAILER,
                                       checksum="CRC32", create_headers={"x-amz-acl": "public-read"})
        root = h.xml_root(resp.body)
        self.assertTrue((root.findtext("ChecksumCRC32") or "").endswith("-2"), resp.body)
        self.assertStored(bucket, "video.mp4", data, tenant="pixelfed", etag=multipart_etag(parts))
        head = raw.send("HEAD", bucket, "video.mp4", headers={"x-amz-checksum-mode": "ENABLED"})
        self.assertTrue((head.headers.get("x-amz-checksum-crc32") or "").endswith("-2"), head.headers)
        # ...and with the CRC32 in a header of signed-chunk parts (GoToSocial echoes checksums).
        resp, parts = multipart_upload(raw, bucket, "video2.mp4", data, part_mode=SIGNED_STREAMING, checksum="CRC32")
        self.assertStored(bucket, "video2.mp4", data, tenant="pixelfed", etag=multipart_etag(parts))
        self.assertClean()

    def test_crc32c_crc64nvme_sha1_checksums(self):
        # The other flexible checksums newer SDKs may pick (crc64nvme is the AWS default for
        # full-object checksums), in a header and in an unsigned trailer.
        raw = self.wire("gts")
        bucket = self.make_bucket("gts")
        data = self.rng.randbytes(40_000)
        def sha1_b64(b):
            return base64.b64encode(hashlib.sha1(b).digest()).decode()

        for name, fn in (("crc32c", crc32c_b64), ("crc64nvme", crc64nvme_b64), ("sha1", sha1_b64)):
            value = fn(data)
            header = "x-amz-checksum-" + name
            with self.subTest(checksum=name, where="header"):
                resp = raw.send("PUT", bucket, "h-" + name, body=data, payload_hash=h.UNSIGNED,
                                headers={header: value, "x-amz-sdk-checksum-algorithm": name.upper()})
                expect_ok(resp, "PUT with " + header)
                head = raw.send("HEAD", bucket, "h-" + name, headers={"x-amz-checksum-mode": "ENABLED"})
                self.assertEqual(head.headers.get(header), value)
                bad = raw.send("PUT", bucket, "bad-" + name, body=data, payload_hash=h.UNSIGNED,
                               headers={header: fn(data + b"x")})
                self.assertS3Error(bad, 400, "BadDigest")
            with self.subTest(checksum=name, where="trailer"):
                resp = raw.send_streaming("PUT", bucket, "t-" + name, data, mode=UNSIGNED_TRAILER, chunk_size=16_384,
                                          trailer=(header, value))
                expect_ok(resp, "PUT with a %s trailer" % header)
                head = raw.send("HEAD", bucket, "t-" + name, headers={"x-amz-checksum-mode": "ENABLED"})
                self.assertEqual(head.headers.get(header), value)
                self.assertStored(bucket, "t-" + name, data, tenant="gts")
        self.assertEqual(sorted(self.keys_of(bucket, "gts")), sorted(
            p + n for p in ("h-", "t-") for n in ("crc32c", "crc64nvme", "sha1")))

    def test_full_object_crc32_multipart(self):
        # x-amz-checksum-type FULL_OBJECT (newer SDKs): the object's CRC32 is of the whole content,
        # checked against the one sent on Complete.
        raw = self.wire("gts")
        bucket = self.make_bucket("gts")
        data = self.rng.randbytes(PART + 4096)
        parts = split_chunks(data, PART)
        resp = expect_ok(raw.send("POST", bucket, "full.bin", query=[("uploads", None)], headers={
            "x-amz-checksum-algorithm": "CRC32", "x-amz-checksum-type": "FULL_OBJECT"}), "create")
        upload_id = h.xml_root(resp.body).findtext("UploadId")
        etags = []
        for n, part in enumerate(parts, 1):
            r = expect_ok(raw.send("PUT", bucket, "full.bin", query=[("partNumber", str(n)), ("uploadId", upload_id)],
                                   body=part, headers={"x-amz-checksum-crc32": crc32_b64(part)}), "part")
            etags.append(r.headers["etag"])
        xml = "<CompleteMultipartUpload>%s</CompleteMultipartUpload>" % "".join(
            "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag><ChecksumCRC32>%s</ChecksumCRC32></Part>"
            % (n, e, crc32_b64(p)) for n, (e, p) in enumerate(zip(etags, parts), 1))
        # A wrong full-object CRC32 on Complete is BadDigest; the upload stays usable.
        bad = raw.send("POST", bucket, "full.bin", query=[("uploadId", upload_id)], body=xml.encode(),
                       headers={"x-amz-checksum-crc32": crc32_b64(data + b"!"), "x-amz-checksum-type": "FULL_OBJECT"})
        self.assertS3Error(bad, 400, "BadDigest")
        self.assertNotIn("full.bin", self.keys_of(bucket, "gts"))
        resp = expect_ok(raw.send("POST", bucket, "full.bin", query=[("uploadId", upload_id)], body=xml.encode(),
                                  headers={"x-amz-checksum-crc32": crc32_b64(data),
                                           "x-amz-checksum-type": "FULL_OBJECT"}), "complete")
        root = h.xml_root(resp.body)
        self.assertEqual(root.findtext("ChecksumCRC32"), crc32_b64(data))
        self.assertEqual(root.findtext("ChecksumType"), "FULL_OBJECT")
        head = raw.send("HEAD", bucket, "full.bin", headers={"x-amz-checksum-mode": "ENABLED"})
        self.assertEqual(head.headers.get("x-amz-checksum-crc32"), crc32_b64(data))
        self.assertStored(bucket, "full.bin", data, tenant="gts", etag=multipart_etag(parts))
        self.assertClean()

    def keys_of(self, bucket, tenant):
        return [o["Key"] for o in self.client(tenant).list_objects_v2(Bucket=bucket).get("Contents", [])]

    # -- Pixelfed: virtual-host style ---------------------------------------------------------------

    def test_pixelfed_virtual_host(self):
        raw = self.wire("pixelfed", vhost=True)
        bucket = self.make_bucket("pixelfed", vhost=True)
        self.assertIn(bucket, [b["Name"] for b in self.client("pixelfed").list_buckets()["Buckets"]])
        expect_ok(raw.send("HEAD", bucket), "HeadBucket (vhost)")
        keys = []
        for i in range(5):
            data = self.rng.randbytes(20_000 + i)
            key = "public/m/_v2/7/202406/%02d/%s.jpg" % (i, "x" * 40)
            # aws-sdk-php >= 3.337 adds a CRC32 header; flysystem sends public-read and finfo's type.
            resp = raw.send("PUT", bucket, key, body=data, headers={
                "x-amz-acl": "public-read", "Content-Type": "image/jpeg",
                "x-amz-sdk-checksum-algorithm": "CRC32", "x-amz-checksum-crc32": crc32_b64(data)})
            expect_ok(resp, "PutObject (vhost)")
            keys.append(key)
            got = expect_ok(raw.send("GET", bucket, key), "GetObject (vhost)")
            self.assertEqual(got.body, data)
            self.assertEqual(got.headers.get("content-type"), "image/jpeg")
        # allFiles: ListObjectsV2 over the vhost endpoint
        listing = expect_ok(raw.send("GET", bucket, query=[("list-type", "2"), ("prefix", "public/m/_v2/7/")]),
                            "ListObjectsV2 (vhost)")
        listed = [c.findtext("Key") for c in h.xml_root(listing.body).findall("Contents")]
        self.assertEqual(listed, sorted(keys))
        # v1 listing (aws-sdk-php BatchDelete::fromListObjects)
        listing = expect_ok(raw.send("GET", bucket, query=[("prefix", "public/")]), "ListObjects (vhost)")
        self.assertEqual(len(h.xml_root(listing.body).findall("Contents")), 5)
        # flysystem delete: HEAD, then DeleteObject; deleteDirectory: DeleteObjects
        expect_ok(raw.send("HEAD", bucket, keys[0]), "HEAD before delete")
        expect_ok(raw.send("DELETE", bucket, keys[0]), "DeleteObject (vhost)", status=204)
        delete_xml = ("<Delete><Quiet>true</Quiet>%s</Delete>" % "".join(
            "<Object><Key>%s</Key></Object>" % k for k in keys[1:])).encode()
        resp = raw.send("POST", bucket, query=[("delete", None)], body=delete_xml,
                        headers={"Content-MD5": md5_b64(delete_xml), "Content-Type": "application/xml"})
        expect_ok(resp, "DeleteObjects (vhost)")
        self.assertEqual(h.xml_root(resp.body).findall("Error"), [])
        self.assertEqual(self.client("pixelfed").list_objects_v2(Bucket=bucket)["KeyCount"], 0)
        # Pixelfed multipart (>= 16 MB in aws-sdk-php; smaller here) over the vhost endpoint
        data = self.rng.randbytes(PART + 5)
        _resp, parts = multipart_upload(raw, bucket, "public/m/_v2/7/video.mp4", data, part_mode="hex",
                                        create_headers={"x-amz-acl": "public-read", "Content-Type": "video/mp4"})
        self.assertStored(bucket, "public/m/_v2/7/video.mp4", data, tenant="pixelfed", etag=multipart_etag(parts))
        # Another tenant's key, through the bucket's virtual host: the public-read video is
        # readable by anyone (S3), but nothing can be written, deleted or listed.
        other = self.wire("gts", vhost=True)
        resp = other.send("GET", bucket, "public/m/_v2/7/video.mp4")
        self.assertEqual((resp.status, resp.body == data), (200, True), resp.body[:300])
        self.assertS3Error(other.send("DELETE", bucket, "public/m/_v2/7/video.mp4"), 403, "AccessDenied")
        self.assertS3Error(other.send("PUT", bucket, "planted.jpg", body=b"x"), 403, "AccessDenied")
        self.assertS3Error(other.send("GET", bucket, query=[("list-type", "2")]), 403, "AccessDenied")
        self.assertStored(bucket, "public/m/_v2/7/video.mp4", data, tenant="pixelfed", etag=multipart_etag(parts))
        self.assertClean()

    def test_virtual_host_is_case_insensitive_and_keeps_port(self):
        raw = self.wire("pixelfed", vhost=True)
        bucket = self.make_bucket("pixelfed", vhost=True)
        expect_ok(raw.send("PUT", bucket, "a.txt", body=b"hello"), "PUT")
        # A Host header in capitals (hostnames are case-insensitive) still names the bucket.
        path = "/a.txt"
        host = "%s.%s:%d" % (bucket, VHOST_DOMAIN.upper(), self.server.port)
        hdrs, _ = raw.signer.sign("GET", path, [], {"Host": host}, h.EMPTY_SHA256)
        resp = h.raw_request(self.server.port, "GET", path, headers=hdrs, tenant=None)
        expect_ok(resp, "GET with an upper-case Host")
        self.assertEqual(resp.body, b"hello")

    # -- GoToSocial read path: 302 to a presigned GET with response-content-type --------------------

    def test_presigned_get_with_response_overrides(self):
        raw = self.wire("gts")
        bucket = self.make_bucket("gts")
        data = self.rng.randbytes(12_345)
        expect_ok(raw.send("PUT", bucket, "01ACC/attachment/original/01MED.jpeg", body=data,
                           headers={"Content-Type": "application/octet-stream"}), "PUT")
        s3 = self.client("gts")
        url = s3.generate_presigned_url("get_object", ExpiresIn=86400, Params={
            "Bucket": bucket, "Key": "01ACC/attachment/original/01MED.jpeg",
            "ResponseContentType": "image/jpeg", "ResponseCacheControl": "private, max-age=604800"})
        parsed = urllib.parse.urlsplit(url)
        resp = h.raw_request(self.server.port, "GET", parsed.path, query=parsed.query, tenant=None)
        expect_ok(resp, "presigned GET")
        self.assertEqual(resp.body, data)
        self.assertEqual(resp.headers.get("content-type"), "image/jpeg")
        self.assertEqual(resp.headers.get("cache-control"), "private, max-age=604800")
        # The same through a virtual host, presigned by our own signer.
        vraw = self.wire("gts", vhost=True)
        target, host = vraw.get_url(bucket, "01ACC/attachment/original/01MED.jpeg",
                                    query=[("response-content-type", "image/jpeg")])
        path, _, qs = target.partition("?")
        resp = h.raw_request(self.server.port, "GET", path, query=qs, headers={"Host": host}, tenant=None)
        expect_ok(resp, "presigned GET (vhost)")
        self.assertEqual(resp.body, data)
        self.assertEqual(resp.headers.get("content-type"), "image/jpeg")
        # GoToSocial's startup probe: PUT, presign, DELETE a temporary object.
        expect_ok(raw.send("PUT", bucket, "gts-probe.txt", body=b"probe"), "probe PUT")
        target, host = raw.get_url(bucket, "gts-probe.txt", expires=60)
        path, _, qs = target.partition("?")
        expect_ok(h.raw_request(self.server.port, "GET", path, query=qs, headers={"Host": host}, tenant=None),
                  "probe presigned GET")
        expect_ok(raw.send("DELETE", bucket, "gts-probe.txt"), "probe DELETE", status=204)

    # -- dedup: multipart and single PUT of the same bytes are one blob -----------------------------

    def test_dedup_multipart_and_single_put(self):
        data = self.rng.randbytes(PART + 98_765)
        digest = h.sha256_hex(data)
        before = self.server.stats()
        # Akkoma: multipart with signed chunks, path style
        akkoma = self.wire("akkoma")
        b1 = self.make_bucket("akkoma")
        _resp, parts = multipart_upload(akkoma, b1, "%s.png" % digest, data)
        # Pixelfed: single PUT over a virtual host
        pix = self.wire("pixelfed", vhost=True)
        b2 = self.make_bucket("pixelfed", vhost=True)
        expect_ok(pix.send("PUT", b2, "public/m/_v2/1/x.png", body=data), "single PUT (vhost)")
        # GoToSocial: single PUT with an unsigned CRC32 trailer
        gts = self.wire("gts")
        b3 = self.make_bucket("gts")
        expect_ok(gts.send_streaming("PUT", b3, "01A/attachment/original/01B.png", data, mode=UNSIGNED_TRAILER,
                                     trailer=("x-amz-checksum-crc32", crc32_b64(data))), "trailer PUT")
        after = self.server.stats()
        self.assertEqual(after["objects"] - before["objects"], 3, (before, after))
        self.assertEqual(after["blobs"] - before["blobs"], 1, "same bytes should be one blob: %r -> %r" % (before, after))
        self.assertEqual(after["physical_bytes"] - before["physical_bytes"], len(data))
        self.assertEqual(after["logical_bytes"] - before["logical_bytes"], 3 * len(data))
        self.assertIn(digest, self.server.blob_names())
        self.assertStored(b1, "%s.png" % digest, data, etag=multipart_etag(parts))
        self.assertStored(b2, "public/m/_v2/1/x.png", data, tenant="pixelfed", etag=h.quoted_etag(data))
        self.assertClean()


if __name__ == "__main__":
    h.main()
