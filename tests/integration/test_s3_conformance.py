"""S3 behaviours a conformance run with a second tenant as "the other user" checks (issue 11):

- public-read objects are readable by anyone, other tenants included (GET, HEAD, CopyObject and
  UploadPartCopy sources); nothing else of another tenant's is;
- a bucket ACL of public-read lets anyone list the bucket but makes no object readable, unless
  `[public] allow_bucket_listing = false`; Get*Acl return S3's grants in S3's order;
- a retried CompleteMultipartUpload answers as the first one did and adds no reference, for
  `[multipart] completed_retention_seconds`;
- x-amz-copy-source-if-* conditions on CopyObject and UploadPartCopy (412);
- Expires is stored and returned; aws-chunked never stays in a stored Content-Encoding;
- PutObject with Transfer-Encoding: chunked and no Content-Length;
- ListObjectsV2 with an empty continuation-token;
- presigned URL lifetimes (X-Amz-Expires outside 1..604800, expired PUTs): 403 AccessDenied;
- GET/HEAD in a bucket that does not exist: 404 NoSuchBucket, anonymous too.

Driven by boto3 (two tenants) and, where boto3 cannot send the request, raw HTTP.
"""

import datetime
import email.utils
import hashlib
import http.client
import os
import sqlite3
import threading
import time
import urllib.parse

import botocore.awsrequest
import botocore.credentials

import herd_harness as h
from herd_harness import HerdTestCase

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
MIB = 1024 * 1024
STREAM_UNSIGNED = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def http_date(when):
    return email.utils.format_datetime(when.replace(tzinfo=datetime.timezone.utc), usegmt=True)


def db_rows(server, sql, *args):
    """Rows of a read-only query on the server's database."""
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(server.data, "herd.db"), uri=True, timeout=30)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def blob_refcount(server, data):
    rows = db_rows(server, "SELECT refcount FROM blobs WHERE sha256 = ?", hashlib.sha256(data).digest())
    return rows[0][0] if rows else None


def presign(port, tenant, method, path, expires, when=None):
    """A presigned request target (path?query)."""
    url = "http://127.0.0.1:%d%s" % (port, path)
    req = botocore.awsrequest.AWSRequest(method=method, url=url, headers={"Host": "127.0.0.1:%d" % port})
    creds = botocore.credentials.Credentials(tenant.access_key, tenant.secret_key)
    h.FixedTimeQueryAuth(creds, "us-east-1", expires, when or utcnow()).add_auth(req)
    parts = urllib.parse.urlsplit(req.url)
    return parts.path + "?" + parts.query


