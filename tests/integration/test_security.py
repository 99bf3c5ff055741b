"""Security properties of Herd's S3 endpoint and CLI.

- Tenant isolation over every operation: tenant B against tenant A's bucket, objects and
  multipart upload gets AccessDenied (NoSuchUpload for A's upload id used in B's own bucket),
  whatever the addressing style or copy-source spelling, and A's data is unchanged afterwards.
- Signatures: a signed request replayed with another method, path, query parameter or signed
  header value fails with SignatureDoesNotMatch; presigned URLs enforce expiry (403), a start
  more than 15 minutes in the future (403) and X-Amz-Expires within 1 s .. 1 week (403).
- Secrets: a tenant's secret never reaches the server log (at log_level = "debug", across
  successes and failures, header, presigned and chunk-signed requests), nor `herd tenant list`.
- File modes: the data directory is 0700 and the database, blobs, staged parts and lock file are
  0600, even when the server starts under umask 000.
"""

import base64
import datetime
import hashlib
import hmac
import os
import socket
import stat
import unittest
import urllib.parse

import botocore.awsrequest
import botocore.credentials

import herd_harness as h
from herd_harness import HerdServer, HerdTestCase, Tenant

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
STREAM_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
BASE_DOMAIN = "s3.test"


def base64_md5(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


# ---------------------------------------------------------------------------------------------
# Presigned URLs with a chosen timestamp


def presign(port, tenant, method, path, when=None, expires=300, query=None, region="us-east-1"):
    """A presigned request target (path?query) signed at `when` (default now)."""
    qs = h.build_query(query)
    url = "http://127.0.0.1:%d%s%s" % (port, path, "?" + qs if qs else "")
    req = botocore.awsrequest.AWSRequest(method=method, url=url, headers={"Host": "127.0.0.1:%d" % port})
    creds = botocore.credentials.Credentials(tenant.access_key, tenant.secret_key)
    h.FixedTimeQueryAuth(creds, region, expires, when or utcnow()).add_auth(req)
    parts = urllib.parse.urlsplit(req.url)
    return parts.path + "?" + parts.query


def replace_query_param(target, name, value):
    path, _, query = target.partition("?")
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    pairs = [(k, value if k == name else v) for k, v in pairs]
    return path + "?" + urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote, safe="-_.~")


def send_head(port, method, target, headers, body=b"", timeout=30.0):
    """Sends exactly this request line and these headers (no signing); returns a RawResponse."""
    hdrs = dict(headers)
    hdrs.setdefault("Host", "127.0.0.1:%d" % port)
    return h.raw_request(port, method, target, headers=None, body=body,
                         tamper=lambda hd: (hd.clear(), hd.update(hdrs)), timeout=timeout)


def signing_key(secret, date, region="us-east-1"):
    k = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def chunk_signed_body(headers, secret, data, chunk_size=8192, corrupt_chunk=None):
    """Frames `data` as aws-chunked with chunk signatures chained from the request's signature."""
    auth = headers["Authorization"]
    seed = auth.rsplit("Signature=", 1)[1].strip()
    amz_date = headers["X-Amz-Date"]
    scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/", 1)[1]
    key = signing_key(secret, amz_date[:8], scope.split("/")[1])
    previous = seed
    out = b""
    chunks = [data[i:i + chunk_size] for i in range(0, len(data), chunk_size)] + [b""]
    for n, chunk in enumerate(chunks):
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, h.EMPTY_SHA256,
                         h.sha256_hex(chunk)])
        sig = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        previous = sig
        if n == corrupt_chunk:
            sig = ("0" if sig[0] != "0" else "1") + sig[1:]
        out += b"%x;chunk-signature=%s\r\n" % (len(chunk), sig.encode()) + chunk + b"\r\n"
    return out


# ---------------------------------------------------------------------------------------------
# Tenant isolation

