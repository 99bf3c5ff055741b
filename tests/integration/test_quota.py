#!/usr/bin/env python3
"""Quotas and usage: `herd tenant set NAME --quota-bytes N --quota-objects N` caps what a tenant
stores (logical bytes: what it uploaded, whatever dedup saves); an upload past a quota is 403
QuotaExceeded with nothing stored (PutObject, CompleteMultipartUpload, CopyObject, retrieve);
overwrites count their difference and deletes give room back; `herd tenant usage [--json]` shows
the figures, which follow every write."""
import json
import os

import herd_harness as h
from herd_harness import HerdTestCase


class QuotaTest(HerdTestCase):
    TENANTS = ("alice", "bob")

    def usage(self, name):
        out = json.loads(self.server.cli("tenant", "usage", name, "--json").stdout)
        self.assertEqual(len(out), 1)
        return out[0]

    def test_a_quota_refuses_growth_and_stores_nothing(self):
        s3 = self.client("alice")
        s3.create_bucket(Bucket="q-alice")
        shared = os.urandom(4000)
        self.client("bob").create_bucket(Bucket="q-bob")
        self.client("bob").put_object(Bucket="q-bob", Key="shared", Body=shared)  # dedup saves alice nothing
        s3.put_object(Bucket="q-alice", Key="one", Body=os.urandom(6000))
        proc = self.server.cli("tenant", "set", "alice", "--quota-bytes", "10000", "--quota-objects", "3")
        self.assertIn("10000 bytes, 3 objects", proc.stdout)
        s3.put_object(Bucket="q-alice", Key="two", Body=shared)  # 10000 bytes: exactly at the quota
        self.assertEqual(self.usage("alice")["logical_bytes"], 10000)
        self.assertClientError(lambda: s3.put_object(Bucket="q-alice", Key="three", Body=b"x"), 403, "QuotaExceeded")
        self.assertClientError(lambda: s3.copy_object(Bucket="q-alice", Key="copy", CopySource="q-alice/two"),
                               403, "QuotaExceeded")
        self.assertEqual(sorted(o["Key"] for o in s3.list_objects_v2(Bucket="q-alice")["Contents"]), ["one", "two"])
        # An overwrite counts its difference; a delete gives room back.
        s3.put_object(Bucket="q-alice", Key="one", Body=os.urandom(1000))
        self.assertEqual(self.usage("alice")["logical_bytes"], 5000)
        s3.put_object(Bucket="q-alice", Key="three", Body=os.urandom(5000))
        self.assertClientError(lambda: s3.put_object(Bucket="q-alice", Key="four", Body=b""), 403, "QuotaExceeded")
        s3.delete_object(Bucket="q-alice", Key="three")
        s3.put_object(Bucket="q-alice", Key="four", Body=b"")
        usage = self.usage("alice")
        self.assertEqual((usage["objects"], usage["logical_bytes"]), (3, 5000))
        self.assertEqual((usage["quota_objects"], usage["quota_bytes"]), (3, 10000))

    def test_a_multipart_completion_past_the_quota_is_refused(self):
        s3 = self.client("bob")
        s3.create_bucket(Bucket="q-bob-mp")
        self.server.cli("tenant", "set", "bob", "--quota-bytes", str(6 * 1024 * 1024))
        upload = s3.create_multipart_upload(Bucket="q-bob-mp", Key="big")["UploadId"]
        parts = []
        for n in (1, 2):
            body = os.urandom(5 * 1024 * 1024 if n == 1 else 2 * 1024 * 1024)
            etag = s3.upload_part(Bucket="q-bob-mp", Key="big", UploadId=upload, PartNumber=n, Body=body)["ETag"]
            parts.append({"PartNumber": n, "ETag": etag})
        self.assertClientError(lambda: s3.complete_multipart_upload(
            Bucket="q-bob-mp", Key="big", UploadId=upload, MultipartUpload={"Parts": parts}), 403, "QuotaExceeded")
        self.assertNotIn("Contents", s3.list_objects_v2(Bucket="q-bob-mp"))
        self.server.cli("tenant", "set", "bob", "--quota-bytes", "none")
        s3.complete_multipart_upload(Bucket="q-bob-mp", Key="big", UploadId=upload, MultipartUpload={"Parts": parts})
        self.assertEqual(s3.head_object(Bucket="q-bob-mp", Key="big")["ContentLength"], 7 * 1024 * 1024)

    def test_bad_quota_arguments_are_clear_errors(self):
        proc = self.server.cli("tenant", "set", "alice", "--quota-bytes", "lots", check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("--quota-bytes must be a number", proc.stderr)
        proc = self.server.cli("tenant", "set", "nobody", "--quota-bytes", "1", check=False)
        self.assertIn("no tenant named", proc.stderr)
        self.assertEqual(len(json.loads(self.server.cli("tenant", "usage", "--json").stdout)), 2)


if __name__ == "__main__":
    h.main()
