#!/usr/bin/env python3
"""`herd migrate --from-sqlite DATA --to URL` moves an embedded pool's metadata onto PostgreSQL:
a server on the same data directory with [meta] backend = "postgres" then serves every object
(small packed ones and large files, metadata, ACLs), finishes a multipart upload begun before,
creates new tenants and buckets, and `herd fsck` finds nothing wrong. The migration refuses a
data directory a server is using and a database that already holds a pool.

Runs against the test PostgreSQL ctest starts (HERD_TEST_SERVERS); skipped without it."""
import json
import os
import unittest

import herd_harness as h
from botocore.exceptions import ClientError

HAVE_SERVERS = bool(os.environ.get("HERD_TEST_SERVERS"))


@unittest.skipUnless(HAVE_SERVERS, "needs the test PostgreSQL (HERD_TEST_SERVERS; ctest starts it)")
class MigrateTest(unittest.TestCase):
    def test_an_embedded_pool_moves_onto_postgresql(self):
        h.quiet_resource_warnings()
        old = h.HerdServer(meta="sqlite", blobs="disk")
        self.addCleanup(h.shutdown_server, old)
        old.start()
        alice = old.create_tenant("alice")
        s3 = old.client(alice)
        s3.create_bucket(Bucket="media")
        bodies = {"small/%d.png" % i: os.urandom(1000 + i) for i in range(20)}  # packed
        bodies["big.mp4"] = os.urandom(3 * 1024 * 1024)  # a file of its own
        bodies["key with spaces/ünïcode"] = b"x" * 10
        for key, body in bodies.items():
            s3.put_object(Bucket="media", Key=key, Body=body, ContentType="image/png", Metadata={"who": "alice"})
        s3.put_object_acl(Bucket="media", Key="small/0.png", ACL="public-read")
        s3.put_object(Bucket="media", Key="gone", Body=os.urandom(500))
        s3.delete_object(Bucket="media", Key="gone")  # a blob at zero references
        part = os.urandom(5 * 1024 * 1024)
        upload = s3.create_multipart_upload(Bucket="media", Key="resumed")["UploadId"]
        etag1 = s3.upload_part(Bucket="media", Key="resumed", UploadId=upload, PartNumber=1, Body=part)["ETag"]
        before = old.stats()

        schema = h.PostgresSchema()
        self.addCleanup(schema.drop)
        refused = old.cli("migrate", "--from-sqlite", old.data, "--to", schema.conninfo, check=False)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("stop it first", refused.stderr)
        self.assertEqual(old.stop(), 0)

        moved = old.cli("migrate", "--from-sqlite", old.data, "--to", schema.conninfo)
        self.assertIn("moved", moved.stdout)
        again = old.cli("migrate", "--from-sqlite", old.data, "--to", schema.conninfo, check=False)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("already holds a pool", again.stderr)

        # The same data directory, now on PostgreSQL.
        new = h.HerdServer('[meta]\nbackend = "postgres"\nurl = "%s"\n' % schema.conninfo, meta="sqlite", blobs="disk")
        self.addCleanup(h.shutdown_server, new)
        new.data = old.data
        new.start()
        after = new.stats()
        for k in ("tenants", "buckets", "objects", "blobs", "logical_bytes", "physical_bytes"):
            self.assertEqual(after[k], before[k], k)
        s3 = new.client(alice)
        for key, body in bodies.items():
            got = s3.get_object(Bucket="media", Key=key)
            self.assertEqual(got["Body"].read(), body, key)
            self.assertEqual(got["ETag"], h.quoted_etag(body), key)
            self.assertEqual(got["ContentType"], "image/png")
            self.assertEqual(got["Metadata"], {"who": "alice"})
        grants = s3.get_object_acl(Bucket="media", Key="small/0.png")["Grants"]
        self.assertTrue(any(g["Grantee"].get("URI", "").endswith("AllUsers") for g in grants), grants)
        etag2 = s3.upload_part(Bucket="media", Key="resumed", UploadId=upload, PartNumber=2, Body=b"end")["ETag"]
        s3.complete_multipart_upload(Bucket="media", Key="resumed", UploadId=upload, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": etag1}, {"PartNumber": 2, "ETag": etag2}]})
        self.assertEqual(s3.get_object(Bucket="media", Key="resumed")["Body"].read(), part + b"end")
        bob = new.create_tenant("bob")  # ids continue after the copied ones
        new.client(bob).create_bucket(Bucket="bob-media")
        with self.assertRaises(ClientError):
            new.client(bob).get_object(Bucket="media", Key="big.mp4")
        new.gc()
        proc = new.cli("fsck", "--json", "--stale-after", "0", check=False)
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        for problem in ("corrupt_blobs", "missing_blobs", "wrong_refcounts", "dangling_objects", "orphan_blob_files",
                        "stray_files"):
            self.assertEqual(report.get(problem), 0, report)

    def test_a_missing_pool_is_a_clear_error(self):
        root = h.tempfile.mkdtemp(prefix="herd-it-")
        self.addCleanup(h.shutil.rmtree, root, True)
        proc = h.subprocess.run([h.HERD_BIN, "migrate", "--from-sqlite", root, "--to", "dbname=nothing"],
                                capture_output=True, text=True, timeout=h.CLI_TIMEOUT)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("no embedded pool", proc.stderr)


if __name__ == "__main__":
    h.main()
