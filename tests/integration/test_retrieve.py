#!/usr/bin/env python3
"""The federation API's upload by URL and `has`, against an origin web server on loopback:
two tenants retrieving one URL cost one origin GET and one stored copy; concurrent retrieves share
one download; a URL of the pool's own public endpoint needs none; bytes the pool holds under
another URL are "present"; every SSRF case is refused with 403 FetchRefused (a non-exempt
loopback address, a redirect to one, a name resolving to loopback, a port not allowed); origin
failures and caps answer clear JSON errors; requests are SigV4 with the tenant's keys (botocore,
curl --aws-sigv4, `herd retrieve`)."""
import concurrent.futures
import http.client
import json
import os
import shutil
import subprocess

import herd_harness as h
from herd_harness import HerdTestCase

CURL = shutil.which("curl")


class RetrieveTest(HerdTestCase):
    TENANTS = ("alice", "bob", "carol")

    @classmethod
    def setUpClass(cls):
        cls.origin = h.OriginServer()
        cls.addClassCleanup(cls.origin.stop)
        cls.public_port = h.free_port()
        cls.SERVER_CONFIG = ('[public]\nlisten = "127.0.0.1:%d"\n[fetch]\nallow_private = ["127.0.0.1/32"]\n'
                             'allowed_ports = [%d]\nmax_object_size = 1000000\ntimeout_seconds = 3\n'
                             % (cls.public_port, cls.origin.port))
        super().setUpClass()
        cls.buckets = {}
        for name in cls.TENANTS:
            bucket = "ret-" + name
            cls.server.client(cls.tenants[name]).create_bucket(Bucket=bucket)
            cls.buckets[name] = bucket

    def api(self, path, body, tenant="alice", raw_body=None):
        """(status, parsed JSON) of a SigV4-signed POST to the federation API."""
        data = raw_body if raw_body is not None else json.dumps(body).encode()
        target, headers = h.sign_request(self.server.port, "POST", path, body=data,
                                         headers={"Content-Type": "application/json"},
                                         tenant=self.tenants[tenant] if tenant else None)
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        try:
            conn.request("POST", target, body=data, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
        finally:
            conn.close()
        self.assertEqual(resp.getheader("Content-Type"), "application/json", payload)
        return resp.status, json.loads(payload)

    def retrieve(self, url, key, tenant="alice", **extra):
        body = {"url": url, "bucket": self.buckets[tenant], "key": key}
        body.update(extra)
        return self.api("/_herd/v1/retrieve", body, tenant)

    def public_status(self, path):
        conn = http.client.HTTPConnection("127.0.0.1", self.public_port, timeout=10)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            return resp.status
        finally:
            conn.close()

    def get(self, tenant, key):
        return self.server.client(self.tenants[tenant]).get_object(Bucket=self.buckets[tenant], Key=key)

    def serve(self, path, body, content_type="image/jpeg"):
        self.origin.routes[path] = (200, {"Content-Type": content_type}, body)
        return self.origin.url(path)

    def test_two_tenants_cost_one_origin_get_and_one_copy(self):
        body = os.urandom(200000)
        url = self.serve("/media/one.jpg", body)
        blobs = self.server.stats()["blobs"]
        status, first = self.retrieve(url, "a/one.jpg", "alice", acl="public-read")
        self.assertEqual(status, 200, first)
        self.assertEqual((first["result"], first["source"]), ("added", "origin"))
        self.assertEqual(first["sha256"], h.sha256_hex(body))
        self.assertEqual(first["size"], len(body))
        self.assertEqual(first["etag"], h.md5_hex(body))
        status, second = self.retrieve(url, "b/one.jpg", "bob")
        self.assertEqual(status, 200, second)
        self.assertEqual((second["result"], second["source"]), ("cached", "pool"))
        self.assertEqual(self.origin.gets("/media/one.jpg"), 1)
        self.assertEqual(self.server.stats()["blobs"], blobs + 1)
        if h.BLOBS == "disk":  # a small file (its HEAD said how small) is packed, as a small PUT is
            self.assertIn(h.sha256_hex(body), self.server.packed_blob_names())
        for tenant, key in (("alice", "a/one.jpg"), ("bob", "b/one.jpg")):
            got = self.get(tenant, key)
            self.assertEqual(got["Body"].read(), body)
            self.assertEqual(got["ContentType"], "image/jpeg")
            self.assertEqual(got["ETag"], h.quoted_etag(body))
        # alice's copy is public as she asked, bob's private (the default ACL).
        self.assertEqual(self.public_status("/%s/a/one.jpg" % self.buckets["alice"]), 200)
        self.assertEqual(self.public_status("/%s/b/one.jpg" % self.buckets["bob"]), 403)

    def test_concurrent_retrieves_of_one_url_share_one_download(self):
        body = os.urandom(50000)
        url = self.serve("/media/slow.png", body, "image/png")
        self.origin.delays["/media/slow.png"] = 1.0
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            jobs = [pool.submit(self.retrieve, url, "slow-%s.png" % t, t) for t in self.TENANTS]
            answers = [j.result() for j in jobs]
        self.assertEqual([s for s, _ in answers], [200, 200, 200], answers)
        self.assertEqual(sorted(a["result"] for _, a in answers), ["added", "cached", "cached"])
        self.assertEqual(self.origin.gets("/media/slow.png"), 1)
        for t in self.TENANTS:
            self.assertEqual(self.get(t, "slow-%s.png" % t)["Body"].read(), body)

    def test_bytes_the_pool_holds_under_another_url_are_present(self):
        body = os.urandom(30000)
        self.server.client(self.tenants["carol"]).put_object(Bucket=self.buckets["carol"], Key="held", Body=body)
        url = self.serve("/other/name.bin", body, "application/octet-stream")
        status, answer = self.retrieve(url, "p.bin", "alice")
        self.assertEqual(status, 200, answer)
        self.assertEqual((answer["result"], answer["source"]), ("present", "origin"))
        self.assertEqual(self.get("alice", "p.bin")["Body"].read(), body)

    def test_a_url_of_this_pools_public_endpoint_needs_no_download(self):
        body = os.urandom(40000)
        s3 = self.server.client(self.tenants["carol"])
        s3.put_object(Bucket=self.buckets["carol"], Key="pub/x.gif", Body=body, ACL="public-read", ContentType="image/gif")
        base = "http://127.0.0.1:%d" % self.public_port
        for url, key in ((base + "/%s/pub/x.gif" % self.buckets["carol"], "f1"),
                         (base + "/blobs/%s.gif" % h.sha256_hex(body), "f2")):
            status, answer = self.retrieve(url, key, "bob")
            self.assertEqual(status, 200, answer)
            self.assertEqual((answer["result"], answer["source"]), ("found", "pool"), url)
            got = self.get("bob", key)
            self.assertEqual(got["Body"].read(), body)
            self.assertEqual(got["ContentType"], "image/gif")
        # A private object's URL on this pool is not found here; fetching it is refused (its port
        # is not an allowed one), so no tenant learns private bytes by naming them.
        s3.put_object(Bucket=self.buckets["carol"], Key="secret", Body=b"private bytes")
        status, answer = self.retrieve(base + "/%s/secret" % self.buckets["carol"], "f3", "bob")
        self.assertEqual((status, answer["error"]), (403, "FetchRefused"), answer)

    def test_ssrf_is_refused(self):
        self.serve("/ok", b"fine")
        self.origin.routes["/to-loopback"] = (302, {"Location": "http://127.0.0.2:%d/ok" % self.origin.port}, b"")
        refused = [
            "http://127.0.0.2:%d/ok" % self.origin.port,  # loopback, not exempt
            self.origin.url("/to-loopback"),  # a redirect to it
            "http://[::1]:%d/ok" % self.origin.port,
            "http://127.0.0.1:%d/ok" % self.server.port,  # a port not allowed (this pool's S3 endpoint)
            "http://169.254.169.254:%d/latest/meta-data" % self.origin.port,  # cloud metadata
            "http://10.0.0.1:%d/ok" % self.origin.port,
        ]
        for url in refused:
            status, answer = self.retrieve(url, "ssrf", "alice")
            self.assertEqual((status, answer.get("error")), (403, "FetchRefused"), (url, answer))
        for url in ("ftp://127.0.0.1/x", "file:///etc/passwd", "http://user:pw@127.0.0.1:%d/ok" % self.origin.port,
                    "not a url"):
            status, answer = self.retrieve(url, "ssrf", "alice")
            self.assertEqual((status, answer.get("error")), (400, "InvalidURL"), (url, answer))
        self.assertEqual(self.server.client(self.tenants["alice"]).list_objects_v2(
            Bucket=self.buckets["alice"], Prefix="ssrf").get("KeyCount"), 0)

    def test_a_name_resolving_to_loopback_is_refused_without_the_exemption(self):
        strict = h.HerdServer('[fetch]\nallowed_ports = [%d]\n' % self.origin.port)
        self.addCleanup(h.shutdown_server, strict)
        strict.start()
        tenant = strict.create_tenant("t")
        strict.client(tenant).create_bucket(Bucket="bkt")
        self.serve("/ok2", b"fine")
        for url in ("http://localhost:%d/ok2" % self.origin.port, self.origin.url("/ok2")):
            data = json.dumps({"url": url, "bucket": "bkt", "key": "k"}).encode()
            resp = h.raw_request(strict.port, "POST", "/_herd/v1/retrieve", body=data, tenant=tenant)
            self.assertEqual(resp.status, 403, resp.body)
            self.assertEqual(json.loads(resp.body)["error"], "FetchRefused")
        self.assertEqual(self.origin.gets("/ok2"), 0)

    def test_origin_failures_and_caps_are_clear_errors(self):
        status, answer = self.retrieve(self.origin.url("/missing"), "e1")
        self.assertEqual((status, answer["error"]), (502, "UpstreamError"), answer)
        self.serve("/big", os.urandom(1000001))
        status, answer = self.retrieve(self.origin.url("/big"), "e2")
        self.assertEqual((status, answer["error"]), (413, "TooLarge"), answer)
        self.serve("/stall", b"late")
        self.origin.delays["/stall"] = 5
        status, answer = self.retrieve(self.origin.url("/stall"), "e3")
        self.assertEqual((status, answer["error"]), (504, "UpstreamTimeout"), answer)

    def test_requests_are_checked(self):
        url = self.serve("/chk", b"x")
        status, answer = self.api("/_herd/v1/retrieve", {"url": url, "bucket": self.buckets["alice"], "key": "k"},
                                  tenant=None)
        self.assertEqual((status, answer["error"]), (403, "AccessDenied"))
        status, answer = self.retrieve(url, "k", "alice", acl="everyone")
        self.assertEqual((status, answer["error"]), (400, "InvalidRequest"))
        status, answer = self.api("/_herd/v1/retrieve", {"url": url, "bucket": self.buckets["bob"], "key": "k"}, "alice")
        self.assertEqual((status, answer["error"]), (403, "AccessDenied"))
        status, answer = self.api("/_herd/v1/retrieve", {"url": url, "bucket": "no-such-bucket-x", "key": "k"})
        self.assertEqual((status, answer["error"]), (404, "NoSuchBucket"))
        status, answer = self.api("/_herd/v1/retrieve", None, raw_body=b"{not json")
        self.assertEqual((status, answer["error"]), (400, "MalformedJSON"))
        status, answer = self.api("/_herd/v1/retrieve", {"bucket": self.buckets["alice"], "key": "k"})
        self.assertEqual((status, answer["error"]), (400, "InvalidRequest"))
        status, answer = self.api("/_herd/v1/nothing", {})
        self.assertEqual((status, answer["error"]), (404, "NotFound"))
        # "_herd" is no bucket: S3 requests for it never reach a bucket either.
        self.assertClientError(lambda: self.client("alice").create_bucket(Bucket="_herd"), 400, "InvalidBucketName")

    def test_has_names_the_blobs_the_caller_may_use(self):
        s3a, s3b = self.client("alice"), self.client("bob")
        public, private, own = os.urandom(1000), os.urandom(1000), os.urandom(1000)
        s3a.put_object(Bucket=self.buckets["alice"], Key="h-pub", Body=public, ACL="public-read")
        s3a.put_object(Bucket=self.buckets["alice"], Key="h-priv", Body=private)
        s3b.put_object(Bucket=self.buckets["bob"], Key="h-own", Body=own)
        asked = [h.sha256_hex(b) for b in (public, private, own, b"absent")]
        status, answer = self.api("/_herd/v1/has", {"sha256": asked}, "bob")
        self.assertEqual(status, 200, answer)
        self.assertEqual(sorted(answer["usable"]), sorted([h.sha256_hex(public), h.sha256_hex(own)]))
        status, answer = self.api("/_herd/v1/has", {"sha256": ["XYZ"]}, "bob")
        self.assertEqual((status, answer["error"]), (400, "InvalidRequest"))

    def test_curl_aws_sigv4_and_the_cli_can_call_it(self):
        body = os.urandom(10000)
        url = self.serve("/cli.jpg", body)
        tenant = self.tenants["carol"]
        proc = self.server.cli("retrieve", url, "--bucket", self.buckets["carol"], "--key", "cli.jpg",
                               "--acl", "public-read", "--endpoint", self.server.endpoint,
                               "--access-key", tenant.access_key, "--secret-key", tenant.secret_key)
        answer = json.loads(proc.stdout)
        self.assertEqual(answer["sha256"], h.sha256_hex(body))
        self.assertEqual(self.get("carol", "cli.jpg")["Body"].read(), body)
        proc = self.server.cli("retrieve", self.origin.url("/nope"), "--bucket", self.buckets["carol"], "--key", "x",
                               "--endpoint", self.server.endpoint, "--access-key", tenant.access_key,
                               "--secret-key", tenant.secret_key, check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("UpstreamError", proc.stderr)
        if CURL is None:
            self.fail("curl is not installed")
        data = json.dumps({"url": url, "bucket": self.buckets["carol"], "key": "curl.jpg"})
        out = subprocess.run([CURL, "-sS", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user",
                              "%s:%s" % (tenant.access_key, tenant.secret_key), "-H", "Content-Type: application/json",
                              "-d", data, self.server.endpoint + "/_herd/v1/retrieve"],
                             capture_output=True, text=True, timeout=30)
        answer = json.loads(out.stdout)
        self.assertEqual((answer.get("result"), answer.get("sha256")), ("cached", h.sha256_hex(body)), answer)


if __name__ == "__main__":
    h.main()
