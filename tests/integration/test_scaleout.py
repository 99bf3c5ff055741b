#!/usr/bin/env python3
"""Two Herd nodes, one pool: both `herd serve` processes share one PostgreSQL schema (metadata)
and one Ceph RGW bucket (blobs), each with its own data directory and hot cache. Any node answers
any request with what the other committed (the S3 endpoint, and the public endpoint whose caches
the other node's NOTIFYs keep coherent), multipart uploads move between nodes, GC on both nodes
never loses an object re-uploaded meanwhile, the bucket ends up holding exactly the referenced
blobs, a SIGKILLed node loses nothing it acknowledged, a SIGKILLed PostgreSQL loses nothing either
(the nodes answer 503 while it is down and serve again when it is back), and a blob backend that
is down answers 503 and stores nothing.

Runs against the test servers ctest starts (HERD_TEST_SERVERS); skipped without them."""
import concurrent.futures
import json
import os
import random
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

import herd_harness as h
from botocore.exceptions import ClientError

HAVE_SERVERS = bool(os.environ.get("HERD_TEST_SERVERS"))
TEST_POSTGRES = os.path.join(h.HERE, "..", "..", "scripts", "test-postgres.sh")


def node_config(public_port):
    return ('[public]\nlisten = "127.0.0.1:%d"\n[gc]\ngrace_seconds = 0\ninterval_seconds = 3600\n' % public_port)


@unittest.skipUnless(HAVE_SERVERS, "needs the test PostgreSQL and RGW (HERD_TEST_SERVERS; ctest starts them)")
class TwoNodesTest(unittest.TestCase):
    def setUp(self):
        h.quiet_resource_warnings()
        self.pa, self.pb = h.free_port(), h.free_port()
        self.a = h.HerdServer(node_config(self.pa), meta="postgres", blobs="s3")
        self.addCleanup(h.shutdown_server, self.a)
        self.b = h.HerdServer(node_config(self.pb), share_with=self.a)
        self.addCleanup(h.shutdown_server, self.b)
        self.a.start()
        self.b.start()
        self.tenant = self.a.create_tenant("alice")  # in the shared metadata: node b knows it too
        self.sa, self.sb = self.a.client(self.tenant), self.b.client(self.tenant)
        self.sa.create_bucket(Bucket="media")

    def get(self, s3, key, bucket="media"):
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def public_get(self, port, key, bucket="media"):
        """(status, body) of an anonymous GET on a node's public endpoint."""
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/%s/%s" % (port, bucket, key), timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def test_each_node_reads_what_the_other_committed(self):
        self.sa.put_object(Bucket="media", Key="k", Body=b"one")
        self.assertEqual(self.get(self.sb, "k"), b"one")
        self.sb.put_object(Bucket="media", Key="k", Body=b"two")
        self.assertEqual(self.get(self.sa, "k"), b"two")
        self.sb.delete_object(Bucket="media", Key="k")
        with self.assertRaises(ClientError) as e:
            self.sa.get_object(Bucket="media", Key="k")
        self.assertEqual(e.exception.response["Error"]["Code"], "NoSuchKey")

    def test_public_caches_follow_the_other_node(self):
        self.sa.put_object(Bucket="media", Key="p.png", Body=b"first", ACL="public-read")
        self.assertEqual(self.public_get(self.pb, "p.png"), (200, b"first"))  # now cached on node b
        self.sa.put_object(Bucket="media", Key="p.png", Body=b"second", ACL="public-read")
        # Node a's commit NOTIFYs node b, whose cache drops the entry: far sooner than its 2 s TTL.
        self.assertTrue(h.bounded_wait(lambda: self.public_get(self.pb, "p.png") == (200, b"second"), 1.0),
                        "node b still serves the overwritten object")
        self.sa.put_object_acl(Bucket="media", Key="p.png", ACL="private")  # e.g. a Mastodon suspension
        self.assertTrue(h.bounded_wait(lambda: self.public_get(self.pb, "p.png")[0] == 403, 1.0),
                        "node b still serves an object made private on node a")

    def test_a_multipart_upload_moves_between_nodes(self):
        parts = [random.Random(i).randbytes(5 * 1024 * 1024 + i) for i in range(3)]
        up = self.sa.create_multipart_upload(Bucket="media", Key="big")["UploadId"]
        done = []
        for n, (s3, body) in enumerate(zip((self.sa, self.sb, self.sa), parts), 1):
            etag = s3.upload_part(Bucket="media", Key="big", UploadId=up, PartNumber=n, Body=body)["ETag"]
            done.append({"PartNumber": n, "ETag": etag})
        self.sb.complete_multipart_upload(Bucket="media", Key="big", UploadId=up,
                                          MultipartUpload={"Parts": done})
        self.assertEqual(self.get(self.sa, "big"), b"".join(parts))
        self.assertEqual(self.get(self.sb, "big"), b"".join(parts))

    def test_gc_on_both_nodes_never_loses_a_reupload(self):
        for round_ in range(5):
            data = os.urandom(20000 + round_)
            self.sa.put_object(Bucket="media", Key="x", Body=data)
            self.sa.delete_object(Bucket="media", Key="x")  # the blob is at zero references
            with concurrent.futures.ThreadPoolExecutor(3) as pool:
                gcs = [pool.submit(self.a.gc), pool.submit(self.b.gc)]
                pool.submit(self.sb.put_object, Bucket="media", Key="y%d" % round_, Body=data).result()
                for g in gcs:
                    g.result()
            self.b.gc()
            self.assertEqual(self.get(self.sa, "y%d" % round_), data, "round %d" % round_)
            self.assertIn(h.sha256_hex(data), self.b.blob_names(), "round %d" % round_)

    def test_after_gc_the_bucket_holds_exactly_the_referenced_blobs(self):
        bodies = {"f%02d" % i: os.urandom(3000 + 1000 * i) for i in range(12)}
        for i, (key, body) in enumerate(bodies.items()):
            (self.sa if i % 2 else self.sb).put_object(Bucket="media", Key=key, Body=body)
        for key in list(bodies)[::3]:
            self.sb.delete_object(Bucket="media", Key=key)
            del bodies[key]
        self.a.gc()
        self.assertEqual(self.a.blob_names(), sorted(h.sha256_hex(b) for b in bodies.values()))

    def test_a_killed_node_loses_nothing_it_acknowledged(self):
        load = OverlappingLoad(self.sa, self.sb)
        with load.running(seconds=20):
            self.assertTrue(h.bounded_wait(lambda: load.count() >= 20, 15), "no load reached the nodes")
            self.a._kill()  # SIGKILL, mid-load
        self.assertGreater(load.count(), 20)
        load.check_reads_back(self, self.sb)
        assert_fsck_clean(self, self.b)
        self.a.start()  # the killed node comes back on its data directory and serves the pool
        some = next(iter(load.acknowledged))
        self.assertEqual(self.get(self.a.client(self.tenant), some), load.acknowledged[some])