class CrossTenantTest(HerdTestCase):
    """Bob against everything of Alice's: refused, and Alice's data unchanged."""

    TENANTS = ("alice", "bob")
    SERVER_CONFIG = '[server]\nbase_domains = ["%s"]\n' % BASE_DOMAIN

    SECRET = b"alice's private data\n"
    PART = b"alice's staged part"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.a = cls.server.client(cls.tenants["alice"])
        cls.b = cls.server.client(cls.tenants["bob"])
        cls.abucket = cls.unique_bucket("alice")
        cls.bbucket = cls.unique_bucket("bob")
        cls.a.create_bucket(Bucket=cls.abucket)
        cls.a.put_object(Bucket=cls.abucket, Key="secret.txt", Body=cls.SECRET, ContentType="text/plain",
                         Metadata={"owner": "alice"})
        cls.b.create_bucket(Bucket=cls.bbucket)
        cls.b.put_object(Bucket=cls.bbucket, Key="bob.txt", Body=b"bob's own data")
        cls.upload_id = cls.a.create_multipart_upload(Bucket=cls.abucket, Key="upload.bin")["UploadId"]
        cls.part_etag = cls.a.upload_part(Bucket=cls.abucket, Key="upload.bin", UploadId=cls.upload_id,
                                          PartNumber=1, Body=cls.PART)["ETag"]
        head = cls.a.head_object(Bucket=cls.abucket, Key="secret.txt")
        cls.secret_state = (head["ETag"], head["ContentType"], head["Metadata"], head["LastModified"])

    def assertAliceUntouched(self):
        a = self.a
        got = a.get_object(Bucket=self.abucket, Key="secret.txt")
        self.assertEqual(got["Body"].read(), self.SECRET)
        self.assertEqual((got["ETag"], got["ContentType"], got["Metadata"], got["LastModified"]), self.secret_state)
        keys = [o["Key"] for o in a.list_objects_v2(Bucket=self.abucket).get("Contents", [])]
        self.assertEqual(keys, ["secret.txt"])
        uploads = a.list_multipart_uploads(Bucket=self.abucket).get("Uploads", [])
        self.assertEqual([(u["Key"], u["UploadId"]) for u in uploads], [("upload.bin", self.upload_id)])
        parts = a.list_parts(Bucket=self.abucket, Key="upload.bin", UploadId=self.upload_id)["Parts"]
        self.assertEqual([(p["PartNumber"], p["ETag"], p["Size"]) for p in parts],
                         [(1, self.part_etag, len(self.PART))])
        for acl in (a.get_object_acl(Bucket=self.abucket, Key="secret.txt"), a.get_bucket_acl(Bucket=self.abucket)):
            self.assertNotIn(ALL_USERS, [g["Grantee"].get("URI") for g in acl["Grants"]])
        anon = self.server.raw("GET", h.object_path(self.abucket, "secret.txt"))
        self.assertEqual(anon.status, 403)
        bob_keys = [o["Key"] for o in self.b.list_objects_v2(Bucket=self.bbucket).get("Contents", [])]
        self.assertEqual(bob_keys, ["bob.txt"])
        names = [x["Name"] for x in self.b.list_buckets()["Buckets"]]
        self.assertEqual(names, [self.bbucket])

    def bob(self, method, path, **kwargs):
        return self.raw(method, path, tenant_name="bob", **kwargs)

    def assertDenied(self, resp, what, code="AccessDenied", status=403):
        if resp.status == status and not resp.body:  # HEAD: no body
            return
        self.assertS3Error(resp, status, code)
        self.assertNotIn(self.SECRET.strip(), resp.body, what)

    def operations(self):
        """(name, method, path, query, headers, body) of every operation, aimed at Alice's things."""
        obj = h.object_path(self.abucket, "secret.txt")
        bkt = h.object_path(self.abucket)
        up = h.object_path(self.abucket, "upload.bin")
        uid = self.upload_id
        complete = ("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part>"
                    "</CompleteMultipartUpload>" % self.part_etag).encode()
        delete = b"<Delete><Object><Key>secret.txt</Key></Object></Delete>"
        acl_body = ('<AccessControlPolicy><AccessControlList><Grant><Grantee><URI>%s</URI></Grantee>'
                    '<Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>'
                    % ALL_USERS).encode()
        src_a = "/%s/secret.txt" % self.abucket
        src_b = "/%s/bob.txt" % self.bbucket
        return [
            ("GetObject", "GET", obj, None, {}, b""),
            ("GetObject missing key", "GET", h.object_path(self.abucket, "no-such-key"), None, {}, b""),
            ("GetObject range", "GET", obj, None, {"Range": "bytes=0-3"}, b""),
            ("GetObject partNumber", "GET", obj, {"partNumber": "1"}, {}, b""),
            ("GetObject response override", "GET", obj, {"response-content-type": "text/html"}, {}, b""),
            ("HeadObject", "HEAD", obj, None, {}, b""),
            ("PutObject overwrite", "PUT", obj, None, {}, b"bob was here"),
            ("PutObject new key", "PUT", h.object_path(self.abucket, "planted.txt"), None, {}, b"planted"),
            ("CopyObject into Alice's bucket", "PUT", h.object_path(self.abucket, "planted-copy.txt"), None,
             {"x-amz-copy-source": src_b}, b""),
            ("CopyObject Alice→Alice", "PUT", h.object_path(self.abucket, "copy2.txt"), None,
             {"x-amz-copy-source": src_a}, b""),
            ("DeleteObject", "DELETE", obj, None, {}, b""),
            ("DeleteObject missing key", "DELETE", h.object_path(self.abucket, "no-such-key"), None, {}, b""),
            ("DeleteObjects", "POST", bkt, {"delete": None}, {"Content-MD5": base64_md5(delete)}, delete),
            ("ListObjects v1", "GET", bkt, None, {}, b""),
            ("ListObjectsV2", "GET", bkt, {"list-type": "2"}, {}, b""),
            ("ListObjectsV2 prefix", "GET", bkt, {"list-type": "2", "prefix": "sec", "delimiter": "/"}, {}, b""),
            ("ListMultipartUploads", "GET", bkt, {"uploads": None}, {}, b""),
            ("CreateMultipartUpload", "POST", h.object_path(self.abucket, "bob-upload.bin"), {"uploads": None}, {},
             b""),
            ("UploadPart", "PUT", up, {"partNumber": "2", "uploadId": uid}, {}, b"bob's part"),
            ("UploadPart replace", "PUT", up, {"partNumber": "1", "uploadId": uid}, {}, b"bob's part"),
            ("UploadPartCopy", "PUT", up, {"partNumber": "2", "uploadId": uid}, {"x-amz-copy-source": src_b}, b""),
            ("CompleteMultipartUpload", "POST", up, {"uploadId": uid}, {}, complete),
            ("AbortMultipartUpload", "DELETE", up, {"uploadId": uid}, {}, b""),
            ("ListParts", "GET", up, {"uploadId": uid}, {}, b""),
            ("GetObjectAcl", "GET", obj, {"acl": None}, {}, b""),
            ("PutObjectAcl canned", "PUT", obj, {"acl": None}, {"x-amz-acl": "public-read"}, b""),
            ("PutObjectAcl grant", "PUT", obj, {"acl": None}, {"x-amz-grant-read": 'uri="%s"' % ALL_USERS}, b""),
            ("PutObjectAcl policy", "PUT", obj, {"acl": None}, {}, acl_body),
            ("GetBucketAcl", "GET", bkt, {"acl": None}, {}, b""),
            ("PutBucketAcl canned", "PUT", bkt, {"acl": None}, {"x-amz-acl": "public-read"}, b""),
            ("PutBucketAcl policy", "PUT", bkt, {"acl": None}, {}, acl_body),
            ("GetBucketLocation", "GET", bkt, {"location": None}, {}, b""),
            ("HeadBucket", "HEAD", bkt, None, {}, b""),
            ("DeleteBucket", "DELETE", bkt, None, {}, b""),
        ]

    def test_every_operation_denied(self):
        for name, method, path, query, headers, body in self.operations():
            with self.subTest(op=name):
                resp = self.bob(method, path, query=query, headers=headers, body=body)
                self.assertDenied(resp, name)
                self.assertEqual(resp.status, 403, "%s: %d %r" % (name, resp.status, resp.body[:300]))
        self.assertAliceUntouched()

    def test_every_operation_denied_virtual_host_style(self):
        """The same operations addressed as BUCKET.s3.test (virtual-host style)."""
        host = "%s.%s:%d" % (self.abucket, BASE_DOMAIN, self.server.port)
        prefix = "/" + self.abucket
        for name, method, path, query, headers, body in self.operations():
            vpath = path[len(prefix):] or "/"
            with self.subTest(op=name):
                hdrs = dict(headers)
                hdrs["Host"] = host
                resp = self.bob(method, vpath, query=query, headers=hdrs, body=body)
                self.assertDenied(resp, name)
                self.assertEqual(resp.status, 403, "%s: %d %r" % (name, resp.status, resp.body[:300]))
        self.assertAliceUntouched()

    def test_host_and_path_confusion(self):
        """Bob's virtual host plus a path naming Alice's bucket reads Bob's own namespace only."""
        host = "%s.%s:%d" % (self.bbucket, BASE_DOMAIN, self.server.port)
        resp = self.bob("GET", "/%s/secret.txt" % self.abucket, headers={"Host": host})
        self.assertS3Error(resp, 404, "NoSuchKey")  # key "<alice's bucket>/secret.txt" in Bob's bucket
        for evil_host in ("%s.%s" % (self.abucket, BASE_DOMAIN), "%s.%s." % (self.abucket, BASE_DOMAIN),
                          "%s.%s:%d" % (self.abucket.upper(), BASE_DOMAIN.upper(), self.server.port)):
            with self.subTest(host=evil_host):
                resp = self.bob("GET", "/secret.txt", headers={"Host": evil_host})
                self.assertIn(resp.status, (403, 404), resp.body[:300])
                self.assertNotIn(self.SECRET.strip(), resp.body)
        self.assertAliceUntouched()

    def test_copy_from_alice_into_bob(self):
        """CopyObject (and UploadPartCopy) with Alice's object as the source, into Bob's bucket."""
        resp = self.bob("PUT", h.object_path(self.bbucket, "stolen.txt"),
                        headers={"x-amz-copy-source": "/%s/secret.txt" % self.abucket})
        self.assertDenied(resp, "CopyObject from Alice")
        for directive in ("COPY", "REPLACE"):
            resp = self.bob("PUT", h.object_path(self.bbucket, "stolen.txt"),
                            headers={"x-amz-copy-source": "/%s/secret.txt" % self.abucket,
                                     "x-amz-metadata-directive": directive})
            self.assertDenied(resp, "CopyObject from Alice, %s" % directive)
        self.assertObjectMissing(self.bbucket, "stolen.txt", tenant_name="bob")
        bob_up = self.b.create_multipart_upload(Bucket=self.bbucket, Key="steal.bin")["UploadId"]
        try:
            resp = self.bob("PUT", h.object_path(self.bbucket, "steal.bin"),
                            query={"partNumber": "1", "uploadId": bob_up},
                            headers={"x-amz-copy-source": "/%s/secret.txt" % self.abucket})
            self.assertDenied(resp, "UploadPartCopy from Alice")
            self.assertEqual(self.b.list_parts(Bucket=self.bbucket, Key="steal.bin",
                                               UploadId=bob_up).get("Parts", []), [])
        finally:
            self.b.abort_multipart_upload(Bucket=self.bbucket, Key="steal.bin", UploadId=bob_up)
        self.assertAliceUntouched()

    def test_copy_source_spellings(self):
        """Every spelling of Alice's object as a copy source is refused for Bob."""
        spellings = ["/%s/secret.txt", "%s/secret.txt", "/%s/secret.txt?versionId=null",
                     "/%s%%2Fsecret.txt", "%%2F%s%%2Fsecret.txt", "/%s/./secret.txt", "/%s//secret.txt"]
        for spelling in spellings:
            source = spelling % self.abucket
            with self.subTest(source=source):
                resp = self.bob("PUT", h.object_path(self.bbucket, "stolen.txt"), headers={"x-amz-copy-source": source})
                self.assertIn(resp.status, (403, 404), "%s: %d %r" % (source, resp.status, resp.body[:300]))
                if resp.status == 403:
                    self.assertS3Error(resp, 403, "AccessDenied")
                else:
                    self.assertS3Error(resp, 404, "NoSuchKey")  # a different (nonexistent) key
                # Also as the source of a part of Bob's own upload.
                bob_up = self.b.create_multipart_upload(Bucket=self.bbucket, Key="steal.bin")["UploadId"]
                try:
                    resp = self.bob("PUT", h.object_path(self.bbucket, "steal.bin"),
                                    query={"partNumber": "1", "uploadId": bob_up},
                                    headers={"x-amz-copy-source": source, "x-amz-copy-source-range": "bytes=0-3"})
                    self.assertIn(resp.status, (403, 404), resp.body[:300])
                    self.assertEqual(self.b.list_parts(Bucket=self.bbucket, Key="steal.bin",
                                                       UploadId=bob_up).get("Parts", []), [])
                finally:
                    self.b.abort_multipart_upload(Bucket=self.bbucket, Key="steal.bin", UploadId=bob_up)
        self.assertObjectMissing(self.bbucket, "stolen.txt", tenant_name="bob")
        self.assertAliceUntouched()

    def test_alice_upload_id_in_bobs_bucket(self):
        """Alice's upload id used against Bob's own bucket and the same key: NoSuchUpload."""
        up = h.object_path(self.bbucket, "upload.bin")
        uid = self.upload_id
        complete = ("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part>"
                    "</CompleteMultipartUpload>" % self.part_etag).encode()
        cases = [("UploadPart", "PUT", {"partNumber": "2", "uploadId": uid}, {}, b"bob's part"),
                 ("UploadPartCopy", "PUT", {"partNumber": "2", "uploadId": uid},
                  {"x-amz-copy-source": "/%s/bob.txt" % self.bbucket}, b""),
                 ("CompleteMultipartUpload", "POST", {"uploadId": uid}, {}, complete),
                 ("AbortMultipartUpload", "DELETE", {"uploadId": uid}, {}, b""),
                 ("ListParts", "GET", {"uploadId": uid}, {}, b"")]
        for name, method, query, headers, body in cases:
            with self.subTest(op=name):
                resp = self.bob(method, up, query=query, headers=headers, body=body)
                self.assertS3Error(resp, 404, "NoSuchUpload")
                self.assertNotIn(self.part_etag.strip('"').encode(), resp.body)
        bob_uploads = self.b.list_multipart_uploads(Bucket=self.bbucket).get("Uploads", [])
        self.assertEqual(bob_uploads, [])
        self.assertObjectMissing(self.bbucket, "upload.bin", tenant_name="bob")
        self.assertAliceUntouched()

    def test_alice_upload_id_on_another_key_of_her_bucket(self):
        """Even Alice cannot use her upload id under another key (the id is bound to its key)."""
        resp = self.raw("GET", h.object_path(self.abucket, "other.bin"), query={"uploadId": self.upload_id})
        self.assertS3Error(resp, 404, "NoSuchUpload")
        self.assertAliceUntouched()

    def test_presigned_url_by_bob(self):
        for method, path in (("GET", h.object_path(self.abucket, "secret.txt")),
                             ("PUT", h.object_path(self.abucket, "presigned-plant.txt")),
                             ("DELETE", h.object_path(self.abucket, "secret.txt")),
                             ("GET", h.object_path(self.abucket))):
            with self.subTest(method=method, path=path):
                target = presign(self.server.port, self.tenants["bob"], method, path)
                resp = send_head(self.server.port, method, target, {"Content-Length": "4"} if method == "PUT" else {},
                                 body=b"evil" if method == "PUT" else b"")
                self.assertS3Error(resp, 403, "AccessDenied")
        self.assertAliceUntouched()

    def test_anonymous_against_alice(self):
        for name, method, path, query, headers, body in self.operations():
            with self.subTest(op=name):
                resp = self.raw(method, path, anonymous=True, query=query, headers=headers, body=body)
                self.assertEqual(resp.status, 403, "%s: %d %r" % (name, resp.status, resp.body[:300]))
                self.assertNotIn(self.SECRET.strip(), resp.body)
        self.assertAliceUntouched()


