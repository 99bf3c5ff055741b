"""Misskey compatibility: @aws-sdk/client-s3 + @aws-sdk/lib-storage (js/misskey.mjs) as Misskey's
S3Service uses them: path style, lib-storage Upload with 8 MiB parts from a file stream (a small
file goes as one PutObject, 20 MiB and 8 MiB + 12345 bytes as multipart), Content-Type,
Cache-Control, Content-Disposition and ACL public-read; GetObject (sha256), HeadObject metadata,
Range, DeleteObject. Run twice: with the SDK's default checksum behaviour (CRC32 headers and
aws-chunked trailers, response validation) and with WHEN_REQUIRED as Misskey configures it.

Needs: node >= 20 and `npm ci` in tests/integration/js (scripts/install-deps.sh --test).
"""

import json
import os
import shutil
import subprocess

import herd_harness as h
from herd_harness import HerdTestCase

HERE = os.path.dirname(os.path.abspath(__file__))
JS_DIR = os.path.join(HERE, "js")
SCRIPT = os.path.join(JS_DIR, "misskey.mjs")
NODE = shutil.which("node", path="/usr/bin:/bin:/usr/local/bin")
TIMEOUT = 120


def describe_request(r):
    """One line for a request the SDK sent (as recorded by misskey.mjs)."""
    return "%s ?%s payload=%s content-encoding=%s checksums=[%s] content-length=%s decoded=%s te=%s" % (
        r["method"], r["query"], r["payload"], r.get("encoding"), ",".join(r["checksums"]), r.get("length"),
        r.get("decoded"), r.get("te"))


class MisskeyJsSdkTest(HerdTestCase):
    TENANTS = ("misskey",)

    @classmethod
    def setUpClass(cls):
        if NODE is None:
            raise RuntimeError("node is not installed (Node.js >= 20 is needed for @aws-sdk v3)")
        if not os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "lib-storage")):
            raise RuntimeError("tests/integration/js/node_modules is missing; run `npm ci` in %s "
                               "(scripts/install-deps.sh --test)" % JS_DIR)
        super().setUpClass()

    def run_mode(self, mode, scenario="misskey"):
        bucket = self.unique_bucket("misskey")
        work = os.path.join(self.server.work, "js-%s-%s" % (mode, scenario))
        os.makedirs(work, exist_ok=True)
        tenant = self.tenants["misskey"]
        env = self.server.base_env()
        env.update({
            "HERD_ENDPOINT": self.server.endpoint,
            "HERD_ACCESS_KEY": tenant.access_key,
            "HERD_SECRET_KEY": tenant.secret_key,
            "HERD_BUCKET": bucket,
            "HERD_WORKDIR": work,
            "NODE_NO_WARNINGS": "1",
        })
        try:
            proc = subprocess.run([NODE, SCRIPT, mode, scenario], env=env, cwd=JS_DIR, stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=TIMEOUT)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        result = None
        for line in reversed(proc.stdout.strip().splitlines()):
            try:
                result = json.loads(line)
                break
            except ValueError:
                continue
        if proc.returncode != 0 or not result or not result.get("ok"):
            self.fail("node misskey.mjs %s %s exited %d\nresult: %s\nstderr: %s\n--- server log ---\n%s"
                      % (mode, scenario, proc.returncode, json.dumps(result, indent=1) if result else proc.stdout[-3000:],
                         proc.stderr[-3000:], self.server.log_tail(30)))
        facts = result["facts"]
        print("\n  @aws-sdk/client-s3 %s, lib-storage %s, mode %s" % (result.get("sdk"), result.get("lib_storage"), mode))
        for label in ("small", "big", "stream", "stream_small"):
            if label + "_requests" not in facts:
                continue
            kinds = sorted({describe_request(r) for r in facts.get(label + "_requests", [])})
            print("  %s upload sent:\n    %s" % (label, "\n    ".join(kinds)))
        return result, bucket

    def check_kept(self, result, bucket):
        kept = result["facts"]["kept"]
        s3 = self.client()
        obj = s3.get_object(Bucket=bucket, Key=kept["key"])
        self.assertEqual(h.sha256_hex(obj["Body"].read()), kept["sha256"])
        self.assertEqual(obj["ContentType"], "image/webp")
        self.assertEqual(obj["CacheControl"], "max-age=31536000, immutable")
        self.assertEqual(obj["ContentDisposition"], 'inline; filename="x.webp"')
        grants = s3.get_object_acl(Bucket=bucket, Key=kept["key"])["Grants"]
        self.assertTrue(any(g["Grantee"].get("URI", "").endswith("/groups/global/AllUsers") and g["Permission"] == "READ"
                            for g in grants), "ACL public-read was not applied: %r" % grants)

    def test_sdk_default_checksums(self):
        result, bucket = self.run_mode("default")
        self.check_kept(result, bucket)
        # The default mode must really have exercised flexible checksums on the uploads.
        sent = result["facts"]["small_requests"] + result["facts"]["big_requests"]
        self.assertTrue(any(r["checksums"] for r in sent if r["method"] in ("PUT", "POST")),
                        "the SDK sent no checksum headers in default mode: %r" % sent)

    def test_when_required_checksums(self):
        result, bucket = self.run_mode("when_required")
        self.check_kept(result, bucket)
        sent = result["facts"]["small_requests"] + result["facts"]["big_requests"]
        puts = [r for r in sent if r["method"] == "PUT"]
        self.assertTrue(puts)
        self.assertFalse(any(c.startswith("x-amz-checksum-") for r in puts for c in r["checksums"]),
                         "WHEN_REQUIRED still sent checksums on PUT: %r" % puts)

    def test_stream_put_default_checksums(self):
        # PutObjectCommand with a stream body: the SDK sends aws-chunked +
        # STREAMING-UNSIGNED-PAYLOAD-TRAILER (x-amz-checksum-crc32 in the trailer), with
        # x-amz-decoded-content-length and (3.7xx+) Transfer-Encoding: chunked instead of a
        # Content-Length.
        result, _bucket = self.run_mode("default", "stream")
        sent = [r for r in result["facts"]["stream_requests"] if r["method"] == "PUT"]
        self.assertTrue(sent and sent[0]["payload"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER", sent)

    def test_stream_put_when_required(self):
        result, _bucket = self.run_mode("when_required", "stream")
        sent = [r for r in result["facts"]["stream_requests"] if r["method"] == "PUT"]
        self.assertTrue(sent, result["facts"])

    def test_dedup_across_modes(self):
        # Every run uploads the same three contents (a seeded generator; "kept" reuses the small
        # one), by single PUT, by multipart, with and without checksums: the pool holds exactly
        # three blobs whatever ran before, and only the small one is still referenced.
        a, _bucket_a = self.run_mode("when_required")
        b, _bucket_b = self.run_mode("default")
        self.assertEqual(a["facts"]["kept"]["sha256"], b["facts"]["kept"]["sha256"])
        stats = self.server.stats()
        self.assertEqual(stats["blobs"], 3, "expected 3 distinct blobs: %r" % stats)
        self.assertEqual(stats["blobs"] - stats["reclaimable_blobs"], 1, "referenced blobs: %r" % stats)

if __name__ == "__main__":
    h.main()