class OverlappingLoad:
    """Writers PUTting random objects on two nodes at once (two threads per node), remembering
    what each node acknowledged; failed PUTs (a node or a backend died under them) are not."""

    def __init__(self, sa, sb):
        self.sa, self.sb = sa, sb
        self.acknowledged, self.failures = {}, 0
        self.lock = threading.Lock()

    def count(self):
        with self.lock:
            return len(self.acknowledged)

    def writer(self, s3, name, stop):
        for i in range(400):  # bounded in count and time
            if time.monotonic() > stop:
                return
            key, body = "%s-%d" % (name, i), os.urandom(random.randint(100, 300000))
            try:
                s3.put_object(Bucket="media", Key=key, Body=body)
            except Exception:
                with self.lock:
                    self.failures += 1
                time.sleep(0.05)
                continue
            with self.lock:
                self.acknowledged[key] = body

    class _Running:
        def __init__(self, load, seconds):
            self.load, self.stop = load, time.monotonic() + seconds

        def __enter__(self):
            self.pool = concurrent.futures.ThreadPoolExecutor(4)
            self.jobs = [self.pool.submit(self.load.writer, s3, "%s%d" % (name, t), self.stop)
                         for name, s3 in (("a", self.load.sa), ("b", self.load.sb)) for t in range(2)]
            return self

        def __exit__(self, *exc):
            for j in self.jobs:
                j.result()
            self.pool.shutdown()
            return False

    def running(self, seconds):
        """Context: the writers run until `seconds` have passed; leaving waits for them."""
        return self._Running(self, seconds)

    def check_reads_back(self, test, s3):
        for key, body in self.acknowledged.items():
            test.assertEqual(s3.get_object(Bucket="media", Key=key)["Body"].read(), body, key)