# ---------------------------------------------------------------------------------------------
# Signature replay and presigned URL limits

class SignatureReplayTest(HerdTestCase):
    TENANTS = ("alice",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bucket = cls.unique_bucket("replay")
        cls.other_bucket = cls.unique_bucket("replay-other")
        s3 = cls.server.client(cls.tenants["alice"])
        s3.create_bucket(Bucket=cls.bucket)
        s3.create_bucket(Bucket=cls.other_bucket)
        for key in ("k", "other", "a", "b"):
            s3.put_object(Bucket=cls.bucket, Key=key, Body=("value of %s" % key).encode())
        s3.put_object(Bucket=cls.other_bucket, Key="k", Body=b"other bucket")
        cls.s3 = s3

    def signed(self, method, path, query=None, headers=None, body=b"", payload_hash=None, when=None):
        target, hdrs = h.sign_request(self.server.port, method, path, query=query, headers=headers, body=body,
                                      tenant=self.tenants["alice"], payload_hash=payload_hash, when=when)
        return target, hdrs

    def send(self, method, target, hdrs, body=b""):
        hdrs = dict(hdrs)
        if body or method in ("PUT", "POST"):
            hdrs["Content-Length"] = str(len(body))
        return send_head(self.server.port, method, target, hdrs, body=body)

    def assertMismatch(self, resp, what):
        if resp.status == 403 and not resp.body:
            return  # HEAD
        self.assertS3Error(resp, 403, "SignatureDoesNotMatch")

    def assertIntact(self):
        keys = [o["Key"] for o in self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])]
        self.assertEqual(sorted(keys), ["a", "b", "k", "other"])
        for key in keys:
            self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read(),
                             ("value of %s" % key).encode())
        acl = self.s3.get_object_acl(Bucket=self.bucket, Key="k")
        self.assertNotIn(ALL_USERS, [g["Grantee"].get("URI") for g in acl["Grants"]])

    def test_exact_replay_still_valid(self):
        """Control: the untampered request works, also twice (S3 allows replay inside the window)."""
        target, hdrs = self.signed("GET", h.object_path(self.bucket, "k"))
        for _ in range(2):
            resp = self.send("GET", target, hdrs)
            self.assertEqual(resp.status, 200, resp.body)
            self.assertEqual(resp.body, b"value of k")

    def test_altered_method(self):
        target, hdrs = self.signed("GET", h.object_path(self.bucket, "k"))
        for method in ("DELETE", "HEAD", "PUT", "POST"):
            with self.subTest(method=method):
                resp = self.send(method, target, hdrs, body=b"overwrite" if method == "PUT" else b"")
                self.assertMismatch(resp, method)
                self.assertEqual(resp.status, 403)
        # A signed DeleteObject replayed as GET must not read either.
        target, hdrs = self.signed("DELETE", h.object_path(self.bucket, "k"))
        self.assertMismatch(self.send("GET", target, hdrs), "DELETE as GET")
        self.assertIntact()

    def test_altered_path(self):
        target, hdrs = self.signed("DELETE", h.object_path(self.bucket, "k"))
        for path in (h.object_path(self.bucket, "other"), h.object_path(self.other_bucket, "k"),
                     h.object_path(self.bucket, "K"), h.object_path(self.bucket, "k/"),
                     h.object_path(self.bucket, "k") + "%20", h.object_path(self.bucket),
                     "/" + self.bucket.upper() + "/k", "/" + self.bucket + "//k"):
            with self.subTest(path=path):
                resp = self.send("DELETE", path, hdrs)
                self.assertIn(resp.status, (403, 400), resp.body[:300])
                if resp.status == 403:
                    self.assertMismatch(resp, path)
        self.assertIntact()
        self.assertEqual(self.s3.get_object(Bucket=self.other_bucket, Key="k")["Body"].read(), b"other bucket")

    def test_altered_query(self):
        path = h.object_path(self.bucket)
        target, hdrs = self.signed("GET", path, query={"list-type": "2", "max-keys": "1"})
        resp = self.send("GET", target, hdrs)
        self.assertEqual(resp.status, 200, resp.body)
        for altered in (path + "?list-type=2&max-keys=2", path + "?list-type=2&max-keys=1&prefix=o",
                        path + "?list-type=2", path + "?max-keys=1&list-type=2&list-type=2",
                        path + "?list-type=2&max-keys=1&acl", path + "?list-type=2&max-keys=1&uploads",
                        path + "?list-type=2&max-keys=01"):
            with self.subTest(target=altered):
                self.assertMismatch(self.send("GET", altered, hdrs), altered)
        # GetObject signed, replayed as GetObjectAcl / with a response override / as ListParts.
        obj = h.object_path(self.bucket, "k")
        target, hdrs = self.signed("GET", obj)
        for altered in (obj + "?acl", obj + "?response-content-type=text%2Fhtml", obj + "?uploadId=x",
                        obj + "?partNumber=1"):
            with self.subTest(target=altered):
                self.assertMismatch(self.send("GET", altered, hdrs), altered)
        # PutObjectAcl signed for private, replayed with public-read in the query? (canned ACL is a header)
        target, hdrs = self.signed("PUT", obj, query={"acl": None}, headers={"x-amz-acl": "private"})
        hdrs2 = dict(hdrs)
        hdrs2["x-amz-acl"] = "public-read"
        self.assertMismatch(self.send("PUT", target, hdrs2), "x-amz-acl altered")
        self.assertIntact()

    def test_altered_signed_headers(self):
        obj = h.object_path(self.bucket, "k")
        cases = []
        target, hdrs = self.signed("GET", obj, headers={"Range": "bytes=0-1"})
        cases.append(("Range", "GET", target, hdrs, {"Range": "bytes=0-100"}, b""))
        target, hdrs = self.signed("PUT", obj, headers={"x-amz-meta-note": "original"}, body=b"new value")
        cases.append(("x-amz-meta", "PUT", target, hdrs, {"x-amz-meta-note": "changed"}, b"new value"))
        cases.append(("x-amz-content-sha256", "PUT", target, hdrs,
                      {"X-Amz-Content-SHA256": h.sha256_hex(b"other body")}, b"other body"))
        cases.append(("X-Amz-Date", "PUT", target, hdrs,
                      {"X-Amz-Date": (utcnow() - datetime.timedelta(seconds=61)).strftime("%Y%m%dT%H%M%SZ")},
                      b"new value"))
        cases.append(("Host", "PUT", target, hdrs, {"Host": "localhost:%d" % self.server.port}, b"new value"))
        target, hdrs = self.signed("PUT", h.object_path(self.bucket, "copy-dest"),
                                   headers={"x-amz-copy-source": "/%s/a" % self.bucket})
        cases.append(("x-amz-copy-source", "PUT", target, hdrs, {"x-amz-copy-source": "/%s/b" % self.bucket}, b""))
        target, hdrs = self.signed("PUT", obj, query={"acl": None}, headers={"x-amz-acl": "private"})
        cases.append(("x-amz-acl", "PUT", target, hdrs, {"x-amz-acl": "public-read"}, b""))
        for name, method, target, hdrs, change, body in cases:
            with self.subTest(header=name):
                altered = dict(hdrs)
                # Replace case-insensitively so the altered value is the only one sent.
                for k in list(altered):
                    for ck in change:
                        if k.lower() == ck.lower():
                            del altered[k]
                altered.update(change)
                self.assertMismatch(self.send(method, target, altered, body=body), name)
        self.assertObjectMissing(self.bucket, "copy-dest")
        self.assertIntact()

    def test_duplicated_and_dropped_signed_headers(self):
        obj = h.object_path(self.bucket, "k")
        target, hdrs = self.signed("PUT", obj, headers={"x-amz-meta-note": "original"}, body=b"new value")
        # A second copy of a signed header, added after signing.
        head = "PUT %s HTTP/1.1\r\n" % target + "".join("%s: %s\r\n" % kv for kv in hdrs.items())
        head += "x-amz-meta-note: injected\r\nContent-Length: 9\r\nConnection: close\r\n\r\n"
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(head.encode() + b"new value")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        self.assertIn(b" 403 ", data.split(b"\r\n", 1)[0], data[:300])
        self.assertIn(b"SignatureDoesNotMatch", data)
        # A signed header left out of the request.
        dropped = {k: v for k, v in hdrs.items() if k.lower() != "x-amz-meta-note"}
        self.assertMismatch(self.send("PUT", target, dropped, body=b"new value"), "dropped header")
        # SignedHeaders edited to leave a header out of the signature.
        edited = dict(hdrs)
        edited["Authorization"] = edited["Authorization"].replace(";x-amz-meta-note", "")
        resp = self.send("PUT", target, edited, body=b"new value")
        self.assertIn(resp.status, (400, 403), resp.body[:300])
        # Credential scope date different from X-Amz-Date.
        edited = dict(hdrs)
        d = hdrs["X-Amz-Date"][:8]
        other = (datetime.datetime.strptime(d, "%Y%m%d") - datetime.timedelta(days=1)).strftime("%Y%m%d")
        edited["Authorization"] = edited["Authorization"].replace("/%s/" % d, "/%s/" % other)
        resp = self.send("PUT", target, edited, body=b"new value")
        self.assertIn(resp.status, (400, 403), resp.body[:300])
        self.assertIntact()

    def test_header_date_in_the_future(self):
        for minutes in (16, 60, 60 * 24 * 365):
            with self.subTest(minutes=minutes):
                resp = self.raw("GET", h.object_path(self.bucket, "k"),
                                when=utcnow() + datetime.timedelta(minutes=minutes))
                self.assertS3Error(resp, 403, "RequestTimeTooSkewed")

    def test_presigned_limits(self):
        port, alice = self.server.port, self.tenants["alice"]
        obj = h.object_path(self.bucket, "k")
        now = utcnow()
        # Control: valid now, valid with the maximum lifetime, valid a few minutes in the future.
        for label, when, expires in (("now", now, 300), ("max expiry", now, 604800),
                                     ("5 min ahead", now + datetime.timedelta(minutes=5), 300)):
            with self.subTest(case=label):
                resp = send_head(port, "GET", presign(port, alice, "GET", obj, when=when, expires=expires), {})
                self.assertEqual(resp.status, 200, resp.body[:300])
                self.assertEqual(resp.body, b"value of k")
        cases = [
            ("expired an hour ago", now - datetime.timedelta(hours=2), 3600, 403, "AccessDenied"),
            ("expired a second ago", now - datetime.timedelta(seconds=62), 60, 403, "AccessDenied"),
            ("expired after a week", now - datetime.timedelta(days=8), 604800, 403, "AccessDenied"),
            ("16 min in the future", now + datetime.timedelta(minutes=16), 3600, 403, "AccessDenied"),
            ("a year in the future", now + datetime.timedelta(days=365), 3600, 403, "AccessDenied"),
            # S3 refuses a lifetime outside 1 s .. 1 week like an expired URL.
            ("expires > 1 week", now, 604801, 403, "AccessDenied"),
            ("expires huge", now, 10 ** 12, 403, "AccessDenied"),
            ("expires overflow", now, 10 ** 30, 403, "AccessDenied"),
            ("expires negative", now, -1, 403, "AccessDenied"),
            ("expires zero", now, 0, 403, "AccessDenied"),
        ]
        for label, when, expires, status, code in cases:
            with self.subTest(case=label):
                resp = send_head(port, "GET", presign(port, alice, "GET", obj, when=when, expires=expires), {})
                self.assertS3Error(resp, status, code)
                self.assertNotEqual(resp.body, b"value of k")

    def test_presigned_tampering(self):
        port, alice = self.server.port, self.tenants["alice"]
        obj = h.object_path(self.bucket, "k")
        target = presign(port, alice, "GET", obj, expires=60)
        # Lifetime extended after signing.
        self.assertMismatch(send_head(port, "GET", replace_query_param(target, "X-Amz-Expires", "604800"), {}),
                            "expires")
        # Start moved after signing.
        later = (utcnow() + datetime.timedelta(minutes=1)).strftime("%Y%m%dT%H%M%SZ")
        self.assertMismatch(send_head(port, "GET", replace_query_param(target, "X-Amz-Date", later), {}), "date")
        # Other method, other key, an extra parameter.
        self.assertMismatch(send_head(port, "DELETE", target, {}), "method")
        self.assertMismatch(send_head(port, "GET", target.replace("/k?", "/other?"), {}), "key")
        self.assertMismatch(send_head(port, "GET", target + "&response-content-type=text%2Fhtml", {}), "param")
        self.assertMismatch(send_head(port, "GET", target + "&acl", {}), "acl")
        # Header and query auth together.
        _t, hdrs = self.signed("GET", obj)
        resp = send_head(port, "GET", target, {k: v for k, v in hdrs.items() if k.lower() == "authorization"
                                                or k.lower().startswith("x-amz")})
        self.assertIn(resp.status, (400, 403), resp.body[:300])
        self.assertNotEqual(resp.body, b"value of k")
        # A presigned PUT cannot be used for another key.
        put_target = presign(port, alice, "PUT", h.object_path(self.bucket, "presigned-put"))
        resp = send_head(port, "PUT", put_target.replace("/presigned-put?", "/k?"), {"Content-Length": "4"},
                         body=b"evil")
        self.assertMismatch(resp, "put other key")
        self.assertIntact()


