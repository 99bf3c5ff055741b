"""Mastodon compatibility: aws-sdk-s3 for Ruby, configured as Mastodon's paperclip initializer
does (custom endpoint, path style, us-east-1, 5 s timeouts, no retries), driving the calls that
Mastodon makes: upload_file with ACL / Content-Type / Cache-Control and a 15 MB multipart
threshold, download_file (HEAD ?partNumber=1, then part or ranged GETs), PutObjectAcl on
suspension, DeleteObjects in quiet mode, ListObjectsV2 paging, presigned archive URLs, and
CopyObject + DeleteObject. The Ruby side is ruby/mastodon.rb; each test runs one scenario.

Needs: ruby and Debian's ruby-aws-sdk-s3 (scripts/install-deps.sh --test).
"""

import json
import os
import shutil
import subprocess

import herd_harness as h
from herd_harness import HerdTestCase

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "ruby", "mastodon.rb")
RUBY = shutil.which("ruby", path="/usr/bin:/bin:/usr/local/bin")
TIMEOUT = 90


class MastodonRubySdkTest(HerdTestCase):
    TENANTS = ("mastodon",)

    @classmethod
    def setUpClass(cls):
        if RUBY is None:
            raise RuntimeError("ruby is not installed; run scripts/install-deps.sh --test "
                               "(apt-get install ruby ruby-aws-sdk-s3)")
        super().setUpClass()

    def run_scenario(self, scenario):
        """Runs `ruby mastodon.rb SCENARIO` against this server; returns its parsed JSON output."""
        bucket = self.unique_bucket("masto")
        work = os.path.join(self.server.work, "ruby-" + scenario)
        os.makedirs(work, exist_ok=True)
        tenant = self.tenants["mastodon"]
        env = self.server.base_env()
        env.update({
            "HERD_ENDPOINT": self.server.endpoint,
            "HERD_ACCESS_KEY": tenant.access_key,
            "HERD_SECRET_KEY": tenant.secret_key,
            "HERD_BUCKET": bucket,
            "HERD_WORKDIR": work,
        })
        try:
            proc = subprocess.run([RUBY, SCRIPT, scenario], env=env, cwd=work, stdin=subprocess.DEVNULL,
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
            self.fail("ruby mastodon.rb %s exited %d\nresult: %s\nstderr: %s\n--- server log ---\n%s"
                      % (scenario, proc.returncode, json.dumps(result, indent=1) if result else proc.stdout[-3000:],
                         proc.stderr[-3000:], self.server.log_tail(30)))
        print("\n  ruby %s: aws-sdk-s3 %s (core %s), %.2fs" % (scenario, result.get("sdk"), result.get("core"),
                                                             result.get("seconds", 0)))
        return result, bucket

    def test_small_media_put_get_acl_range_delete(self):
        result, bucket = self.run_scenario("small")
        # Cross-check with boto3 that what the Ruby SDK stored is what Mastodon meant to store.
        s3 = self.client()
        key = result["result"]["keys"][0]
        head = s3.head_object(Bucket=bucket, Key=key)
        self.assertEqual(head["ContentType"], "image/jpeg")
        self.assertEqual(head["CacheControl"], "public, max-age=315576000, immutable")

    def test_multipart_upload_file_and_download_file(self):
        result, bucket = self.run_scenario("multipart")
        key = result["result"]["key"]
        body = self.client().get_object(Bucket=bucket, Key=key)["Body"].read()
        self.assertEqual(h.sha256_hex(body), result["result"]["sha256"])
        self.assertEqual(len(body), 20_000_000)

    def test_multipart_with_crc32_like_newer_sdks(self):
        # aws-sdk-s3 >= 1.178 sends x-amz-checksum-crc32 on every PutObject / UploadPart and the
        # per-part checksums on Complete; Debian's 1.117 does so when asked for CRC32.
        result, _bucket = self.run_scenario("multipart_crc32")
        self.assertTrue(result["facts"].get("checksum_crc32", "").endswith("-4"), result["facts"])

    def test_acl_private_then_public_read(self):
        result, _bucket = self.run_scenario("acl")
        self.assertTrue(result["facts"]["private_grants"], result)

    def test_delete_objects_quiet(self):
        result, bucket = self.run_scenario("delete_objects")
        self.assertEqual(result["result"]["left"], 7)
        listed = self.client().list_objects_v2(Bucket=bucket).get("Contents", [])
        self.assertEqual(len(listed), 7)

    def test_list_objects_v2_paging(self):
        result, _bucket = self.run_scenario("list")
        self.assertEqual(result["facts"]["pages"], 5)  # 25 keys, 5 per page

    def test_presigned_archive_url(self):
        self.run_scenario("presign")

    def test_first_upload_creates_the_bucket(self):
        result, _bucket = self.run_scenario("no_such_bucket")
        self.assertEqual(result["result"]["attempts"], 2)
        self.assertLess(result["facts"]["seconds_with_retry"], 5.0)

    def test_copy_then_delete_storage_schema_upgrade(self):
        self.run_scenario("copy")


if __name__ == "__main__":
    h.main()