def assert_fsck_clean(test, server):
    proc = server.cli("fsck", "--json", "--stale-after", "0", check=False)
    test.assertTrue(proc.stdout.strip(), "fsck printed nothing: %s" % proc.stderr)
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    for problem in ("corrupt_blobs", "missing_blobs", "wrong_refcounts", "dangling_objects", "stray_files"):
        test.assertEqual(report.get(problem), 0, report)


@unittest.skipUnless(HAVE_SERVERS, "needs the test RGW (HERD_TEST_SERVERS; ctest starts it)")
class PostgresKilledTest(unittest.TestCase):
    """Two nodes on a PostgreSQL server of this test's own, SIGKILLed under their load."""

    def pg(self, action):
        subprocess.run([TEST_POSTGRES, action, self.pg_state], check=True, timeout=120)

    def setUp(self):
        h.quiet_resource_warnings()
        self.pg_state = tempfile.mkdtemp(prefix="herd-it-pg-")
        self.pg("start")
        self.addCleanup(self.pg, "stop")
        self.a = h.HerdServer(node_config(h.free_port()), meta="postgres", blobs="s3", postgres_state=self.pg_state)
        self.addCleanup(h.shutdown_server, self.a)
        self.b = h.HerdServer(node_config(h.free_port()), share_with=self.a)
        self.addCleanup(h.shutdown_server, self.b)
        self.a.start()
        self.b.start()
        self.tenant = self.a.create_tenant("alice")
        self.sa, self.sb = self.a.client(self.tenant), self.b.client(self.tenant)
        self.sa.create_bucket(Bucket="media")

    def test_a_killed_postgresql_loses_nothing_acknowledged_and_the_nodes_recover(self):
        load = OverlappingLoad(self.sa, self.sb)
        with load.running(seconds=25):
            self.assertTrue(h.bounded_wait(lambda: load.count() >= 20, 15), "no load reached the nodes")
            self.pg("kill")  # SIGKILL of PostgreSQL and its backends, mid-load
            failures = load.failures
            self.assertTrue(h.bounded_wait(lambda: load.failures > failures, 10), "PUTs did not fail while it was down")
            with self.assertRaises(ClientError) as e:
                self.sb.put_object(Bucket="media", Key="while-down", Body=b"x")
            self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 503)
            before = load.count()
            self.pg("restart")
            self.assertTrue(h.bounded_wait(lambda: load.count() > before + 10, 30),
                            "the nodes did not serve again after PostgreSQL came back")
        self.assertEqual(self.a.proc.poll(), None, "node a died")
        self.assertEqual(self.b.proc.poll(), None, "node b died")
        load.check_reads_back(self, self.sa)  # each node's writes, read from both nodes
        load.check_reads_back(self, self.sb)
        assert_fsck_clean(self, self.a)


@unittest.skipUnless(HAVE_SERVERS, "needs the test PostgreSQL (HERD_TEST_SERVERS; ctest starts it)")
class BackendDownTest(unittest.TestCase):
    def test_an_unreachable_blob_backend_answers_503_and_stores_nothing(self):
        h.quiet_resource_warnings()
        dead = h.free_port()  # nothing listens here
        server = h.HerdServer('[blobs]\nbackend = "s3"\nendpoint = "http://127.0.0.1:%d"\naccess_key = "a"\n'
                              'secret_key = "b"\ntimeout_seconds = 2\n' % dead, meta="postgres", blobs="disk")
        self.addCleanup(h.shutdown_server, server)
        server.start()
        tenant = server.create_tenant("t")
        s3 = server.client(tenant)
        s3.create_bucket(Bucket="bkt")
        with self.assertRaises(ClientError) as e:
            s3.put_object(Bucket="bkt", Key="k", Body=b"x" * 1000)
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 503)
        self.assertEqual(e.exception.response["Error"]["Code"], "ServiceUnavailable")
        with self.assertRaises(ClientError) as e:
            s3.head_object(Bucket="bkt", Key="k")
        self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)


if __name__ == "__main__":
    h.main()
