#!/usr/bin/env python3
"""Federation by hash, as remote servers and uploading instances see it: public objects and blob
URLs carry an RFC 9530 Repr-Digest; blobs answer as FEP-ef61 hashlinks
(/.well-known/apgateway/hl:zQm…) only while a public object references them; and a PutObject that
sends `Expect: 100-continue` with the body's SHA-256 signed is answered without its body when a
public object (or one of the uploader's own) already holds those bytes (boto3, and aws-sdk-s3 for Ruby as Mastodon uses it),
measured by a relay that counts what the client sent, and counted in `herd stats`. A hash that
only another tenant's private object references is never skipped."""
import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request

import herd_harness as h
from herd_harness import HerdTestCase

HERE = os.path.dirname(os.path.abspath(__file__))
RUBY = shutil.which("ruby", path="/usr/bin:/bin:/usr/local/bin")
RUBY_SCRIPT = os.path.join(HERE, "ruby", "mastodon.rb")
PUBLIC_PORT = h.free_port()


class FederationByHashTest(HerdTestCase):
    TENANTS = ("alice", "bob")
    SERVER_CONFIG = '[public]\nlisten = "127.0.0.1:%d"\n' % PUBLIC_PORT

    def public(self, method, path):
        """(status, headers, body) of an anonymous request to the public endpoint."""
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (PUBLIC_PORT, path), method=method)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        except urllib.error.HTTPError as e:
            return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()

    def put_public(self, key, body, bucket=None, acl="public-read"):
        bucket = bucket or self.unique_bucket("pub")
        s3 = self.client("alice")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key=key, Body=body, ACL=acl, ContentType="image/png")
        return bucket

    # --- digests and hashlinks

    def test_public_objects_and_blobs_carry_repr_digest(self):
        body = os.urandom(5000)
        bucket = self.put_public("a.png", body)
        for path in ("/%s/a.png" % bucket, "/blobs/%s" % h.sha256_hex(body)):
            for method in ("GET", "HEAD"):
                status, headers, _ = self.public(method, path)
                self.assertEqual(status, 200, path)
                self.assertEqual(headers.get("repr-digest"), h.repr_digest(body), (method, path))
        # A range still names the digest of the whole representation.
        req = urllib.request.Request("http://127.0.0.1:%d/%s/a.png" % (PUBLIC_PORT, bucket), headers={"Range": "bytes=0-9"})
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertEqual(r.status, 206)
            self.assertEqual(r.headers["Repr-Digest"], h.repr_digest(body))

    def test_hashlinks_serve_public_blobs_only(self):
        body = os.urandom(3000)
        self.put_public("b.png", body)
        status, headers, got = self.public("GET", "/.well-known/apgateway/" + h.hashlink(body))
        self.assertEqual(status, 200)
        self.assertEqual(got, body)
        self.assertEqual(headers["repr-digest"], h.repr_digest(body))
        self.assertIn("immutable", headers["cache-control"])
        self.assertEqual(headers["x-content-type-options"], "nosniff")
        status, headers, got = self.public("HEAD", "/.well-known/apgateway/" + h.hashlink(body))
        self.assertEqual((status, headers["content-length"], got), (200, str(len(body)), b""))

        private = os.urandom(3000)
        self.put_public("secret.png", private, acl="private")
        self.assertEqual(self.public("GET", "/.well-known/apgateway/" + h.hashlink(private))[0], 404)
        self.assertEqual(self.public("GET", "/.well-known/apgateway/" + h.hashlink(b"never stored"))[0], 404)

    def test_bad_hashlinks_are_400(self):
        body = b"hashlink test bytes"
        self.put_public("c.png", body)
        good = h.hashlink(body)
        sha512 = "hl:z" + h.base58(b"\x13\x40" + hashlib.sha512(body).digest())
        for bad in (good[:-3], good + ":zMetadata", "hl:Qm" + good[5:], sha512, "hl:z0OIl"):
            status, _, _ = self.public("GET", "/.well-known/apgateway/" + bad)
            self.assertEqual(status, 400, bad)

    # --- uploads skipped for bytes the pool holds publicly

    def stats(self):
        return self.server.stats()

    def bob_put_through_relay(self, bucket, key, body, **put_args):
        """PutObject by bob with boto3 (a file body: botocore sends Expect: 100-continue) through
        a counting relay; returns (response, bytes the client sent)."""
        relay = h.CountingProxy(self.server.port)
        try:
            tenant = self.tenants["bob"]
            s3 = h.boto3.client("s3", endpoint_url=relay.endpoint, aws_access_key_id=tenant.access_key,
                                aws_secret_access_key=tenant.secret_key, region_name="us-east-1",
                                config=h.Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                                                retries={"total_max_attempts": 1}))
            resp = s3.put_object(Bucket=bucket, Key=key, Body=io.BytesIO(body), **put_args)
            return resp, relay.sent
        finally:
            relay.stop()

    def bob_bucket(self):
        name = self.unique_bucket("bob")
        self.client("bob").create_bucket(Bucket=name)
        return name

    def test_boto3_put_of_public_bytes_sends_no_body(self):
        body = os.urandom(2 * 1024 * 1024)
        self.put_public("orig.png", body)
        before = self.stats()
        bucket = self.bob_bucket()
        resp, sent = self.bob_put_through_relay(bucket, "copy.png", body, ContentType="image/png")
        self.assertLess(sent, 16 * 1024, "the client sent the body")
        self.assertEqual(resp["ETag"], h.quoted_etag(body))
        after = self.stats()
        self.assertEqual(after["uploads_skipped"], before["uploads_skipped"] + 1)
        self.assertEqual(after["upload_bytes_skipped"], before["upload_bytes_skipped"] + len(body))
        self.assertEqual(after["blobs"], before["blobs"])
        got = self.client("bob").get_object(Bucket=bucket, Key="copy.png")
        self.assertEqual(got["Body"].read(), body)
        self.assertEqual(got["ContentType"], "image/png")
        self.assertEqual(got["ETag"], h.quoted_etag(body))
        # bob's object is his own: private by default, whatever alice's ACL.
        self.assertEqual(self.public("GET", "/%s/copy.png" % bucket)[0], 403)

    def test_one_boto3_connection_goes_on_after_skipped_uploads(self):
        # Empty files are never skipped (test_compat_errors: an Expect request answered without
        # 100 on a kept-alive connection confuses botocore); skipped bodies close the connection.
        body = os.urandom(300000)
        self.put_public("conn.png", body)
        self.put_public("empty.png", b"")
        bucket = self.bob_bucket()
        tenant = self.tenants["bob"]
        s3 = h.boto3.session.Session(aws_access_key_id=tenant.access_key, aws_secret_access_key=tenant.secret_key,
                                     region_name="us-east-1").client("s3", endpoint_url=self.server.endpoint, config=h.Config(
            s3={"addressing_style": "path"}, signature_version="s3v4", connect_timeout=5, read_timeout=5,
            retries={"total_max_attempts": 1, "mode": "standard"}, max_pool_connections=1))
        before = self.stats()["uploads_skipped"]
        for i, payload in enumerate((body, b"", os.urandom(1000), body, b"", body)):
            t0 = time.monotonic()
            s3.put_object(Bucket=bucket, Key="c%d" % i, Body=io.BytesIO(payload))
            self.assertLess(time.monotonic() - t0, 4.0, i)
        self.assertEqual(self.stats()["uploads_skipped"], before + 3)
        self.assertEqual(s3.get_object(Bucket=bucket, Key="c5")["Body"].read(), body)

    def test_a_checksum_sha256_is_kept_on_a_skipped_upload(self):
        body = os.urandom(1024 * 1024 + 7)
        self.put_public("orig2.png", body)
        bucket = self.bob_bucket()
        checksum = base64.b64encode(hashlib.sha256(body).digest()).decode()
        resp, sent = self.bob_put_through_relay(bucket, "c.png", body, ChecksumSHA256=checksum)
        self.assertLess(sent, 16 * 1024)
        self.assertEqual(resp.get("ChecksumSHA256"), checksum)
        head = self.client("bob").head_object(Bucket=bucket, Key="c.png", ChecksumMode="ENABLED")
        self.assertEqual(head.get("ChecksumSHA256"), checksum)

    def test_privately_referenced_bytes_are_always_received(self):
        body = os.urandom(2 * 1024 * 1024)
        self.put_public("private.png", body, acl="private")
        before = self.stats()
        bucket = self.bob_bucket()
        resp, sent = self.bob_put_through_relay(bucket, "mine.png", body)
        self.assertGreater(sent, len(body), "a private blob's hash let the upload skip its body")
        self.assertEqual(resp["ETag"], h.quoted_etag(body))
        self.assertEqual(self.stats()["uploads_skipped"], before["uploads_skipped"])
        self.assertEqual(self.client("bob").get_object(Bucket=bucket, Key="mine.png")["Body"].read(), body)

    def test_a_tenant_reuploading_its_own_private_bytes_sends_no_body(self):
        body = os.urandom(1024 * 1024 + 3)
        bucket = self.put_public("mine.png", body, acl="private")
        tenant = self.tenants["alice"]
        resp = h.raw_request(self.server.port, "PUT", "/%s/again.png" % bucket, body=body, tenant=tenant,
                             expect_continue=True)
        self.assertEqual(resp.status, 200)
        self.assertFalse(resp.interim.startswith(b"HTTP/1.1 100"), resp.interim)
        self.assertEqual(self.client("alice").get_object(Bucket=bucket, Key="again.png")["Body"].read(), body)

    def test_an_upload_part_of_public_bytes_sends_no_body(self):
        part1 = os.urandom(5 * 1024 * 1024 + 11)
        self.put_public("big.mp4", part1)
        before = self.stats()
        bucket = self.bob_bucket()
        s3 = self.client("bob")
        upload_id = s3.create_multipart_upload(Bucket=bucket, Key="video.mp4")["UploadId"]
        resp = h.raw_request(self.server.port, "PUT", "/%s/video.mp4" % bucket,
                             query={"partNumber": "1", "uploadId": upload_id}, body=part1,
                             tenant=self.tenants["bob"], expect_continue=True)
        self.assertEqual(resp.status, 200, resp.body)
        self.assertFalse(resp.interim.startswith(b"HTTP/1.1 100"), resp.interim)
        self.assertEqual(resp.headers["etag"], h.quoted_etag(part1))
        part2 = os.urandom(1000)
        etag2 = s3.upload_part(Bucket=bucket, Key="video.mp4", UploadId=upload_id, PartNumber=2, Body=part2)["ETag"]
        s3.complete_multipart_upload(Bucket=bucket, Key="video.mp4", UploadId=upload_id, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": h.quoted_etag(part1)}, {"PartNumber": 2, "ETag": etag2}]})
        self.assertEqual(s3.get_object(Bucket=bucket, Key="video.mp4")["Body"].read(), part1 + part2)
        after = self.stats()
        self.assertEqual(after["uploads_skipped"], before["uploads_skipped"] + 1)
        self.assertEqual(after["upload_bytes_skipped"], before["upload_bytes_skipped"] + len(part1))

    def test_a_wrong_length_or_md5_is_not_skipped(self):
        body = os.urandom(100000)
        bucket = self.put_public("d.png", body)
        tenant = self.tenants["bob"]
        target = self.bob_bucket()
        # Declares the public blob's hash with one byte more: the body is read (100 Continue)
        # and fails its signed hash.
        resp = h.raw_request(self.server.port, "PUT", "/%s/e.png" % target, body=body + b"x", tenant=tenant,
                             payload_hash=h.sha256_hex(body), expect_continue=True)
        self.assertTrue(resp.interim and resp.interim.startswith(b"HTTP/1.1 100"), resp.interim)
        self.assertEqual(resp.status, 400)
        # The right hash and length but a Content-MD5 of other bytes: read, then BadDigest.
        md5_other = base64.b64encode(hashlib.md5(b"other").digest()).decode()
        resp = h.raw_request(self.server.port, "PUT", "/%s/f.png" % target, body=body, tenant=tenant,
                             headers={"Content-MD5": md5_other}, expect_continue=True)
        self.assertTrue(resp.interim and resp.interim.startswith(b"HTTP/1.1 100"), resp.interim)
        self.assertEqual(resp.status, 400)
        # And without Expect: 100-continue the body is simply received.
        resp = h.raw_request(self.server.port, "PUT", "/%s/g.png" % target, body=body, tenant=tenant)
        self.assertEqual(resp.status, 200)
        # With it, no 100 Continue: the final answer comes first.
        resp = h.raw_request(self.server.port, "PUT", "/%s/h.png" % target, body=body, tenant=tenant,
                             expect_continue=True)
        self.assertEqual(resp.status, 200)
        self.assertFalse(resp.interim.startswith(b"HTTP/1.1 100"), resp.interim)
        self.assertEqual(resp.headers["etag"], h.quoted_etag(body))
        del bucket

    def test_ruby_sdk_upload_of_public_bytes_sends_no_body(self):
        if RUBY is None:
            self.fail("ruby is not installed; run scripts/install-deps.sh --test")
        body = os.urandom(3 * 1024 * 1024)
        self.put_public("avatar.png", body)
        before = self.stats()
        bucket = self.unique_bucket("masto")
        path = os.path.join(self.server.work, "upload.bin")
        with open(path, "wb") as f:
            f.write(body)
        relay = h.CountingProxy(self.server.port)
        try:
            tenant = self.tenants["bob"]
            env = self.server.base_env()
            env.update({"HERD_ENDPOINT": relay.endpoint, "HERD_ACCESS_KEY": tenant.access_key,
                        "HERD_SECRET_KEY": tenant.secret_key, "HERD_BUCKET": bucket, "HERD_WORKDIR": self.server.work,
                        "HERD_UPLOAD_FILE": path, "HERD_KEY": "media_attachments/files/1/original/x.png"})
            proc = subprocess.run([RUBY, RUBY_SCRIPT, "upload_file"], env=env, stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=90)
            sent = relay.sent
        finally:
            relay.stop()
        self.assertEqual(proc.returncode, 0, proc.stdout[-2000:] + proc.stderr[-2000:])
        result = json.loads(proc.stdout.strip().splitlines()[-1])["result"]
        self.assertEqual(result["etag"], h.quoted_etag(body))
        self.assertLess(sent, 64 * 1024, "aws-sdk-s3 sent the body")
        self.assertEqual(self.stats()["uploads_skipped"], before["uploads_skipped"] + 1)
        got = self.client("bob").get_object(Bucket=bucket, Key="media_attachments/files/1/original/x.png")
        self.assertEqual(got["Body"].read(), body)
        self.assertEqual(self.public("GET", "/%s/media_attachments/files/1/original/x.png" % bucket)[0], 200)


if __name__ == "__main__":
    h.main()