# ---------------------------------------------------------------------------------------------
# Secrets stay secret

class SecretsNotLoggedTest(HerdTestCase):
    TENANTS = ("alice", "bob")
    SERVER_CONFIG = '[server]\nlog_level = "debug"\n'

    def test_secrets_never_logged(self):
        alice, bob = self.tenants["alice"], self.tenants["bob"]
        port = self.server.port
        s3 = self.client("alice")
        bucket = self.unique_bucket("logs")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="k", Body=b"hello")
        s3.get_object(Bucket=bucket, Key="k")["Body"].read()
        s3.list_objects_v2(Bucket=bucket)
        up = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
        etag = s3.upload_part(Bucket=bucket, Key="mp", UploadId=up, PartNumber=1, Body=b"part")["ETag"]
        s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
        # Failures of every authentication kind.
        wrong = Tenant("alice", alice.access_key, bob.secret_key)
        self.assertS3Error(self.server.raw("GET", h.object_path(bucket, "k"), tenant=wrong), 403,
                           "SignatureDoesNotMatch")
        self.assertS3Error(self.server.raw("PUT", h.object_path(bucket, "x"), tenant=wrong, body=b"x"), 403,
                           "SignatureDoesNotMatch")
        ghost = Tenant("ghost", "AKIDGHOST0000000000", alice.secret_key)
        self.assertS3Error(self.server.raw("GET", h.object_path(bucket, "k"), tenant=ghost), 403,
                           "InvalidAccessKeyId")
        self.assertS3Error(self.raw("GET", h.object_path(bucket, "k"), tenant_name="bob"), 403, "AccessDenied")
        self.assertS3Error(self.raw("GET", h.object_path(bucket, "k"), when=utcnow() - datetime.timedelta(hours=1)),
                           403, "RequestTimeTooSkewed")
        resp = self.raw("GET", h.object_path(bucket, "k"),
                        tamper=lambda hd: hd.update(Authorization=hd["Authorization"].replace("Signature=", "Sig=")))
        self.assertEqual(resp.status, 400, resp.body)
        # Presigned: valid, expired, tampered.
        target = presign(port, alice, "GET", h.object_path(bucket, "k"))
        self.assertEqual(send_head(port, "GET", target, {}).status, 200)
        expired = presign(port, alice, "GET", h.object_path(bucket, "k"), when=utcnow() - datetime.timedelta(hours=2))
        self.assertEqual(send_head(port, "GET", expired, {}).status, 403)
        self.assertEqual(send_head(port, "GET", replace_query_param(target, "X-Amz-Expires", "9"), {}).status, 403)
        # Chunk-signed uploads: good, and with a bad chunk signature.
        data = os.urandom(20000)
        for key, corrupt, status in (("stream-ok", None, 200), ("stream-bad", 1, 403)):
            _t, hdrs = h.sign_request(port, "PUT", h.object_path(bucket, key), tenant=alice,
                                      payload_hash=STREAM_SIGNED,
                                      headers={"Content-Encoding": "aws-chunked",
                                               "x-amz-decoded-content-length": str(len(data))})
            framed = chunk_signed_body(hdrs, alice.secret_key, data, corrupt_chunk=corrupt)
            resp = self.raw("PUT", h.object_path(bucket, key), payload_hash=STREAM_SIGNED, send_body=framed,
                            headers={"Content-Encoding": "aws-chunked",
                                     "x-amz-decoded-content-length": str(len(data))},
                            tamper=lambda hd, good=hdrs: (hd.clear(), hd.update(good)))
            self.assertEqual(resp.status, status, resp.body[:300])
        self.assertEqual(s3.get_object(Bucket=bucket, Key="stream-ok")["Body"].read(), data)
        # The CLI reads the same database while the server runs.
        self.server.stats()
        listing = self.server.cli("tenant", "list")
        listing_json = self.server.cli("tenant", "list", "--json")

        log = h.bounded_wait(lambda: open(self.server.log_path, "rb").read(), 1.0)
        self.assertIn(b"SignatureDoesNotMatch", log, "the debug log does not show failed requests; is log_level "
                                                     "= debug in effect?\n" + self.server.log_tail())
        today = utcnow().strftime("%Y%m%d")
        for tenant in (alice, bob):
            forbidden = {"secret": tenant.secret_key.encode(),
                         "AWS4 secret": ("AWS4" + tenant.secret_key).encode(),
                         "signing key (hex)": signing_key(tenant.secret_key, today).hex().encode(),
                         "secret prefix": tenant.secret_key[:16].encode()}
            for what, needle in forbidden.items():
                with self.subTest(tenant=tenant.name, leak=what):
                    self.assertNotIn(needle, log, "%s of %s appears in the server log" % (what, tenant.name))
                    for label, proc in (("tenant list", listing), ("tenant list --json", listing_json)):
                        self.assertNotIn(needle.decode(), proc.stdout + proc.stderr,
                                         "%s of %s printed by `herd %s`" % (what, tenant.name, label))
            # The listing does show the tenant (so the check above is meaningful).
            self.assertIn(tenant.access_key, listing.stdout)
            self.assertIn(tenant.access_key, listing_json.stdout)
        entries = h.json.loads(listing_json.stdout)
        rows = entries if isinstance(entries, list) else entries.get("tenants", [])
        for row in rows:
            for field in row:
                self.assertNotIn("secret", field.lower(), "tenant list --json has a %r field: %r" % (field, row))

    def test_error_bodies_do_not_echo_secrets(self):
        alice, bob = self.tenants["alice"], self.tenants["bob"]
        wrong = Tenant("alice", alice.access_key, bob.secret_key)
        resp = self.server.raw("GET", "/", tenant=wrong)
        self.assertS3Error(resp, 403, "SignatureDoesNotMatch")
        for t in (alice, bob):
            self.assertNotIn(t.secret_key.encode(), resp.body)
            self.assertNotIn(t.secret_key.encode(), str(resp.headers).encode())


