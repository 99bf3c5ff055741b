#!/usr/bin/env python3
"""Takedown by hash: `herd takedown SHA256|URL --reason TEXT` deletes every object holding those
bytes in every tenant, makes their blob URLs and hashlinks 451, refuses the same bytes from then
on (PutObject, multipart completion, upload by URL), is listed by `herd takedown list`, logged in
the append-only `herd takedown log`, and reversible with `herd takedown lift`; GC then removes
the bytes. Other objects are untouched."""
import json
import os
import urllib.error
import urllib.request

import herd_harness as h
from herd_harness import HerdTestCase


class TakedownTest(HerdTestCase):
    TENANTS = ("alice", "bob", "carol")

    @classmethod
    def setUpClass(cls):
        cls.origin = h.OriginServer()
        cls.addClassCleanup(cls.origin.stop)
        cls.public_port = h.free_port()
        cls.SERVER_CONFIG = ('[public]\nlisten = "127.0.0.1:%d"\n[gc]\ngrace_seconds = 0\ninterval_seconds = 3600\n'
                             '[fetch]\nallow_private = ["127.0.0.1/32"]\nallowed_ports = [%d]\n'
                             % (cls.public_port, cls.origin.port))
        super().setUpClass()

    def public_status(self, path):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.public_port, path), timeout=10) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def test_a_takedown_removes_refuses_lists_logs_and_lifts(self):
        abusive, other = os.urandom(120000), os.urandom(5000)
        a, b, c = self.client("alice"), self.client("bob"), self.client("carol")
        for s3, bucket in ((a, "td-alice"), (b, "td-bob"), (c, "td-carol")):
            s3.create_bucket(Bucket=bucket)
        a.put_object(Bucket="td-alice", Key="bad.png", Body=abusive, ACL="public-read")
        b.put_object(Bucket="td-bob", Key="copy.png", Body=abusive)
        a.put_object(Bucket="td-alice", Key="fine.png", Body=other, ACL="public-read")
        sha = h.sha256_hex(abusive)
        self.assertEqual(self.public_status("/blobs/" + sha), 200)

        url = "http://127.0.0.1:%d/td-alice/bad.png" % self.public_port
        proc = self.server.cli("takedown", url, "--reason", "report #17: abusive")
        self.assertIn("2 object(s) deleted", proc.stdout)
        self.assertClientError(lambda: a.get_object(Bucket="td-alice", Key="bad.png"), 404, "NoSuchKey")
        self.assertClientError(lambda: b.get_object(Bucket="td-bob", Key="copy.png"), 404, "NoSuchKey")
        self.assertEqual(self.public_status("/blobs/" + sha), 451)
        self.assertEqual(self.public_status("/.well-known/apgateway/" + h.hashlink(abusive)), 451)
        self.assertEqual(a.get_object(Bucket="td-alice", Key="fine.png")["Body"].read(), other)

        # The same bytes are refused, by every path, and nothing is stored.
        self.assertClientError(lambda: c.put_object(Bucket="td-carol", Key="again.png", Body=abusive),
                               451, "UnavailableForLegalReasons")
        upload = c.create_multipart_upload(Bucket="td-carol", Key="mp.png")["UploadId"]
        etag = c.upload_part(Bucket="td-carol", Key="mp.png", UploadId=upload, PartNumber=1, Body=abusive)["ETag"]
        self.assertClientError(lambda: c.complete_multipart_upload(
            Bucket="td-carol", Key="mp.png", UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]}), 451, "UnavailableForLegalReasons")
        self.origin.routes["/bad.png"] = (200, {"Content-Type": "image/png"}, abusive)
        data = json.dumps({"url": self.origin.url("/bad.png"), "bucket": "td-carol", "key": "fetched.png"}).encode()
        resp = h.raw_request(self.server.port, "POST", "/_herd/v1/retrieve", body=data, tenant=self.tenants["carol"])
        self.assertEqual(resp.status, 451, resp.body)
        self.assertEqual(json.loads(resp.body)["error"], "TakenDown")
        self.assertEqual(c.list_objects_v2(Bucket="td-carol").get("KeyCount"), 0)

        listed = json.loads(self.server.cli("takedown", "list", "--json").stdout)
        self.assertEqual([(t["sha256"], t["reason"]) for t in listed], [(sha, "report #17: abusive")])
        self.server.gc()
        self.assertNotIn(sha, self.server.blob_names())

        self.server.cli("takedown", "lift", sha, "--reason", "appeal granted")
        self.assertEqual(json.loads(self.server.cli("takedown", "list", "--json").stdout), [])
        c.put_object(Bucket="td-carol", Key="again.png", Body=abusive)
        self.assertEqual(c.get_object(Bucket="td-carol", Key="again.png")["Body"].read(), abusive)
        log = json.loads(self.server.cli("takedown", "log", "--json").stdout)
        self.assertEqual([(e["action"], e["sha256"]) for e in log[:2]], [("lift", sha), ("takedown", sha)])
        self.assertEqual(log[0]["detail"], "appeal granted")
        self.assertIn("2 object(s) deleted", log[1]["detail"])

    def test_bad_arguments_are_clear_errors(self):
        proc = self.server.cli("takedown", "https://elsewhere.example/x.png", "--reason", "r", check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("not a SHA-256, a hashlink or a URL of this pool", proc.stderr)
        proc = self.server.cli("takedown", "a" * 64, check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("--reason", proc.stderr)
        proc = self.server.cli("takedown", "lift", "b" * 64, "--reason", "r", check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("is not taken down", proc.stderr)


if __name__ == "__main__":
    h.main()
