"""Tenant isolation and authentication: one tenant can never see or touch another's buckets,
and bad credentials / unsigned / stale requests are refused with the right S3 errors."""

import datetime

import herd_harness as h
from herd_harness import HerdTestCase, Tenant


class TenantIsolationTest(HerdTestCase):
    """Tenant B against tenant A's bucket: every operation is refused and nothing changes."""

    TENANTS = ("alice", "bob")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = cls.unique_bucket("alice")
        a = cls.server.client(cls.tenants["alice"])
        a.create_bucket(Bucket=cls.bucket)
        a.put_object(Bucket=cls.bucket, Key="secret.txt", Body=b"alice's secret")

    def setUp(self):
        self.a = self.client("alice")
        self.b = self.client("bob")

    def assertUntouched(self):
        got = self.a.get_object(Bucket=self.bucket, Key="secret.txt")["Body"].read()
        self.assertEqual(got, b"alice's secret")
        keys = [o["Key"] for o in self.a.list_objects_v2(Bucket=self.bucket).get("Contents", [])]
        self.assertEqual(keys, ["secret.txt"])

    def test_list_objects_denied(self):
        self.assertClientError(lambda: self.b.list_objects_v2(Bucket=self.bucket), 403, "AccessDenied")
        self.assertClientError(lambda: self.b.list_objects(Bucket=self.bucket), 403, "AccessDenied")

    def test_head_bucket_denied(self):
        self.assertClientError(lambda: self.b.head_bucket(Bucket=self.bucket), 403)

    def test_bucket_location_denied(self):
        self.assertClientError(lambda: self.b.get_bucket_location(Bucket=self.bucket), 403, "AccessDenied")

    def test_get_and_head_object_denied(self):
        self.assertClientError(lambda: self.b.get_object(Bucket=self.bucket, Key="secret.txt"),
                               403, "AccessDenied")
        self.assertClientError(lambda: self.b.head_object(Bucket=self.bucket, Key="secret.txt"), 403)
        # Missing keys in a foreign bucket must not leak existence either.
        self.assertClientError(lambda: self.b.get_object(Bucket=self.bucket, Key="nope"),
                               403, "AccessDenied")

    def test_put_object_denied(self):
        self.assertClientError(
            lambda: self.b.put_object(Bucket=self.bucket, Key="secret.txt", Body=b"overwritten"),
            403, "AccessDenied")
        self.assertClientError(
            lambda: self.b.put_object(Bucket=self.bucket, Key="planted", Body=b"x"),
            403, "AccessDenied")
        self.assertUntouched()
        self.assertNoTempFiles()

    def test_delete_object_denied(self):
        self.assertClientError(lambda: self.b.delete_object(Bucket=self.bucket, Key="secret.txt"),
                               403, "AccessDenied")
        self.assertUntouched()

    def test_delete_bucket_denied(self):
        self.assertClientError(lambda: self.b.delete_bucket(Bucket=self.bucket), 403, "AccessDenied")
        empty = self.unique_bucket("alice-empty")
        self.a.create_bucket(Bucket=empty)
        self.assertClientError(lambda: self.b.delete_bucket(Bucket=empty), 403, "AccessDenied")
        self.assertEqual(self.a.head_bucket(Bucket=empty)["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.a.delete_bucket(Bucket=empty)
        self.assertUntouched()

    def test_create_bucket_with_taken_name(self):
        self.assertClientError(lambda: self.b.create_bucket(Bucket=self.bucket), 409,
                               "BucketAlreadyExists")
        self.assertUntouched()
        names_b = [x["Name"] for x in self.b.list_buckets()["Buckets"]]
        self.assertNotIn(self.bucket, names_b)

    def test_list_buckets_shows_only_own(self):
        own = self.unique_bucket("bob")
        self.b.create_bucket(Bucket=own)
        try:
            names_a = [x["Name"] for x in self.a.list_buckets()["Buckets"]]
            names_b = [x["Name"] for x in self.b.list_buckets()["Buckets"]]
            self.assertIn(self.bucket, names_a)
            self.assertNotIn(own, names_a)
            self.assertEqual(names_b, [own])
        finally:
            self.b.delete_bucket(Bucket=own)

    def test_deleted_bucket_name_can_be_claimed_by_another_tenant(self):
        name = self.unique_bucket("handover")
        self.a.create_bucket(Bucket=name)
        self.a.put_object(Bucket=name, Key="old", Body=b"alice's old data")
        self.a.delete_object(Bucket=name, Key="old")
        self.a.delete_bucket(Bucket=name)
        self.b.create_bucket(Bucket=name)
        try:
            self.assertNotIn("Contents", self.b.list_objects_v2(Bucket=name))
            self.assertClientError(lambda: self.b.get_object(Bucket=name, Key="old"), 404, "NoSuchKey")
            self.assertClientError(lambda: self.a.list_objects_v2(Bucket=name), 403, "AccessDenied")
            self.assertClientError(lambda: self.a.create_bucket(Bucket=name), 409, "BucketAlreadyExists")
        finally:
            self.b.delete_bucket(Bucket=name)

    def test_same_key_in_own_buckets_is_independent(self):
        own = self.unique_bucket("bob-own")
        self.b.create_bucket(Bucket=own)
        self.b.put_object(Bucket=own, Key="secret.txt", Body=b"bob's own file")
        self.assertEqual(self.b.get_object(Bucket=own, Key="secret.txt")["Body"].read(), b"bob's own file")
        self.assertClientError(lambda: self.a.get_object(Bucket=own, Key="secret.txt"), 403, "AccessDenied")
        self.b.delete_object(Bucket=own, Key="secret.txt")
        self.b.delete_bucket(Bucket=own)
        self.assertUntouched()


class AuthenticationTest(HerdTestCase):
    """Bad keys, bad signatures, anonymous and stale requests."""

    TENANTS = ("alice",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = cls.unique_bucket("auth")
        a = cls.server.client(cls.tenants["alice"])
        a.create_bucket(Bucket=cls.bucket)
        a.put_object(Bucket=cls.bucket, Key="k", Body=b"value")

    def test_unknown_access_key(self):
        ghost = Tenant("ghost", "AKIDNOSUCHKEY0000000", "x" * 40)
        s3 = self.server.client(ghost)
        self.assertClientError(lambda: s3.list_buckets(), 403, "InvalidAccessKeyId")
        self.assertClientError(lambda: s3.get_object(Bucket=self.bucket, Key="k"), 403,
                               "InvalidAccessKeyId")
        resp = self.server.raw("GET", h.object_path(self.bucket), tenant=ghost)
        self.assertS3Error(resp, 403, "InvalidAccessKeyId")

    def test_wrong_secret(self):
        real = self.tenants["alice"]
        wrong = Tenant(real.name, real.access_key, real.secret_key[:-1] + ("A" if real.secret_key[-1] != "A" else "B"))
        s3 = self.server.client(wrong)
        self.assertClientError(lambda: s3.list_buckets(), 403, "SignatureDoesNotMatch")
        self.assertClientError(lambda: s3.put_object(Bucket=self.bucket, Key="k", Body=b"evil"), 403,
                               "SignatureDoesNotMatch")
        self.assertEqual(self.client().get_object(Bucket=self.bucket, Key="k")["Body"].read(), b"value")
        self.assertNoTempFiles()

    def test_tampered_requests(self):
        path = h.object_path(self.bucket, "k")

        # Signed for one key, sent for another (path changed after signing).
        target, headers = h.sign_request(self.server.port, "GET", path, tenant=self.tenants["alice"])
        resp = self.server.raw("GET", h.object_path(self.bucket, "other"),
                               tamper=lambda hd: (hd.clear(), hd.update(headers)))
        self.assertS3Error(resp, 403, "SignatureDoesNotMatch")

        # A signed header altered after signing.
        def bump_date(hd):
            hd["X-Amz-Date"] = hd["X-Amz-Date"][:-3] + ("00Z" if not hd["X-Amz-Date"].endswith("00Z") else "01Z")
        resp = self.raw("GET", path, tamper=bump_date)
        self.assertS3Error(resp, 403, "SignatureDoesNotMatch")

        # A signed x-amz-meta header altered after signing on a PUT: nothing may be stored.
        def alter_meta(hd):
            hd["x-amz-meta-note"] = "changed"
        resp = self.raw("PUT", h.object_path(self.bucket, "tampered"), body=b"data",
                        headers={"x-amz-meta-note": "original"}, tamper=alter_meta)
        self.assertS3Error(resp, 403, "SignatureDoesNotMatch")
        self.assertObjectMissing(self.bucket, "tampered")

        # Region in the credential scope differs from the one used to derive the key.
        def swap_region(hd):
            hd["Authorization"] = hd["Authorization"].replace("/us-east-1/", "/eu-west-1/")
        resp = self.raw("GET", path, tamper=swap_region)
        self.assertS3Error(resp, 403, "SignatureDoesNotMatch")

    def test_any_signing_region_accepted(self):
        for region in ("us-east-1", "eu-west-3", "garage", "ap-southeast-2"):
            with self.subTest(region=region):
                resp = self.raw("GET", h.object_path(self.bucket, "k"), region=region)
                self.assertEqual(resp.status, 200, resp.body)
                self.assertEqual(resp.body, b"value")
                s3 = self.client(region=region)
                self.assertEqual(s3.get_object(Bucket=self.bucket, Key="k")["Body"].read(), b"value")

    def test_anonymous_requests_denied(self):
        cases = [("GET", h.object_path(self.bucket)),
                 ("GET", h.object_path(self.bucket, "k")),
                 ("PUT", h.object_path(self.bucket, "anon")),
                 ("DELETE", h.object_path(self.bucket, "k")),
                 ("PUT", h.object_path("anon-bucket-attempt")),
                 ("GET", "/")]
        for method, path in cases:
            with self.subTest(method=method, path=path):
                resp = self.raw(method, path, anonymous=True, body=b"x" if method == "PUT" else b"")
                self.assertS3Error(resp, 403, "AccessDenied")
        self.assertEqual(self.client().get_object(Bucket=self.bucket, Key="k")["Body"].read(), b"value")
        self.assertObjectMissing(self.bucket, "anon")
        names = [b["Name"] for b in self.client().list_buckets()["Buckets"]]
        self.assertNotIn("anon-bucket-attempt", names)

    def test_skewed_clock(self):
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        for label, delta in (("1h old", -3600), ("1h ahead", 3600), ("20min old", -1200)):
            with self.subTest(skew=label):
                resp = self.raw("GET", h.object_path(self.bucket, "k"),
                                when=now + datetime.timedelta(seconds=delta))
                self.assertS3Error(resp, 403, "RequestTimeTooSkewed")
        # A couple of minutes of skew is fine.
        resp = self.raw("GET", h.object_path(self.bucket, "k"), when=now - datetime.timedelta(seconds=120))
        self.assertEqual(resp.status, 200, resp.body)


class TenantLifecycleTest(HerdTestCase):
    """Tenants created and deleted through the CLI while the server runs take effect live."""

    TENANTS = ("alice",)

    def test_create_list_delete(self):
        carol = self.server.create_tenant("carol")
        self.assertEqual(carol.name, "carol")
        self.assertNotEqual(carol.access_key, self.tenants["alice"].access_key)
        listing = self.server.cli("tenant", "list").stdout
        self.assertIn("alice", listing)
        self.assertIn("carol", listing)
        s3 = self.server.client(carol)
        self.assertEqual(s3.list_buckets()["Buckets"], [])
        self.server.cli("tenant", "delete", "carol")
        self.assertNotIn("carol", self.server.cli("tenant", "list").stdout)
        # The server caches tenants by access key for a few seconds (pool/tenant_cache.h): a
        # deletion by another process takes effect within that TTL.
        def refused():
            try:
                s3.list_buckets()
            except h.ClientError as e:
                return e.response["Error"]["Code"] == "InvalidAccessKeyId"
            return False
        self.assertTrue(h.bounded_wait(refused, 10.0, interval=0.5), "the deleted tenant's key still works")
        self.assertClientError(lambda: s3.list_buckets(), 403, "InvalidAccessKeyId")

    def test_duplicate_tenant_name_rejected(self):
        self.server.create_tenant("dave")
        proc = self.server.cli("tenant", "create", "dave", "--json", check=False)
        self.assertNotEqual(proc.returncode, 0, "creating a tenant twice must fail: %r" % proc.stdout)


if __name__ == "__main__":
    h.main()
