"""Failure modes that Fediverse clients run into, each answered with a clear S3 error and with
nothing stored (no object, no staged part, no temp file): bad chunk signatures, wrong flexible
checksums and Content-MD5, expired presigned URLs, truncated bodies, and the multipart errors
(EntityTooSmall, InvalidPart, InvalidPartOrder, NoSuchUpload).

Also: multipart round trips through the command-line clients with their default part sizes
(`aws s3 cp` at 8 MiB, s3cmd at 15 MiB), `aws s3 sync`, and the latency of a 16 MB PutObject
(Mastodon's read timeout is 5 s and it does not retry).
"""

import datetime
import hashlib
import io
import os
import random
import socket
import statistics
import subprocess
import time

import herd_harness as h
from herd_harness import HerdTestCase
from test_compat_streaming import (CHUNK, MiB, PART, SIGNED_STREAMING, SIGNED_STREAMING_TRAILER,
                                   UNSIGNED_TRAILER, RawS3, crc32_b64, expect_ok, md5_b64,
                                   multipart_etag, split_chunks, staging_files)

AWS = "/usr/bin/aws"
S3CMD = "/usr/bin/s3cmd"
CLI_TIMEOUT = 120


class CompatErrorsTest(HerdTestCase):
    TENANTS = ("alice",)

    def setUp(self):
        super().setUp()
        self.rng = random.Random(self.id())
        self.wire = RawS3(self.server, self.tenants["alice"])

    # -- helpers ------------------------------------------------------------------------------

    def make_bucket(self):
        bucket = self.unique_bucket("err")
        self.client().create_bucket(Bucket=bucket)
        return bucket

    def keys(self, bucket):
        return [o["Key"] for o in self.client().list_objects_v2(Bucket=bucket).get("Contents", [])]

    def assertNothingStored(self, bucket, key=None, upload_id=None):
        """No object (at `key` or at all), no part of `upload_id`, no temp or staged file."""
        if key is None:
            self.assertEqual(self.keys(bucket), [], "objects were stored")
        else:
            self.assertNotIn(key, self.keys(bucket), "the object was stored")
            self.assertObjectMissing(bucket, key)
        if upload_id is not None:
            parts = self.client().list_parts(Bucket=bucket, Key=key, UploadId=upload_id).get("Parts", [])
            self.assertEqual(parts, [], "a part was recorded")
        self.assertNoTempFiles()
        left = h.bounded_wait(lambda: not staging_files(self.server), 5.0)
        self.assertTrue(left, "leftover staged parts: %r" % staging_files(self.server))

    def create_upload(self, bucket, key, **kwargs):
        return self.client().create_multipart_upload(Bucket=bucket, Key=key, **kwargs)["UploadId"]

    def put_part(self, bucket, key, upload_id, number, data):
        return self.client().upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number,
                                         Body=data)["ETag"]

    def complete(self, bucket, key, upload_id, parts):
        return self.client().complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": e} for n, e in parts]})

    # -- bad chunk signatures -------------------------------------------------------------------

    def test_bad_chunk_signature(self):
        bucket = self.make_bucket()
        data = self.rng.randbytes(5 * CHUNK + 100)  # 6 data chunks + the final empty one
        for bad in (0, 3, 6):  # first, middle, final empty chunk
            with self.subTest(bad_chunk=bad):
                resp = self.wire.send_streaming("PUT", bucket, "bad%d.bin" % bad, data, bad_chunk=bad)
                self.assertS3Error(resp, 403, "SignatureDoesNotMatch")
                self.assertNothingStored(bucket, "bad%d.bin" % bad)
        # A chunk signed correctly but with its data changed after signing.
        def flip(body):
            i = body.index(b"\r\n") + 2 + 1000
            return body[:i] + bytes([body[i] ^ 1]) + body[i + 1:]
        resp = self.wire.send_streaming("PUT", bucket, "flipped.bin", data, body_filter=flip)
        self.assertS3Error(resp, 403, "SignatureDoesNotMatch")
        # A bad trailer signature (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER).
        resp = self.wire.send_streaming("PUT", bucket, "trailer.bin", data, mode=SIGNED_STREAMING_TRAILER,
                                        trailer=("x-amz-checksum-crc32", crc32_b64(data)), bad_trailer_sig=True)
        self.assertS3Error(resp, 403, "SignatureDoesNotMatch")
        self.assertNothingStored(bucket)

    def test_bad_chunk_signature_in_a_part(self):
        bucket = self.make_bucket()
        upload_id = self.create_upload(bucket, "video.mp4")
        resp = self.wire.send_streaming("PUT", bucket, "video.mp4", self.rng.randbytes(200_000),
                                        query=[("partNumber", "1"), ("uploadId", upload_id)], bad_chunk=1)
        self.assertS3Error(resp, 403, "SignatureDoesNotMatch")
        self.assertNothingStored(bucket, "video.mp4", upload_id)
        self.client().abort_multipart_upload(Bucket=bucket, Key="video.mp4", UploadId=upload_id)

    # -- wrong checksums ------------------------------------------------------------------------

    def test_wrong_crc32(self):
        bucket = self.make_bucket()
        data = self.rng.randbytes(100_000)
        wrong = crc32_b64(data + b"x")
        cases = {
            "header, signed payload": lambda k: self.wire.send("PUT", bucket, k, body=data, headers={
                "x-amz-sdk-checksum-algorithm": "CRC32", "x-amz-checksum-crc32": wrong}),
            "header, UNSIGNED-PAYLOAD": lambda k: self.wire.send("PUT", bucket, k, body=data, payload_hash=h.UNSIGNED,
                                                                 headers={"x-amz-checksum-crc32": wrong}),
            "header, signed chunks": lambda k: self.wire.send_streaming("PUT", bucket, k, data, headers={
                "x-amz-checksum-crc32": wrong}),
            "unsigned trailer": lambda k: self.wire.send_streaming("PUT", bucket, k, data, mode=UNSIGNED_TRAILER,
                                                                   trailer=("x-amz-checksum-crc32", wrong)),
            "signed trailer": lambda k: self.wire.send_streaming("PUT", bucket, k, data, mode=SIGNED_STREAMING_TRAILER,
                                                                 trailer=("x-amz-checksum-crc32", wrong)),
        }
        for name, send in cases.items():
            with self.subTest(case=name):
                key = name.replace(" ", "_").replace(",", "") + ".bin"
                resp = send(key)
                self.assertS3Error(resp, 400, "BadDigest")
                self.assertNothingStored(bucket, key)
        # boto3's own flexible checksum, corrupted: the same answer through a real SDK.
        s3 = self.client()
        self.assertClientError(lambda: s3.put_object(Bucket=bucket, Key="boto.bin", Body=data, ChecksumCRC32=wrong),
                               400, "BadDigest")
        self.assertNothingStored(bucket)

    def test_wrong_crc32_in_a_part(self):
        bucket = self.make_bucket()
        upload_id = self.create_upload(bucket, "p.bin", ChecksumAlgorithm="CRC32")
        data = self.rng.randbytes(70_000)
        resp = self.wire.send("PUT", bucket, "p.bin", query=[("partNumber", "1"), ("uploadId", upload_id)],
                              body=data, headers={"x-amz-checksum-crc32": crc32_b64(b"other")})
        self.assertS3Error(resp, 400, "BadDigest")
        self.assertNothingStored(bucket, "p.bin", upload_id)
        self.client().abort_multipart_upload(Bucket=bucket, Key="p.bin", UploadId=upload_id)

    def test_wrong_content_md5(self):
        bucket = self.make_bucket()
        data = self.rng.randbytes(50_000)
        resp = self.wire.send("PUT", bucket, "md5.bin", body=data, headers={"Content-MD5": md5_b64(data + b"!")})
        self.assertS3Error(resp, 400, "BadDigest")
        self.assertNothingStored(bucket, "md5.bin")
        # Malformed (not 16 bytes of base64) is InvalidDigest.
        resp = self.wire.send("PUT", bucket, "md5.bin", body=data, headers={"Content-MD5": "bm90LWFuLW1kNQ=="})
        self.assertS3Error(resp, 400, "InvalidDigest")
        self.assertNothingStored(bucket, "md5.bin")
        # The same through boto3 (which otherwise computes a correct one itself).
        s3 = self.client()
        self.assertClientError(lambda: s3.put_object(Bucket=bucket, Key="boto.bin", Body=data,
                                                     ContentMD5=md5_b64(b"something else")), 400, "BadDigest")
        # ... on an UploadPart
        upload_id = self.create_upload(bucket, "part.bin")
        resp = self.wire.send("PUT", bucket, "part.bin", query=[("partNumber", "1"), ("uploadId", upload_id)],
                              body=data, headers={"Content-MD5": md5_b64(b"nope")})
        self.assertS3Error(resp, 400, "BadDigest")
        self.assertNothingStored(bucket, "part.bin", upload_id)
        self.client().abort_multipart_upload(Bucket=bucket, Key="part.bin", UploadId=upload_id)

    def test_wrong_checksum_on_delete_objects(self):
        # S3 verifies the Content-MD5 (aws-sdk-ruby < 1.178, aws-sdk-php, boto3 < 1.36) or the
        # x-amz-checksum-crc32 (newer SDKs) of a DeleteObjects body: a batch whose key list was
        # corrupted in transit must delete nothing.
        body = b"<Delete><Quiet>true</Quiet><Object><Key>a</Key></Object><Object><Key>b</Key></Object></Delete>"
        other = body.replace(b">a<", b">c<")
        cases = {"Content-MD5": {"Content-MD5": md5_b64(other)},
                 "x-amz-checksum-crc32": {"x-amz-sdk-checksum-algorithm": "CRC32",
                                          "x-amz-checksum-crc32": crc32_b64(other)}}
        for name, headers in cases.items():
            with self.subTest(header=name):
                bucket = self.make_bucket()
                s3 = self.client()
                for k in ("a", "b", "c"):
                    s3.put_object(Bucket=bucket, Key=k, Body=b"keep me")
                resp = self.wire.send("POST", bucket, query=[("delete", None)], body=body, headers=headers)
                left = self.keys(bucket)
                self.assertS3Error(resp, 400, "BadDigest")
                self.assertEqual(left, ["a", "b", "c"], "DeleteObjects with a wrong %s deleted keys" % name)

    # -- expired presigned URL ------------------------------------------------------------------

    def test_expired_presigned_url(self):
        bucket = self.make_bucket()
        self.client().put_object(Bucket=bucket, Key="archive.zip", Body=b"PK\x03\x04 archive")
        past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=2)
        target, host = self.wire.get_url(bucket, "archive.zip", expires=3600, when=past)
        path, _, qs = target.partition("?")
        resp = h.raw_request(self.server.port, "GET", path, query=qs, headers={"Host": host}, tenant=None)
        self.assertS3Error(resp, 403, "AccessDenied")
        self.assertNotIn(b"archive", resp.body.replace(b"archive.zip", b""))
        # Still valid an hour later than that: the same URL made one hour ago works.
        target, host = self.wire.get_url(bucket, "archive.zip", expires=7200, when=past)
        path, _, qs = target.partition("?")
        resp = h.raw_request(self.server.port, "GET", path, query=qs, headers={"Host": host}, tenant=None)
        expect_ok(resp, "presigned GET within its lifetime")
        # boto3-presigned URL with a 1-second lifetime, used after it expired.
        url = self.client().generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "archive.zip"},
                                                   ExpiresIn=1)
        time.sleep(2.2)
        parts = url.split("?", 1)
        resp = h.raw_request(self.server.port, "GET", parts[0].split(str(self.server.port), 1)[1], query=parts[1],
                             tenant=None)
        self.assertS3Error(resp, 403, "AccessDenied")

    def test_anonymous_get_is_denied(self):
        bucket = self.make_bucket()
        self.client().put_object(Bucket=bucket, Key="private.png", Body=b"secret", ACL="private")
        resp = h.raw_request(self.server.port, "GET", h.object_path(bucket, "private.png"), tenant=None)
        self.assertS3Error(resp, 403, "AccessDenied")
        self.assertNotIn(b"secret", resp.body)

    # -- truncated bodies -----------------------------------------------------------------------

    def send_truncated(self, fn):
        """Runs a request that half-closes early; returns the response, or None if the server just
        closed the connection (both acceptable, as long as nothing is stored)."""
        try:
            return fn()
        except (ConnectionError, socket.timeout, h.http.client.HTTPException) as e:
            print("\n  (server closed the connection: %r)" % e)
            return None

    def assertIncomplete(self, resp):
        print("\n  truncated upload answered: %s" % (
            "connection closed" if resp is None else "%d %s" % (resp.status, h.parse_error(resp.body)[0]
                                                             if resp.status >= 400 else "")))
        if resp is not None:
            self.assertIn(resp.status, (400,), "truncated upload answered %d %r" % (resp.status, resp.body[:300]))
            code, _ = h.parse_error(resp.body)
            self.assertIn(code, ("IncompleteBody", "InvalidRequest"), resp.body[:300])

    def test_truncated_streaming_body(self):
        bucket = self.make_bucket()
        data = self.rng.randbytes(4 * CHUNK + 10)
        # aws-chunked bodies cut in the middle of the third chunk, Content-Length promising all of
        # it, the client's side of the connection half-closed.
        for mode, trailer in ((SIGNED_STREAMING, None),
                              (UNSIGNED_TRAILER, ("x-amz-checksum-crc32", crc32_b64(data)))):
            with self.subTest(mode=mode):
                key = "trunc-%s.bin" % mode.lower()
                resp = self.send_truncated(lambda: self.wire.send_streaming(
                    "PUT", bucket, key, data, mode=mode, trailer=trailer, truncate=2 * CHUNK + 500,
                    half_close=True, timeout=20))
                self.assertIncomplete(resp)
                self.assertNothingStored(bucket, key)
        # A complete aws-chunked body whose data is shorter than x-amz-decoded-content-length.
        resp = self.wire.send_streaming("PUT", bucket, "short.bin", data, decoded_length=len(data) + 5)
        self.assertIsNotNone(resp)
        self.assertIncomplete(resp)
        self.assertNothingStored(bucket, "short.bin")
        # A plain (UNSIGNED-PAYLOAD) body shorter than its Content-Length.
        resp = self.send_truncated(lambda: self.wire.send(
            "PUT", bucket, "plain.bin", body=data, payload_hash=h.UNSIGNED, send_body=data[:1000],
            content_length=len(data), half_close=True, timeout=20))
        self.assertIncomplete(resp)
        self.assertNothingStored(bucket)

    def test_truncated_part(self):
        bucket = self.make_bucket()
        upload_id = self.create_upload(bucket, "part.bin")
        data = self.rng.randbytes(300_000)
        resp = self.send_truncated(lambda: self.wire.send(
            "PUT", bucket, "part.bin", query=[("partNumber", "1"), ("uploadId", upload_id)], body=data,
            payload_hash=h.UNSIGNED, send_body=data[:123_456], content_length=len(data), half_close=True, timeout=20))
        self.assertIncomplete(resp)
        self.assertNothingStored(bucket, "part.bin", upload_id)
        self.client().abort_multipart_upload(Bucket=bucket, Key="part.bin", UploadId=upload_id)

    # -- multipart errors -------------------------------------------------------------------------

    def test_part_too_small(self):
        bucket = self.make_bucket()
        upload_id = self.create_upload(bucket, "small-parts.bin")
        e1 = self.put_part(bucket, "small-parts.bin", upload_id, 1, self.rng.randbytes(1 * MiB))
        e2 = self.put_part(bucket, "small-parts.bin", upload_id, 2, self.rng.randbytes(1 * MiB))
        self.assertClientError(lambda: self.complete(bucket, "small-parts.bin", upload_id, [(1, e1), (2, e2)]),
                               400, "EntityTooSmall")
        self.assertNotIn("small-parts.bin", self.keys(bucket))
        # The upload survives a failed Complete (S3 lets the client fix it) and can be aborted.
        self.client().abort_multipart_upload(Bucket=bucket, Key="small-parts.bin", UploadId=upload_id)
        self.assertNothingStored(bucket)

    def test_complete_with_wrong_etag(self):
        bucket = self.make_bucket()
        upload_id = self.create_upload(bucket, "etag.bin")
        e1 = self.put_part(bucket, "etag.bin", upload_id, 1, self.rng.randbytes(PART))
        self.put_part(bucket, "etag.bin", upload_id, 2, b"tail")
        self.assertClientError(lambda: self.complete(bucket, "etag.bin", upload_id, [(1, e1), (2, '"%s"' % ("0" * 32))]),
                               400, "InvalidPart")
        # ... and a part number that was never uploaded
        self.assertClientError(lambda: self.complete(bucket, "etag.bin", upload_id, [(1, e1), (3, e1)]),
                               400, "InvalidPart")
        self.assertNotIn("etag.bin", self.keys(bucket))
        self.client().abort_multipart_upload(Bucket=bucket, Key="etag.bin", UploadId=upload_id)
        self.assertNothingStored(bucket)

    def test_reuploaded_part_replaces_the_old_one(self):
        # A client retrying a part (timeouts, Akkoma's retries) sends the same number again: the
        # old part's ETag no longer completes the upload, the new one does, and the replaced part
        # leaves nothing behind in staging.
        bucket = self.make_bucket()
        upload_id = self.create_upload(bucket, "retry.bin")
        old = self.put_part(bucket, "retry.bin", upload_id, 1, self.rng.randbytes(PART))
        new_data = self.rng.randbytes(PART)
        new = self.put_part(bucket, "retry.bin", upload_id, 1, new_data)
        tail = self.put_part(bucket, "retry.bin", upload_id, 2, b"end")
        parts = self.client().list_parts(Bucket=bucket, Key="retry.bin", UploadId=upload_id)["Parts"]
        self.assertEqual([(p["PartNumber"], p["ETag"]) for p in parts], [(1, new), (2, tail)])
        self.assertClientError(lambda: self.complete(bucket, "retry.bin", upload_id, [(1, old), (2, tail)]),
                               400, "InvalidPart")
        self.complete(bucket, "retry.bin", upload_id, [(1, new), (2, tail)])
        body = self.client().get_object(Bucket=bucket, Key="retry.bin")["Body"].read()
        self.assertEqual(h.sha256_hex(body), h.sha256_hex(new_data + b"end"))
        self.assertClean()

    def test_complete_out_of_order(self):
        bucket = self.make_bucket()
        upload_id = self.create_upload(bucket, "order.bin")
        p1, p2 = self.rng.randbytes(PART), self.rng.randbytes(1000)
        e1 = self.put_part(bucket, "order.bin", upload_id, 1, p1)
        e2 = self.put_part(bucket, "order.bin", upload_id, 2, p2)
        self.assertClientError(lambda: self.complete(bucket, "order.bin", upload_id, [(2, e2), (1, e1)]),
                               400, "InvalidPartOrder")
        # A part listed twice is not ascending either.
        self.assertClientError(lambda: self.complete(bucket, "order.bin", upload_id, [(1, e1), (1, e1), (2, e2)]),
                               400, "InvalidPartOrder")
        # No parts at all is MalformedXML.
        resp = self.wire.send("POST", bucket, "order.bin", query=[("uploadId", upload_id)],
                              body=b"<CompleteMultipartUpload></CompleteMultipartUpload>")
        self.assertS3Error(resp, 400, "MalformedXML")
        self.assertNotIn("order.bin", self.keys(bucket))
        # The right order still completes afterwards.
        self.complete(bucket, "order.bin", upload_id, [(1, e1), (2, e2)])
        body = self.client().get_object(Bucket=bucket, Key="order.bin")["Body"].read()
        self.assertEqual(body, p1 + p2)
        self.assertClean()

    def assertClean(self):
        self.assertNoTempFiles()
        self.assertTrue(h.bounded_wait(lambda: not staging_files(self.server), 5.0), staging_files(self.server))

    def test_upload_part_after_abort(self):
        bucket = self.make_bucket()
        upload_id = self.create_upload(bucket, "gone.bin")
        e1 = self.put_part(bucket, "gone.bin", upload_id, 1, self.rng.randbytes(PART))
        self.client().abort_multipart_upload(Bucket=bucket, Key="gone.bin", UploadId=upload_id)
        s3 = self.client()
        self.assertClientError(lambda: s3.upload_part(Bucket=bucket, Key="gone.bin", UploadId=upload_id,
                                                      PartNumber=2, Body=b"late"), 404, "NoSuchUpload")
        # A streaming-signed part (GoToSocial) gets the same answer.
        resp = self.wire.send_streaming("PUT", bucket, "gone.bin", self.rng.randbytes(100_000),
                                        query=[("partNumber", "2"), ("uploadId", upload_id)])
        self.assertS3Error(resp, 404, "NoSuchUpload")
        self.assertClientError(lambda: self.complete(bucket, "gone.bin", upload_id, [(1, e1)]), 404, "NoSuchUpload")
        self.assertClientError(lambda: s3.list_parts(Bucket=bucket, Key="gone.bin", UploadId=upload_id),
                               404, "NoSuchUpload")
        self.assertNothingStored(bucket)

    # -- command-line clients with their default multipart sizes ---------------------------------

    def awscli_env(self):
        """Like herd_harness' awscli env, but with the CLI's default 8 MB multipart threshold."""
        env = self.server.awscli_env(self.tenants["alice"], region="us-east-1")
        cfg = os.path.join(self.server.work, "aws-config-compat")
        with open(cfg, "w") as f:
            f.write("[default]\ns3 =\n  addressing_style = path\n")
        env["AWS_CONFIG_FILE"] = cfg
        return env

    def aws(self, *args):
        cmd = [AWS, "--endpoint-url", self.server.endpoint, "--no-cli-pager", "--cli-read-timeout", "20",
               "--cli-connect-timeout", "10"] + list(args)
        proc = subprocess.run(cmd, env=self.awscli_env(), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=CLI_TIMEOUT, cwd=self.server.work)
        if proc.returncode != 0:
            self.fail("aws %s exited %d\nstdout: %s\nstderr: %s\n--- server log ---\n%s" % (
                " ".join(args), proc.returncode, proc.stdout[-2000:], proc.stderr[-4000:], self.server.log_tail(20)))
        return proc

    def local_file(self, name, size, seed):
        path = os.path.join(self.server.work, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = random.Random(seed).randbytes(size)
        with open(path, "wb") as f:
            f.write(data)
        return path, data

    def test_awscli_cp_multipart_20mb(self):
        bucket = self.make_bucket()
        src, data = self.local_file("aws/video.mp4", 20_000_000, 1)
        self.aws("s3", "cp", src, "s3://%s/media/video.mp4" % bucket)
        head = self.client().head_object(Bucket=bucket, Key="media/video.mp4")
        self.assertEqual(head["ContentLength"], len(data))
        self.assertRegex(head["ETag"], r'^"[0-9a-f]{32}-3"$', "8 MiB parts: 3 parts expected")
        self.assertEqual(head["ETag"], multipart_etag(split_chunks(data, 8 * MiB)))
        dst = os.path.join(self.server.work, "aws/back.mp4")
        self.aws("s3", "cp", "s3://%s/media/video.mp4" % bucket, dst)
        with open(dst, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), h.sha256_hex(data))
        self.assertClean()

    def test_awscli_sync_tree(self):
        bucket = self.make_bucket()
        root = os.path.join(self.server.work, "tree")
        rng = random.Random(5)
        for i in range(12):
            d = ["", "a", "a/b", "media/2024"][i % 4]
            path = os.path.join(root, d, "f%02d%s" % (i, [".png", ".txt", " space.bin"][i % 3]))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(rng.randbytes([0, 10, 5000, 70_000][i % 4]))
        want = h.tree_digest(root)
        self.aws("s3", "sync", root, "s3://%s/site" % bucket)
        self.assertEqual(sorted(self.keys(bucket)), sorted("site/" + k for k in want))
        again = self.aws("s3", "sync", root, "s3://%s/site" % bucket)
        self.assertNotIn("upload:", again.stdout, "second sync re-uploaded files")
        back = os.path.join(self.server.work, "tree-back")
        self.aws("s3", "sync", "s3://%s/site" % bucket, back)
        self.assertEqual(h.tree_digest(back), want)

    def test_expect_continue_with_an_empty_body_keeps_the_connection_usable(self):
        # boto3 / awscli send "Expect: 100-continue" with every file-like PutObject body, empty
        # files included. If the server answers an empty-bodied Expect request with its final
        # response and no "100 Continue", botocore keeps that response's status line for the
        # connection and misreads the next Expect request's response on it: that request hangs
        # until the read timeout (`aws s3 sync` of a tree with an empty file, boto3 upload_fileobj
        # of an empty file). S3 always sends 100 Continue first.
        bucket = self.make_bucket()
        tenant = self.tenants["alice"]
        s3 = h.boto3.session.Session(aws_access_key_id=tenant.access_key, aws_secret_access_key=tenant.secret_key,
                                     region_name="us-east-1").client("s3", endpoint_url=self.server.endpoint, config=h.Config(
            s3={"addressing_style": "path"}, signature_version="s3v4", connect_timeout=5, read_timeout=5,
            retries={"total_max_attempts": 1, "mode": "standard"}, max_pool_connections=1))
        for i, size in enumerate((0, 10, 0, 70_000)):
            t0 = time.monotonic()
            s3.put_object(Bucket=bucket, Key="f%d" % i, Body=io.BytesIO(b"x" * size))
            self.assertLess(time.monotonic() - t0, 4.0)
        self.assertEqual(sorted(self.keys(bucket)), ["f0", "f1", "f2", "f3"])
        # What the server sends on the wire: the interim response comes first.
        resp = self.wire.send("PUT", bucket, "raw-empty", body=b"", expect_continue=True)
        expect_ok(resp, "empty PUT with Expect")
        self.assertTrue(resp.interim is not None and resp.interim.startswith(b"HTTP/1.1 100"),
                        "no 100 Continue before the final response: %r" % (resp.interim,))

    def test_s3cmd_put_multipart_20mb(self):
        bucket = self.make_bucket()
        config = self.server.s3cmd_config(self.tenants["alice"], name="s3cmd-multipart.cfg")
        with open(config) as f:
            text = f.read().replace("enable_multipart = False", "enable_multipart = True")
        with open(config, "w") as f:
            f.write(text + "multipart_chunk_size_mb = 15\n")
        src, data = self.local_file("s3cmd/big.webm", 20_000_000, 2)

        def s3cmd(*args):
            proc = subprocess.run([S3CMD, "-c", config, "--no-progress"] + list(args), env=self.server.base_env(),
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=CLI_TIMEOUT,
                                  cwd=self.server.work)
            if proc.returncode != 0:
                self.fail("s3cmd %s exited %d\nstdout: %s\nstderr: %s" % (" ".join(args), proc.returncode,
                                                                         proc.stdout[-2000:], proc.stderr[-4000:]))
            return proc

        s3cmd("put", src, "s3://%s/big.webm" % bucket)
        head = self.client().head_object(Bucket=bucket, Key="big.webm")
        self.assertEqual(head["ContentLength"], len(data))
        self.assertEqual(head["ETag"], multipart_etag(split_chunks(data, 15 * MiB)), "15 MiB parts: 2 expected")
        dst = os.path.join(self.server.work, "s3cmd/back.webm")
        s3cmd("get", "s3://%s/big.webm" % bucket, dst)
        with open(dst, "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), h.sha256_hex(data))
        self.assertClean()

    # -- latency -----------------------------------------------------------------------------------

    def test_put_16mb_latency(self):
        bucket = self.make_bucket()
        s3 = self.client()
        data = random.Random(7).randbytes(16 * 1000 * 1000)  # Mastodon's image limit (16 MB)
        times = []
        for i in range(5):
            body = data[:-8] + i.to_bytes(8, "big")  # new content each run: no dedup shortcut
            t0 = time.monotonic()
            s3.put_object(Bucket=bucket, Key="latency-%d.jpg" % i, Body=body, ContentType="image/jpeg")
            times.append(time.monotonic() - t0)
        t0 = time.monotonic()
        s3.put_object(Bucket=bucket, Key="latency-dup.jpg", Body=data[:-8] + (0).to_bytes(8, "big"))
        dup = time.monotonic() - t0
        med, worst = statistics.median(times), max(times)
        print("\n  LATENCY 16 MB PutObject (boto3, signed payload, loopback): median %.3f s, max %.3f s, "
              "runs %s; duplicate content %.3f s" % (med, worst, ", ".join("%.3f" % t for t in times), dup))
        self.assertLess(worst, 5.0, "a 16 MB PutObject took longer than Mastodon's 5 s read timeout")

    def test_complete_99mb_latency(self):
        # Mastodon's video limit is 99 MB: 19 parts of 5 MiB (aws-sdk-ruby's part size), and the
        # CompleteMultipartUpload call is under the same 5 s read timeout as every other call.
        bucket = self.make_bucket()
        s3 = self.client()
        data = random.Random(8).randbytes(99 * 1000 * 1000)
        upload_id = self.create_upload(bucket, "video.mp4")
        parts = split_chunks(data, PART)
        t0 = time.monotonic()
        etags = [(n, self.put_part(bucket, "video.mp4", upload_id, n, p)) for n, p in enumerate(parts, 1)]
        upload_time = time.monotonic() - t0
        t0 = time.monotonic()
        self.complete(bucket, "video.mp4", upload_id, etags)
        complete_time = time.monotonic() - t0
        print("\n  LATENCY 99 MB multipart (%d parts of 5 MiB, boto3, sequential): parts %.3f s, "
              "CompleteMultipartUpload %.3f s" % (len(parts), upload_time, complete_time))
        head = s3.head_object(Bucket=bucket, Key="video.mp4")
        self.assertEqual(head["ContentLength"], len(data))
        self.assertEqual(head["ETag"], multipart_etag(parts))
        self.assertLess(complete_time, 5.0, "CompleteMultipartUpload of 99 MB took longer than Mastodon's 5 s")
        s3.delete_object(Bucket=bucket, Key="video.mp4")
        self.assertClean()


if __name__ == "__main__":
    h.main()