def send(port, method, target, headers=None, body=b""):
    """One request exactly as given (no signing); returns a RawResponse."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return h.RawResponse(r.status, r.reason, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        conn.close()


def put_chunked(port, tenant, bucket, key, chunks, payload_hash=h.UNSIGNED, headers=None):
    """PUT with Transfer-Encoding: chunked and no Content-Length, the body sent as `chunks`."""
    target, hdrs = h.sign_request(port, "PUT", h.object_path(bucket, key), headers=headers, tenant=tenant,
                                  payload_hash=payload_hash)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.putrequest("PUT", target, skip_host=True, skip_accept_encoding=True)
        for k, v in hdrs.items():
            conn.putheader(k, v)
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        try:
            for chunk in chunks:
                conn.send(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early (e.g. too large)
        r = conn.getresponse()
        data = r.read()
        return h.RawResponse(r.status, r.reason, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        conn.close()


def grants_of(acl):
    """[(grantee type, ID, DisplayName, URI, permission)] of a Get*Acl answer, in order."""
    return [(g["Grantee"].get("Type"), g["Grantee"].get("ID"), g["Grantee"].get("DisplayName"),
             g["Grantee"].get("URI"), g["Permission"]) for g in acl["Grants"]]


# ---------------------------------------------------------------------------------------------

class PublicReadAcrossTenantsTest(HerdTestCase):
    """Item 1: another tenant reads (and copies) a public-read object like an anonymous client."""

    TENANTS = ("alice", "bob")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        a = cls.server.client(cls.tenants["alice"])
        cls.abucket = cls.unique_bucket("alice")
        cls.bbucket = cls.unique_bucket("bob")
        a.create_bucket(Bucket=cls.abucket)
        cls.server.client(cls.tenants["bob"]).create_bucket(Bucket=cls.bbucket)
        cls.bodies = {}
        for key, acl in (("public.txt", "public-read"), ("public-rw.txt", "public-read-write"),
                         ("private.txt", "private"), ("authenticated.txt", "authenticated-read")):
            cls.bodies[key] = ("%s of alice\n" % key).encode()
            a.put_object(Bucket=cls.abucket, Key=key, Body=cls.bodies[key], ACL=acl, ContentType="text/plain")
        cls.big = os.urandom(5 * MIB + 100)
        a.put_object(Bucket=cls.abucket, Key="big-public.bin", Body=cls.big, ACL="public-read")

    def setUp(self):
        super().setUp()
        self.b = self.client("bob")

    def test_other_tenant_reads_public_objects(self):
        for key in ("public.txt", "public-rw.txt"):
            with self.subTest(key=key):
                got = self.b.get_object(Bucket=self.abucket, Key=key)
                self.assertEqual(got["Body"].read(), self.bodies[key])
                self.assertEqual(got["ContentType"], "text/plain")
                head = self.b.head_object(Bucket=self.abucket, Key=key)
                self.assertEqual(head["ContentLength"], len(self.bodies[key]))
                self.assertEqual(head["ETag"], h.quoted_etag(self.bodies[key]))
                ranged = self.b.get_object(Bucket=self.abucket, Key=key, Range="bytes=0-3")
                self.assertEqual(ranged["Body"].read(), self.bodies[key][:4])
        # Anonymous clients get exactly the same.
        for key in ("public.txt", "public-rw.txt"):
            resp = self.raw("GET", h.object_path(self.abucket, key), anonymous=True)
            self.assertEqual((resp.status, resp.body), (200, self.bodies[key]))

    def test_other_tenant_is_refused_everything_else(self):
        for key in ("private.txt", "authenticated.txt", "no-such-key"):
            with self.subTest(key=key):
                self.assertClientError(lambda: self.b.get_object(Bucket=self.abucket, Key=key), 403, "AccessDenied")
                self.assertClientError(lambda: self.b.head_object(Bucket=self.abucket, Key=key), 403)
                resp = self.raw("GET", h.object_path(self.abucket, key), anonymous=True)
                self.assertS3Error(resp, 403, "AccessDenied")
        # Reading is all a public ACL gives: no writes, no ACLs, no listing.
        self.assertClientError(lambda: self.b.put_object(Bucket=self.abucket, Key="public-rw.txt", Body=b"x"),
                               403, "AccessDenied")
        self.assertClientError(lambda: self.b.delete_object(Bucket=self.abucket, Key="public.txt"),
                               403, "AccessDenied")
        self.assertClientError(lambda: self.b.get_object_acl(Bucket=self.abucket, Key="public.txt"),
                               403, "AccessDenied")
        self.assertClientError(lambda: self.b.list_objects_v2(Bucket=self.abucket), 403, "AccessDenied")
        a = self.client("alice")
        self.assertEqual(a.get_object(Bucket=self.abucket, Key="public-rw.txt")["Body"].read(),
                         self.bodies["public-rw.txt"])

    def test_copy_from_public_source_into_own_bucket(self):
        source = {"Bucket": self.abucket, "Key": "public.txt"}
        self.b.copy_object(Bucket=self.bbucket, Key="copied.txt", CopySource=source)
        got = self.b.get_object(Bucket=self.bbucket, Key="copied.txt")
        self.assertEqual(got["Body"].read(), self.bodies["public.txt"])
        # The copy is Bob's own, with Bob's (default, private) ACL.
        resp = self.raw("GET", h.object_path(self.bbucket, "copied.txt"), anonymous=True)
        self.assertEqual(resp.status, 403)
        # A private source stays out of reach.
        self.assertClientError(lambda: self.b.copy_object(
            Bucket=self.bbucket, Key="stolen.txt", CopySource={"Bucket": self.abucket, "Key": "private.txt"}),
            403, "AccessDenied")
        self.assertObjectMissing(self.bbucket, "stolen.txt", tenant_name="bob")
        # UploadPartCopy from a public source.
        up = self.b.create_multipart_upload(Bucket=self.bbucket, Key="assembled.bin")["UploadId"]
        part = self.b.upload_part_copy(Bucket=self.bbucket, Key="assembled.bin", UploadId=up, PartNumber=1,
                                       CopySource={"Bucket": self.abucket, "Key": "big-public.bin"})
        self.assertClientError(lambda: self.b.upload_part_copy(
            Bucket=self.bbucket, Key="assembled.bin", UploadId=up, PartNumber=2,
            CopySource={"Bucket": self.abucket, "Key": "private.txt"}), 403, "AccessDenied")
        self.b.complete_multipart_upload(
            Bucket=self.bbucket, Key="assembled.bin", UploadId=up,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["CopyPartResult"]["ETag"]}]})
        self.assertEqual(self.b.get_object(Bucket=self.bbucket, Key="assembled.bin")["Body"].read(), self.big)


class BucketAclTest(HerdTestCase):
    """Item 2: a public-read bucket is listable by anyone; its objects follow their own ACLs."""

    TENANTS = ("alice", "bob")

    @classmethod
    def setUpClass(cls):
        cls.pub = h.free_port()
        cls.SERVER_CONFIG = '[public]\nlisten = "127.0.0.1:%d"\n' % cls.pub
        super().setUpClass()
        a = cls.server.client(cls.tenants["alice"])
        cls.bucket = cls.unique_bucket("listable")
        a.create_bucket(Bucket=cls.bucket)
        a.put_bucket_acl(Bucket=cls.bucket, ACL="public-read")
        a.put_object(Bucket=cls.bucket, Key="dir/private.png", Body=b"private bytes", ContentType="image/png")
        a.put_object(Bucket=cls.bucket, Key="public.png", Body=b"public bytes", ContentType="image/png",
                     ACL="public-read")
        h.bounded_wait(lambda: _port_open(cls.pub), 10.0)

    def test_anyone_lists_a_public_read_bucket(self):
        b = self.client("bob")
        v2 = b.list_objects_v2(Bucket=self.bucket)
        self.assertEqual([o["Key"] for o in v2["Contents"]], ["dir/private.png", "public.png"])
        v1 = b.list_objects(Bucket=self.bucket)
        self.assertEqual([o["Key"] for o in v1["Contents"]], ["dir/private.png", "public.png"])
        self.assertEqual(v1["Contents"][0]["Owner"]["ID"], "alice")
        delimited = b.list_objects_v2(Bucket=self.bucket, Delimiter="/")
        self.assertEqual([p["Prefix"] for p in delimited["CommonPrefixes"]], ["dir/"])
        self.assertEqual(b.head_bucket(Bucket=self.bucket)["ResponseMetadata"]["HTTPStatusCode"], 200)
        for query in (None, {"list-type": "2"}):
            resp = self.raw("GET", h.object_path(self.bucket), anonymous=True, query=query)
            self.assertEqual(resp.status, 200, resp.body[:300])
            keys = [el.text for el in h.xml_root(resp.body).iter("Key")]
            self.assertEqual(keys, ["dir/private.png", "public.png"])

    def test_listing_is_all_a_bucket_acl_gives(self):
        b = self.client("bob")
        self.assertClientError(lambda: b.get_object(Bucket=self.bucket, Key="dir/private.png"), 403, "AccessDenied")
        self.assertClientError(lambda: b.put_object(Bucket=self.bucket, Key="planted", Body=b"x"), 403, "AccessDenied")
        self.assertClientError(lambda: b.get_bucket_acl(Bucket=self.bucket), 403, "AccessDenied")
        self.assertClientError(lambda: b.list_multipart_uploads(Bucket=self.bucket), 403, "AccessDenied")
        for port in (self.server.port, self.pub):
            resp = send(port, "GET", h.object_path(self.bucket, "dir/private.png"))
            self.assertS3Error(resp, 403, "AccessDenied")
            resp = send(port, "GET", h.object_path(self.bucket, "public.png"))
            self.assertEqual((resp.status, resp.body), (200, b"public bytes"))
            # The bucket is listable, so a missing key is no secret: 404, as S3 answers.
            resp = send(port, "GET", h.object_path(self.bucket, "missing.png"))
            self.assertS3Error(resp, 404, "NoSuchKey")
        self.assertClientError(lambda: b.get_object(Bucket=self.bucket, Key="missing.png"), 404, "NoSuchKey")
        # The private object's bytes have no public blob URL either.
        resp = send(self.pub, "GET", "/blobs/" + h.sha256_hex(b"private bytes"))
        self.assertEqual(resp.status, 404)
        resp = send(self.pub, "GET", "/blobs/" + h.sha256_hex(b"public bytes"))
        self.assertEqual((resp.status, resp.body), (200, b"public bytes"))

    def test_suspension_hides_media_in_a_public_bucket(self):
        """Mastodon suspends an account with PutObjectAcl private: even in a public-read bucket
        the media must stop being served."""
        a = self.client("alice")
        a.put_object(Bucket=self.bucket, Key="media/suspended.png", Body=b"suspended media", ACL="public-read")
        path = h.object_path(self.bucket, "media/suspended.png")
        for port in (self.server.port, self.pub):
            self.assertEqual(send(port, "GET", path).status, 200)
        a.put_object_acl(Bucket=self.bucket, Key="media/suspended.png", ACL="private")
        for port in (self.server.port, self.pub):
            self.assertS3Error(send(port, "GET", path), 403, "AccessDenied")
        self.assertEqual(send(self.pub, "GET", "/blobs/" + h.sha256_hex(b"suspended media")).status, 404)
        self.assertClientError(lambda: self.client("bob").get_object(Bucket=self.bucket, Key="media/suspended.png"),
                               403, "AccessDenied")

    def test_private_bucket_is_not_listable(self):
        a = self.client("alice")
        bucket = self.unique_bucket("private")
        a.create_bucket(Bucket=bucket)
        a.put_object(Bucket=bucket, Key="k", Body=b"v", ACL="public-read")
        b = self.client("bob")
        self.assertClientError(lambda: b.list_objects_v2(Bucket=bucket), 403, "AccessDenied")
        self.assertClientError(lambda: b.list_objects(Bucket=bucket), 403, "AccessDenied")
        self.assertClientError(lambda: b.head_bucket(Bucket=bucket), 403)
        self.assertS3Error(self.raw("GET", h.object_path(bucket), anonymous=True), 403, "AccessDenied")
        # Missing keys stay indistinguishable from private ones there.
        self.assertS3Error(send(self.server.port, "GET", h.object_path(bucket, "missing")), 403, "AccessDenied")
        self.assertEqual(b.get_object(Bucket=bucket, Key="k")["Body"].read(), b"v")

    def test_acl_grants_in_s3_shape_and_order(self):
        a = self.client("alice")
        bucket = self.unique_bucket("grants")
        a.create_bucket(Bucket=bucket)
        owner = ("CanonicalUser", "alice", "alice", None, "FULL_CONTROL")
        expected = {
            "private": [owner],
            "public-read": [owner, ("Group", None, None, ALL_USERS, "READ")],
            "public-read-write": [owner, ("Group", None, None, ALL_USERS, "READ"),
                                  ("Group", None, None, ALL_USERS, "WRITE")],
            "authenticated-read": [owner, ("Group", None, None, AUTHENTICATED_USERS, "READ")],
        }
        for acl, grants in expected.items():
            with self.subTest(acl=acl):
                a.put_bucket_acl(Bucket=bucket, ACL=acl)
                got = a.get_bucket_acl(Bucket=bucket)
                self.assertEqual(grants_of(got), grants)
                self.assertEqual(got["Owner"]["ID"], "alice")
                a.put_object(Bucket=bucket, Key=acl, Body=b"x", ACL=acl)
                self.assertEqual(grants_of(a.get_object_acl(Bucket=bucket, Key=acl)), grants)
        # An AccessControlPolicy body with its group grants comes back as sent.
        policy = {"Owner": {"ID": "alice"},
                  "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": "alice"}, "Permission": "FULL_CONTROL"},
                             {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
                             {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "WRITE"}]}
        a.put_bucket_acl(Bucket=bucket, AccessControlPolicy=policy)
        self.assertEqual(grants_of(a.get_bucket_acl(Bucket=bucket)), expected["public-read-write"])
        a.put_object_acl(Bucket=bucket, Key="private", GrantRead='uri="%s"' % AUTHENTICATED_USERS)
        self.assertEqual(grants_of(a.get_object_acl(Bucket=bucket, Key="private")), expected["authenticated-read"])


def _port_open(port):
    try:
        with h.socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class BucketListingOffTest(HerdTestCase):
    """Item 2: `[public] allow_bucket_listing = false` keeps every listing with its owner."""

    TENANTS = ("alice", "bob")
    SERVER_CONFIG = "[public]\nallow_bucket_listing = false\n"

    def test_public_read_bucket_is_not_listable(self):
        a = self.client("alice")
        bucket = self.unique_bucket("unlisted")
        a.create_bucket(Bucket=bucket, ACL="public-read")
        a.put_object(Bucket=bucket, Key="public.png", Body=b"p", ACL="public-read")
        b = self.client("bob")
        self.assertClientError(lambda: b.list_objects_v2(Bucket=bucket), 403, "AccessDenied")
        self.assertClientError(lambda: b.list_objects(Bucket=bucket), 403, "AccessDenied")
        self.assertS3Error(self.raw("GET", h.object_path(bucket), anonymous=True), 403, "AccessDenied")
        self.assertS3Error(self.raw("GET", h.object_path(bucket, "missing"), anonymous=True), 403, "AccessDenied")
        self.assertEqual([o["Key"] for o in a.list_objects_v2(Bucket=bucket)["Contents"]], ["public.png"])
        self.assertEqual(b.get_object(Bucket=bucket, Key="public.png")["Body"].read(), b"p")
        self.assertEqual(grants_of(a.get_bucket_acl(Bucket=bucket))[1], ("Group", None, None, ALL_USERS, "READ"))


# ---------------------------------------------------------------------------------------------

class CompleteRetryTest(HerdTestCase):
    """Item 3: CompleteMultipartUpload retried after it succeeded."""

    def upload(self, s3, bucket, key, parts=(5 * MIB, 1000)):
        up = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        listed, data = [], b""
        for n, size in enumerate(parts, start=1):
            body = os.urandom(size)
            data += body
            etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=up, PartNumber=n, Body=body)["ETag"]
            listed.append({"PartNumber": n, "ETag": etag})
        return up, listed, data

    def test_retry_answers_the_same_etag_without_a_second_reference(self):
        s3 = self.client()
        bucket = self.unique_bucket("retry")
        s3.create_bucket(Bucket=bucket)
        up, parts, data = self.upload(s3, bucket, "video.mp4")
        first = s3.complete_multipart_upload(Bucket=bucket, Key="video.mp4", UploadId=up,
                                             MultipartUpload={"Parts": parts})
        for attempt in range(3):
            again = s3.complete_multipart_upload(Bucket=bucket, Key="video.mp4", UploadId=up,
                                                 MultipartUpload={"Parts": parts})
            self.assertEqual(again["ETag"], first["ETag"], "attempt %d" % attempt)
            self.assertEqual((again["Bucket"], again["Key"]), (bucket, "video.mp4"))
        self.assertEqual(s3.get_object(Bucket=bucket, Key="video.mp4")["Body"].read(), data)
        self.assertEqual(blob_refcount(self.server, data), 1)
        self.assertEqual([o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]], ["video.mp4"])
        # Another part list, another key, an unknown id: NoSuchUpload.
        self.assertClientError(lambda: s3.complete_multipart_upload(
            Bucket=bucket, Key="video.mp4", UploadId=up, MultipartUpload={"Parts": parts[:1]}), 404, "NoSuchUpload")
        self.assertClientError(lambda: s3.complete_multipart_upload(
            Bucket=bucket, Key="other.mp4", UploadId=up, MultipartUpload={"Parts": parts}), 404, "NoSuchUpload")
        self.assertClientError(lambda: s3.complete_multipart_upload(
            Bucket=bucket, Key="video.mp4", UploadId="nope", MultipartUpload={"Parts": parts}), 404, "NoSuchUpload")
        # The upload itself is gone.
        self.assertClientError(lambda: s3.list_parts(Bucket=bucket, Key="video.mp4", UploadId=up), 404, "NoSuchUpload")
        self.assertEqual(s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []), [])

    def test_retry_keeps_the_checksum(self):
        s3 = self.client()
        bucket = self.unique_bucket("retry-sum")
        s3.create_bucket(Bucket=bucket)
        up = s3.create_multipart_upload(Bucket=bucket, Key="k", ChecksumAlgorithm="CRC32")["UploadId"]
        part = s3.upload_part(Bucket=bucket, Key="k", UploadId=up, PartNumber=1, Body=b"only part",
                              ChecksumAlgorithm="CRC32")
        parts = [{"PartNumber": 1, "ETag": part["ETag"], "ChecksumCRC32": part["ChecksumCRC32"]}]
        first = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=up, MultipartUpload={"Parts": parts})
        again = s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=up, MultipartUpload={"Parts": parts})
        self.assertEqual((again["ETag"], again["ChecksumCRC32"]), (first["ETag"], first["ChecksumCRC32"]))

    def test_concurrent_completes_both_succeed_once(self):
        s3 = self.client()
        bucket = self.unique_bucket("race")
        s3.create_bucket(Bucket=bucket)
        up, parts, data = self.upload(s3, bucket, "race.bin", parts=(5 * MIB, 5 * MIB, 10))
        results, errors = [], []

        def complete():
            try:
                c = self.client()
                results.append(c.complete_multipart_upload(Bucket=bucket, Key="race.bin", UploadId=up,
                                                           MultipartUpload={"Parts": parts})["ETag"])
            except Exception as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=complete) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        self.assertEqual(errors, [])
        self.assertEqual(len(results), 3)
        self.assertEqual(len(set(results)), 1)
        self.assertEqual(blob_refcount(self.server, data), 1)
        self.assertEqual(s3.get_object(Bucket=bucket, Key="race.bin")["Body"].read(), data)

    def test_records_go_with_their_bucket_and_tenant(self):
        s3 = self.client()
        bucket = self.unique_bucket("gone")
        s3.create_bucket(Bucket=bucket)
        up, parts, _data = self.upload(s3, bucket, "k", parts=(10,))
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=up, MultipartUpload={"Parts": parts})
        self.assertEqual(db_rows(self.server, "SELECT COUNT(*) FROM completed_multiparts WHERE upload_id = ?", up),
                         [(1,)])
        s3.delete_object(Bucket=bucket, Key="k")
        s3.delete_bucket(Bucket=bucket)
        self.assertEqual(db_rows(self.server, "SELECT COUNT(*) FROM completed_multiparts WHERE upload_id = ?", up),
                         [(0,)])
        # A deleted tenant takes its records along.
        carol = self.server.create_tenant("carol")
        c = self.server.client(carol)
        c.create_bucket(Bucket=self.unique_bucket("carol"))
        cbucket = c.list_buckets()["Buckets"][0]["Name"]
        cup = c.create_multipart_upload(Bucket=cbucket, Key="k")["UploadId"]
        etag = c.upload_part(Bucket=cbucket, Key="k", UploadId=cup, PartNumber=1, Body=b"carol")["ETag"]
        c.complete_multipart_upload(Bucket=cbucket, Key="k", UploadId=cup,
                                    MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        self.server.cli("tenant", "delete", "carol", "--purge")
        self.assertEqual(db_rows(self.server, "SELECT COUNT(*) FROM completed_multiparts WHERE upload_id = ?", cup),
                         [(0,)])


class CompleteRetentionTest(HerdTestCase):
    """Item 3: records are forgotten by the background GC after completed_retention_seconds."""

    SERVER_CONFIG = "[multipart]\ncompleted_retention_seconds = 0\n[gc]\ninterval_seconds = 1\n"

    def test_record_expires(self):
        s3 = self.client()
        bucket = self.unique_bucket("expiring")
        s3.create_bucket(Bucket=bucket)
        up = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
        etag = s3.upload_part(Bucket=bucket, Key="k", UploadId=up, PartNumber=1, Body=b"part")["ETag"]
        parts = {"Parts": [{"PartNumber": 1, "ETag": etag}]}
        s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=up, MultipartUpload=parts)
        gone = h.bounded_wait(lambda: db_rows(self.server, "SELECT COUNT(*) FROM completed_multiparts") == [(0,)],
                              10.0)
        self.assertTrue(gone, "the completed upload was not forgotten")
        self.assertClientError(lambda: s3.complete_multipart_upload(Bucket=bucket, Key="k", UploadId=up,
                                                                    MultipartUpload=parts), 404, "NoSuchUpload")
        self.assertEqual(s3.get_object(Bucket=bucket, Key="k")["Body"].read(), b"part")


# ---------------------------------------------------------------------------------------------

class ConditionalCopyTest(HerdTestCase):
    """Item 4: x-amz-copy-source-if-* on CopyObject and UploadPartCopy."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s3 = cls.server.client(cls.tenants["alice"])
        cls.bucket = cls.unique_bucket("cond")
        s3.create_bucket(Bucket=cls.bucket)
        cls.data = os.urandom(6 * MIB)
        s3.put_object(Bucket=cls.bucket, Key="src", Body=cls.data)
        head = s3.head_object(Bucket=cls.bucket, Key="src")
        cls.etag = head["ETag"]
        cls.modified = head["LastModified"].replace(tzinfo=None)
        cls.past = cls.modified - datetime.timedelta(days=1)
        cls.future = cls.modified + datetime.timedelta(days=1)

    def cases(self):
        """(condition kwargs, copies?) following S3's rules for each header and combination."""
        return [
            ({"CopySourceIfMatch": self.etag}, True),
            ({"CopySourceIfMatch": '"0123456789abcdef0123456789abcdef"'}, False),
            ({"CopySourceIfNoneMatch": self.etag}, False),
            ({"CopySourceIfNoneMatch": '"0123456789abcdef0123456789abcdef"'}, True),
            ({"CopySourceIfModifiedSince": self.past}, True),
            ({"CopySourceIfModifiedSince": self.future}, False),
            ({"CopySourceIfUnmodifiedSince": self.future}, True),
            ({"CopySourceIfUnmodifiedSince": self.past}, False),
            # If-Match holds and If-Unmodified-Since fails: S3 copies.
            ({"CopySourceIfMatch": self.etag, "CopySourceIfUnmodifiedSince": self.past}, True),
            # If-None-Match fails and If-Modified-Since holds: S3 answers 412.
            ({"CopySourceIfNoneMatch": self.etag, "CopySourceIfModifiedSince": self.past}, False),
        ]

    def test_copy_object(self):
        s3 = self.client()
        source = {"Bucket": self.bucket, "Key": "src"}
        for n, (conditions, copies) in enumerate(self.cases()):
            key = "copy-%d" % n
            with self.subTest(conditions=conditions):
                if copies:
                    s3.copy_object(Bucket=self.bucket, Key=key, CopySource=source, **conditions)
                    self.assertEqual(s3.head_object(Bucket=self.bucket, Key=key)["ETag"], self.etag)
                else:
                    self.assertClientError(lambda: s3.copy_object(Bucket=self.bucket, Key=key, CopySource=source,
                                                                  **conditions), 412, "PreconditionFailed")
                    self.assertObjectMissing(self.bucket, key)

    def test_upload_part_copy(self):
        s3 = self.client()
        source = {"Bucket": self.bucket, "Key": "src"}
        up = s3.create_multipart_upload(Bucket=self.bucket, Key="assembled")["UploadId"]
        try:
            for conditions, copies in self.cases():
                with self.subTest(conditions=conditions):
                    call = lambda: s3.upload_part_copy(Bucket=self.bucket, Key="assembled", UploadId=up,  # noqa: E731
                                                       PartNumber=1, CopySource=source, **conditions)
                    if copies:
                        call()
                    else:
                        self.assertClientError(call, 412, "PreconditionFailed")
            parts = s3.list_parts(Bucket=self.bucket, Key="assembled", UploadId=up)["Parts"]
            self.assertEqual([p["PartNumber"] for p in parts], [1])
        finally:
            s3.abort_multipart_upload(Bucket=self.bucket, Key="assembled", UploadId=up)