# ---------------------------------------------------------------------------------------------
# File modes

def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


class FileModesTest(unittest.TestCase):
    """Under umask 000, everything Herd creates in its data directory is still owner-only."""

    @classmethod
    def setUpClass(cls):
        h.quiet_resource_warnings()
        cls.server = HerdServer()
        cls.addClassCleanup(h.shutdown_server, cls.server)
        cls.server.data = os.path.join(cls.server.root, "fresh-data")  # created by herd itself
        old = os.umask(0)
        try:
            cls.server.start()
            cls.alice = cls.server.create_tenant("alice")
        finally:
            os.umask(old)
        s3 = cls.server.client(cls.alice)
        s3.create_bucket(Bucket="modes")
        s3.put_object(Bucket="modes", Key="a", Body=b"blob a")
        s3.put_object(Bucket="modes", Key="b", Body=os.urandom(100000))
        cls.upload_id = s3.create_multipart_upload(Bucket="modes", Key="mp")["UploadId"]
        s3.upload_part(Bucket="modes", Key="mp", UploadId=cls.upload_id, PartNumber=1, Body=b"staged part")
        cls.s3 = s3

    def test_data_dir_0700(self):
        self.assertEqual(mode_of(self.server.data), 0o700, oct(mode_of(self.server.data)))

    def test_database_0600(self):
        db = os.path.join(self.server.data, "herd.db")
        self.assertTrue(os.path.exists(db))
        for suffix in ("", "-wal", "-shm", "-journal"):
            path = db + suffix
            if os.path.exists(path):
                with self.subTest(file="herd.db" + suffix):
                    self.assertEqual(mode_of(path), 0o600, "%s is %s" % (path, oct(mode_of(path))))

    def test_blobs_0600(self):
        blobs = self.server.blob_names()
        self.assertEqual(len(blobs), 2, blobs)
        files = [os.path.join(self.server.blobs_dir, rel) for rel in self.server.blob_files()]
        files += [os.path.join(self.server.packs_dir, rel) for rel in h.files_under(self.server.packs_dir)]
        self.assertTrue(files)
        for path in files:
            with self.subTest(blob=path):
                self.assertEqual(mode_of(path), 0o600)
        for top in (self.server.blobs_dir, self.server.packs_dir):
            for dirpath, _dirs, _files in os.walk(top):
                with self.subTest(dir=dirpath):
                    self.assertEqual(mode_of(dirpath), 0o700, "%s is %s" % (dirpath, oct(mode_of(dirpath))))

    def test_staged_parts_0600(self):
        staging = os.path.join(self.server.data, "staging")
        files = h.files_under(staging)
        self.assertEqual(len(files), 1, files)
        self.assertEqual(mode_of(os.path.join(staging, files[0])), 0o600)

    def test_nothing_group_or_world_accessible(self):
        for dirpath, dirs, files in os.walk(self.server.data):
            for name in dirs + files:
                path = os.path.join(dirpath, name)
                with self.subTest(path=os.path.relpath(path, self.server.data)):
                    self.assertEqual(mode_of(path) & 0o077, 0, "%s is %s" % (path, oct(mode_of(path))))

    def test_zz_modes_after_restart(self):
        """A restart (new WAL, new blobs) keeps the modes."""
        self.assertEqual(self.server.stop(), 0)
        old = os.umask(0)
        try:
            self.server.start()
        finally:
            os.umask(old)
        s3 = self.server.client(self.alice)
        s3.put_object(Bucket="modes", Key="c", Body=b"after restart")
        for dirpath, dirs, files in os.walk(self.server.data):
            for name in dirs + files:
                path = os.path.join(dirpath, name)
                self.assertEqual(mode_of(path) & 0o077, 0, "%s is %s" % (path, oct(mode_of(path))))


if __name__ == "__main__":
    h.main()