# ---------------------------------------------------------------------------------------------

class HeadersTest(HerdTestCase):
    """Item 5: Expires; aws-chunked never stored as a Content-Encoding."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = cls.unique_bucket("hdr")
        cls.server.client(cls.tenants["alice"]).create_bucket(Bucket=cls.bucket)

    def test_expires_is_stored_and_returned(self):
        s3 = self.client()
        expires = datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
        s3.put_object(Bucket=self.bucket, Key="e", Body=b"x", Expires=expires, CacheControl="max-age=60",
                      ACL="public-read")
        self.assertEqual(s3.head_object(Bucket=self.bucket, Key="e")["Expires"], expires)
        self.assertEqual(s3.get_object(Bucket=self.bucket, Key="e")["Expires"], expires)
        for anonymous in (False, True):
            for method in ("GET", "HEAD"):
                resp = self.raw(method, h.object_path(self.bucket, "e"), anonymous=anonymous)
                self.assertEqual(resp.status, 200)
                self.assertEqual(resp.headers.get("expires"), "Wed, 02 Jan 2030 03:04:05 GMT")
                self.assertEqual(resp.headers.get("cache-control"), "max-age=60")
        # Kept by CopyObject (COPY), replaced with REPLACE, and carried by multipart uploads.
        s3.copy_object(Bucket=self.bucket, Key="e-copy", CopySource={"Bucket": self.bucket, "Key": "e"})
        self.assertEqual(s3.head_object(Bucket=self.bucket, Key="e-copy")["Expires"], expires)
        s3.copy_object(Bucket=self.bucket, Key="e-replaced", CopySource={"Bucket": self.bucket, "Key": "e"},
                       MetadataDirective="REPLACE")
        self.assertNotIn("Expires", s3.head_object(Bucket=self.bucket, Key="e-replaced"))
        up = s3.create_multipart_upload(Bucket=self.bucket, Key="e-mp", Expires=expires)["UploadId"]
        etag = s3.upload_part(Bucket=self.bucket, Key="e-mp", UploadId=up, PartNumber=1, Body=b"p")["ETag"]
        s3.complete_multipart_upload(Bucket=self.bucket, Key="e-mp", UploadId=up,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        self.assertEqual(s3.head_object(Bucket=self.bucket, Key="e-mp")["Expires"], expires)
        # No Expires stored: none returned.
        s3.put_object(Bucket=self.bucket, Key="no-e", Body=b"x")
        self.assertNotIn("expires", self.raw("HEAD", h.object_path(self.bucket, "no-e")).headers)

    def test_aws_chunked_is_not_stored(self):
        framed = b"5\r\nhello\r\n0\r\n\r\n"
        for sent, stored in (("gzip, aws-chunked", "gzip"), ("aws-chunked, gzip", "gzip"), ("aws-chunked", None),
                             ("gzip,aws-chunked,br", "gzip, br"), ("AWS-CHUNKED", None)):
            with self.subTest(content_encoding=sent):
                resp = self.raw("PUT", h.object_path(self.bucket, "ce"), payload_hash=STREAM_UNSIGNED,
                                send_body=framed, headers={"Content-Encoding": sent,
                                                           "x-amz-decoded-content-length": "5"})
                self.assertEqual(resp.status, 200, resp.body)
                got = self.raw("GET", h.object_path(self.bucket, "ce"))
                self.assertEqual(got.body, b"hello")
                self.assertEqual(got.headers.get("content-encoding"), stored)
        # Content-Encoding without aws-chunked is kept as sent.
        self.client().put_object(Bucket=self.bucket, Key="gz", Body=b"x", ContentEncoding="gzip")
        self.assertEqual(self.client().head_object(Bucket=self.bucket, Key="gz")["ContentEncoding"], "gzip")


class ChunkedPutTest(HerdTestCase):
    """Item 6: PutObject with Transfer-Encoding: chunked and no Content-Length."""

    LIMIT = 4 * MIB
    SERVER_CONFIG = "[storage]\nmax_object_size = %d\n" % LIMIT

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = cls.unique_bucket("chunked")
        cls.server.client(cls.tenants["alice"]).create_bucket(Bucket=cls.bucket)

    def test_chunked_bodies_are_stored(self):
        alice = self.tenants["alice"]
        for name, size, chunk in (("small", 1000, 7), ("large", 3 * MIB + 5, 64 * 1024), ("empty", 0, 1),
                                  ("exact limit", self.LIMIT, 1 * MIB)):
            with self.subTest(case=name):
                data = os.urandom(size)
                chunks = [data[i:i + chunk] for i in range(0, size, chunk)]
                resp = put_chunked(self.server.port, alice, self.bucket, name, chunks)
                self.assertEqual(resp.status, 200, resp.body[:300])
                self.assertEqual(resp.headers.get("etag"), h.quoted_etag(data))
                got = self.client().get_object(Bucket=self.bucket, Key=name)
                self.assertEqual(got["ContentLength"], size)
                self.assertTrue(got["Body"].read() == data)
        # A signed payload hash is verified against what the chunks carried.
        data = b"signed chunked body"
        resp = put_chunked(self.server.port, alice, self.bucket, "signed", [data[:5], data[5:]],
                           payload_hash=h.sha256_hex(data))
        self.assertEqual(resp.status, 200, resp.body[:300])
        resp = put_chunked(self.server.port, alice, self.bucket, "signed-bad", [data],
                           payload_hash=h.sha256_hex(b"other"))
        self.assertS3Error(resp, 400, "XAmzContentSHA256Mismatch")
        self.assertObjectMissing(self.bucket, "signed-bad")
        self.assertNoTempFiles()

    def test_max_object_size_is_enforced_while_reading(self):
        chunks = [os.urandom(MIB) for _ in range(self.LIMIT // MIB)] + [b"!"]
        resp = put_chunked(self.server.port, self.tenants["alice"], self.bucket, "too-big", chunks)
        self.assertS3Error(resp, 400, "EntityTooLarge")
        self.assertObjectMissing(self.bucket, "too-big")
        self.assertNoTempFiles()

    def test_malformed_chunks_are_refused(self):
        target, hdrs = h.sign_request(self.server.port, "PUT", h.object_path(self.bucket, "bad"),
                                      tenant=self.tenants["alice"], payload_hash=h.UNSIGNED)
        hdrs["Transfer-Encoding"] = "chunked"
        hdrs["Connection"] = "close"
        head = "PUT %s HTTP/1.1\r\n%s\r\n" % (target, "".join("%s: %s\r\n" % kv for kv in hdrs.items()))
        with h.socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as sock:
            sock.sendall(head.encode() + b"5\r\nhelloEXTRA\r\n0\r\n\r\n")
            raw = h._read_all(sock)
        resp = h._parse_response(raw, "PUT")
        self.assertS3Error(resp, 400, "InvalidRequest")
        self.assertObjectMissing(self.bucket, "bad")
        self.assertNoTempFiles()


# ---------------------------------------------------------------------------------------------

class ListingAndPresignTest(HerdTestCase):
    """Items 7, 8 and 9: empty continuation tokens, presigned lifetimes, missing buckets."""

    TENANTS = ("alice", "bob")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = cls.unique_bucket("lp")
        s3 = cls.server.client(cls.tenants["alice"])
        s3.create_bucket(Bucket=cls.bucket)
        for key in ("a", "b", "c"):
            s3.put_object(Bucket=cls.bucket, Key=key, Body=key.encode())

    def test_empty_continuation_token(self):
        for extra, keys in (({}, ["a", "b", "c"]), ({"start-after": "a"}, ["b", "c"])):
            with self.subTest(extra=extra):
                query = [("list-type", "2"), ("continuation-token", "")] + list(extra.items())
                resp = self.raw("GET", h.object_path(self.bucket), query=query)
                self.assertEqual(resp.status, 200, resp.body[:300])
                root = h.xml_root(resp.body)
                self.assertEqual([el.text for el in root.iter("Key")], keys)
                token = root.find("ContinuationToken")
                self.assertIsNotNone(token, resp.body)
                self.assertIn(token.text, (None, ""))
        got = self.client().list_objects_v2(Bucket=self.bucket, ContinuationToken="")
        self.assertEqual([o["Key"] for o in got["Contents"]], ["a", "b", "c"])
        # A token that is not empty must still be one Herd gave out.
        resp = self.raw("GET", h.object_path(self.bucket), query={"list-type": "2", "continuation-token": "%%%"})
        self.assertS3Error(resp, 400, "InvalidArgument")

    def test_presigned_lifetimes(self):
        port, alice = self.server.port, self.tenants["alice"]
        obj = h.object_path(self.bucket, "a")
        resp = send(port, "GET", presign(port, alice, "GET", obj, 60))
        self.assertEqual((resp.status, resp.body), (200, b"a"))  # control
        resp = send(port, "GET", presign(port, alice, "GET", obj, 604800))
        self.assertEqual(resp.status, 200)
        for expires in (0, -7, 604801, 609901, 10 ** 30):
            with self.subTest(expires=expires):
                resp = send(port, "GET", presign(port, alice, "GET", obj, expires))
                self.assertS3Error(resp, 403, "AccessDenied")

    def test_expired_presigned_put(self):
        port, alice = self.server.port, self.tenants["alice"]
        path = h.object_path(self.bucket, "presigned-put")
        target = presign(port, alice, "PUT", path, 60, when=utcnow() - datetime.timedelta(minutes=5))
        resp = send(port, "PUT", target, {"Content-Length": "4"}, b"late")
        self.assertS3Error(resp, 403, "AccessDenied")
        self.assertObjectMissing(self.bucket, "presigned-put")
        target = presign(port, alice, "PUT", path, 0)
        self.assertS3Error(send(port, "PUT", target, {"Content-Length": "4"}, b"zero"), 403, "AccessDenied")
        self.assertObjectMissing(self.bucket, "presigned-put")
        target = presign(port, alice, "PUT", path, 60)
        self.assertEqual(send(port, "PUT", target, {"Content-Length": "4"}, b"good").status, 200)  # control
        self.assertEqual(self.client().get_object(Bucket=self.bucket, Key="presigned-put")["Body"].read(), b"good")

    def test_missing_bucket_is_404_for_everyone(self):
        path = h.object_path("no-such-bucket-anywhere", "k")
        self.assertS3Error(self.raw("GET", path, anonymous=True), 404, "NoSuchBucket")
        resp = self.raw("HEAD", path, anonymous=True)
        self.assertEqual((resp.status, resp.body), (404, b""))
        self.assertS3Error(self.raw("GET", path, tenant_name="bob"), 404, "NoSuchBucket")
        self.assertClientError(lambda: self.client("bob").head_object(Bucket="no-such-bucket-anywhere", Key="k"), 404)
        self.assertS3Error(self.raw("GET", h.object_path("no-such-bucket-anywhere"), anonymous=True),
                           404, "NoSuchBucket")
        # An existing bucket is still private: 403, missing key or not.
        self.assertS3Error(self.raw("GET", h.object_path(self.bucket, "nope"), anonymous=True), 403, "AccessDenied")


if __name__ == "__main__":
    h.main()
