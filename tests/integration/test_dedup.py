"""Content deduplication across tenants, reference release on delete/overwrite, garbage
collection, and concurrent uploads of identical content. Each test gets its own server so the
global `herd stats` numbers are exact."""

import concurrent.futures
import random
import subprocess
import unittest

import herd_harness as h

KIB = 1024
MIB = 1024 * KIB
# Ten distinct files from 1 KB to 2 MB.
SIZES = [1000, 1 * KIB, 4 * KIB + 3, 65 * KIB, 100_000, 333_333, 512 * KIB, 1 * MIB, 1_500_001, 2 * MIB]
PACK_THRESHOLD = 256 * KIB  # the default [storage] pack_threshold: smaller bodies are packed


def make_files():
    rng = random.Random(2024)
    return [rng.randbytes(n) for n in SIZES]


class DedupTestBase(unittest.TestCase):
    """Fresh server and two tenants per test."""

    def setUp(self):
        h.quiet_resource_warnings()
        self.server = h.HerdServer()
        self.addCleanup(h.shutdown_server, self.server)  # runs even if setUp fails half-way
        self.server.start()
        self.alice = self.server.create_tenant("alice")
        self.bob = self.server.create_tenant("bob")
        self.a = self.server.client(self.alice)
        self.b = self.server.client(self.bob)

    def assertStats(self, **expected):
        stats = self.server.stats()
        for key, value in expected.items():
            self.assertIn(key, stats, "stats lacks %r: %r" % (key, stats))
            self.assertIsInstance(stats[key], int, "%s is not an integer: %r" % (key, stats))
            self.assertEqual(stats[key], value, "stats[%r]; full stats: %r" % (key, stats))
        return stats

    def assertBlobs(self, contents):
        """Each distinct content is stored exactly once (a file or a pack record), named by its SHA-256."""
        expected = sorted({h.sha256_hex(c) for c in contents})
        self.assertEqual(self.server.blob_names(), expected)

    def get(self, s3, bucket, key):
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


class CrossTenantDedupTest(DedupTestBase):
    """The acceptance scenario: the same ten files stored by two tenants are kept once."""

    def test_dedup_delete_and_gc(self):
        files = make_files()
        total = sum(SIZES)
        self.a.create_bucket(Bucket="alice-media")
        self.b.create_bucket(Bucket="bob-stuff")
        for i, data in enumerate(files):
            self.a.put_object(Bucket="alice-media", Key="photos/%02d.jpg" % i, Body=data)
            self.b.put_object(Bucket="bob-stuff", Key="backup/copy-of-%d" % i, Body=data)

        # Packs are the disk store's: the S3 blob store keeps every blob as an object of its own.
        packed = sum(n for n in SIZES if n <= PACK_THRESHOLD) if h.BLOBS == "disk" else 0
        stats = self.assertStats(objects=20, blobs=10, logical_bytes=2 * total, physical_bytes=total,
                                 pack_live_bytes=packed)
        self.assertGreaterEqual(stats["pack_bytes"], packed)  # plus a 48-byte header per record
        self.assertGreaterEqual(stats["packs"], 1 if packed else 0)
        self.assertIsInstance(stats.get("dedup_ratio"), (float, int))
        self.assertAlmostEqual(float(stats["dedup_ratio"]), 2.0, places=2)
        self.assertEqual(len(self.server.blob_names()), 10)
        self.assertBlobs(files)
        self.assertEqual(self.server.tmp_files(), [])

        # Tenant A deletes everything; B's copies stay byte-exact.
        for i in range(10):
            self.a.delete_object(Bucket="alice-media", Key="photos/%02d.jpg" % i)
        for i, data in enumerate(files):
            self.assertTrue(self.get(self.b, "bob-stuff", "backup/copy-of-%d" % i) == data)
        self.assertStats(objects=10, blobs=10, logical_bytes=total, physical_bytes=total)
        self.server.gc()  # still referenced by B: nothing to collect
        self.assertStats(objects=10, blobs=10, logical_bytes=total, physical_bytes=total)
        self.assertBlobs(files)
        for i, data in enumerate(files):
            self.assertTrue(self.get(self.b, "bob-stuff", "backup/copy-of-%d" % i) == data)

        # B deletes too: physical bytes stay until GC runs, then everything is gone.
        for i in range(10):
            self.b.delete_object(Bucket="bob-stuff", Key="backup/copy-of-%d" % i)
        self.assertStats(objects=0, logical_bytes=0, physical_bytes=total)
        self.assertEqual(len(self.server.blob_names()), 10, "blobs vanished before gc")
        self.server.gc()
        self.assertEqual(self.server.blob_names(), [])
        self.assertStats(objects=0, blobs=0, logical_bytes=0, physical_bytes=0, pack_live_bytes=0)
        self.a.delete_bucket(Bucket="alice-media")
        self.b.delete_bucket(Bucket="bob-stuff")

    def test_same_content_within_one_bucket(self):
        data = h.sha256_hex(b"seed").encode() * 1000
        self.a.create_bucket(Bucket="one")
        for i in range(5):
            self.a.put_object(Bucket="one", Key="k%d" % i, Body=data)
        self.assertStats(objects=5, blobs=1, logical_bytes=5 * len(data), physical_bytes=len(data))
        self.assertBlobs([data])

    def test_empty_objects(self):
        self.a.create_bucket(Bucket="empties")
        self.b.create_bucket(Bucket="empties-b")
        self.a.put_object(Bucket="empties", Key="e1", Body=b"")
        self.b.put_object(Bucket="empties-b", Key="e2", Body=b"")
        stats = self.server.stats()
        self.assertEqual(stats["objects"], 2, stats)
        self.assertEqual(stats["logical_bytes"], 0, stats)
        self.assertEqual(stats["physical_bytes"], 0, stats)
        self.assertLessEqual(stats["blobs"], 1, stats)
        self.assertEqual(self.get(self.a, "empties", "e1"), b"")
        self.assertEqual(self.get(self.b, "empties-b", "e2"), b"")


class OverwriteTest(DedupTestBase):
    """Overwriting a key releases the old content; GC then removes it if nothing else uses it."""

    def test_overwrite_releases_old_blob(self):
        old, new = b"old content " * 5000, b"new content!" * 6000
        self.a.create_bucket(Bucket="owr")
        self.a.put_object(Bucket="owr", Key="doc", Body=old)
        self.a.put_object(Bucket="owr", Key="doc", Body=new)
        self.assertEqual(self.get(self.a, "owr", "doc"), new)
        stats = self.server.stats()
        self.assertEqual(stats["objects"], 1, stats)
        self.assertEqual(stats["logical_bytes"], len(new), stats)
        self.server.gc()
        self.assertBlobs([new])
        self.assertStats(objects=1, blobs=1, logical_bytes=len(new), physical_bytes=len(new))
        self.assertEqual(self.get(self.a, "owr", "doc"), new)

    def test_overwrite_keeps_blob_shared_elsewhere(self):
        shared, other = b"shared " * 3000, b"other " * 4000
        self.a.create_bucket(Bucket="ow-a")
        self.b.create_bucket(Bucket="ow-b")
        self.a.put_object(Bucket="ow-a", Key="doc", Body=shared)
        self.b.put_object(Bucket="ow-b", Key="doc", Body=shared)
        self.a.put_object(Bucket="ow-a", Key="doc", Body=other)
        self.server.gc()
        self.assertBlobs([shared, other])
        self.assertEqual(self.get(self.b, "ow-b", "doc"), shared)
        self.assertEqual(self.get(self.a, "ow-a", "doc"), other)
        self.assertStats(objects=2, blobs=2, logical_bytes=len(shared) + len(other),
                         physical_bytes=len(shared) + len(other))

    def test_overwrite_with_identical_content(self):
        data = b"same again " * 2000
        self.a.create_bucket(Bucket="same")
        for _ in range(3):
            self.a.put_object(Bucket="same", Key="doc", Body=data)
        self.server.gc()
        self.assertBlobs([data])
        self.assertStats(objects=1, blobs=1, logical_bytes=len(data), physical_bytes=len(data))
        self.assertEqual(self.get(self.a, "same", "doc"), data)

    def test_reupload_after_gc(self):
        data = b"phoenix " * 4096
        self.a.create_bucket(Bucket="again")
        self.a.put_object(Bucket="again", Key="x", Body=data)
        self.a.delete_object(Bucket="again", Key="x")
        self.server.gc()
        self.assertEqual(self.server.blob_names(), [])
        self.a.put_object(Bucket="again", Key="y", Body=data)
        self.assertEqual(self.get(self.a, "again", "y"), data)
        self.assertBlobs([data])
        self.server.gc()
        self.assertEqual(self.get(self.a, "again", "y"), data)
        self.assertStats(objects=1, blobs=1, physical_bytes=len(data))

    def test_delete_then_reupload_before_gc(self):
        """A blob released and then referenced again before GC must survive the GC."""
        data = b"lazarus " * 4096
        self.a.create_bucket(Bucket="laz")
        self.a.put_object(Bucket="laz", Key="x", Body=data)
        self.a.delete_object(Bucket="laz", Key="x")
        self.b.create_bucket(Bucket="laz-b")
        self.b.put_object(Bucket="laz-b", Key="x", Body=data)
        self.server.gc()
        self.assertBlobs([data])
        self.assertEqual(self.get(self.b, "laz-b", "x"), data)


class ConcurrentDedupTest(DedupTestBase):
    """Eight simultaneous uploads of identical content converge on one blob."""

    def test_parallel_identical_uploads(self):
        data = random.Random(8).randbytes(3 * MIB + 17)
        self.a.create_bucket(Bucket="race")
        self.b.create_bucket(Bucket="race-b")
        clients = [self.server.client(self.alice if i % 2 == 0 else self.bob) for i in range(8)]
        buckets = ["race" if i % 2 == 0 else "race-b" for i in range(8)]

        def upload(i):
            return clients[i].put_object(Bucket=buckets[i], Key="copy-%d" % i, Body=data)["ETag"]

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            etags = list(pool.map(upload, range(8)))
        self.assertEqual(set(etags), {h.quoted_etag(data)})
        for i in range(8):
            self.assertTrue(self.get(clients[i], buckets[i], "copy-%d" % i) == data, "copy-%d" % i)
        self.assertBlobs([data])
        self.assertEqual(self.server.tmp_files(), [])
        self.assertStats(objects=8, blobs=1, logical_bytes=8 * len(data), physical_bytes=len(data))

    def test_parallel_overwrites_of_one_key(self):
        """Concurrent PUTs to one key: the last writer wins with a consistent object, and after
        GC only the winner's blob remains."""
        versions = [random.Random(100 + i).randbytes(200_000 + i) for i in range(8)]
        self.a.create_bucket(Bucket="hot")

        def upload(i):
            self.server.client(self.alice).put_object(Bucket="hot", Key="k", Body=versions[i])

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(upload, range(8)))
        got = self.get(self.a, "hot", "k")
        self.assertIn(got, versions)
        head = self.a.head_object(Bucket="hot", Key="k")
        self.assertEqual(head["ETag"], h.quoted_etag(got))
        self.assertEqual(head["ContentLength"], len(got))
        self.server.gc()
        self.assertBlobs([got])
        self.assertStats(objects=1, blobs=1, logical_bytes=len(got), physical_bytes=len(got))


class PersistenceTest(DedupTestBase):
    """Everything survives a SIGTERM and a restart on the same data directory."""

    def test_restart(self):
        files = make_files()[:5]
        self.a.create_bucket(Bucket="keep-a")
        self.b.create_bucket(Bucket="keep-b")
        for i, data in enumerate(files):
            self.a.put_object(Bucket="keep-a", Key="f%d" % i, Body=data,
                              ContentType="image/png", Metadata={"i": str(i)})
            self.b.put_object(Bucket="keep-b", Key="g%d" % i, Body=data)
        before = self.server.stats()
        self.assertEqual(self.server.stop(), 0, self.server.log_tail())
        self.server.start()
        a = self.server.client(self.alice)
        b = self.server.client(self.bob)
        self.assertEqual(self.server.stats(), before)
        self.assertEqual([x["Name"] for x in a.list_buckets()["Buckets"]], ["keep-a"])
        for i, data in enumerate(files):
            got = a.get_object(Bucket="keep-a", Key="f%d" % i)
            self.assertTrue(got["Body"].read() == data)
            self.assertEqual(got["ContentType"], "image/png")
            self.assertEqual(got["Metadata"], {"i": str(i)})
            self.assertTrue(self.get(b, "keep-b", "g%d" % i) == data)
        self.assertBlobs(files)


class PackCompactionTest(DedupTestBase):
    """Small objects share pack files; `herd gc`, run as its own process beside the server,
    rewrites a pack that is mostly dead space and deletes it, and the server goes on serving
    the survivors from their new place, ranges included."""

    @unittest.skipIf(h.BLOBS != "disk", "packs are the disk blob store's")
    def test_gc_compacts_packs_while_serving(self):
        rng = random.Random(7)
        bodies = {"k%02d" % i: rng.randbytes(2000 + 97 * i) for i in range(12)}
        self.a.create_bucket(Bucket="small")
        for key, data in bodies.items():
            self.a.put_object(Bucket="small", Key=key, Body=data)
        # A restart seals the server's pack: only sealed packs are compacted.
        self.assertEqual(self.server.stop(), 0, self.server.log_tail())
        self.server.start()
        self.a = self.server.client(self.alice)
        old_packs = h.files_under(self.server.packs_dir)
        self.assertEqual(len(old_packs), 1, old_packs)
        survivors = ["k03", "k07", "k11"]
        for key in bodies:
            if key not in survivors:
                self.a.delete_object(Bucket="small", Key=key)
        live = sum(len(bodies[k]) for k in survivors)
        self.assertStats(objects=3, pack_live_bytes=live)

        out = self.server.gc().stdout
        self.assertIn("deleted 1 pack(s), moving 3 live blob(s)", out)
        packs = h.files_under(self.server.packs_dir)
        self.assertNotIn(old_packs[0], packs, "the mostly dead pack was not deleted")
        self.assertStats(objects=3, blobs=3, pack_live_bytes=live)
        for key in survivors:
            self.assertTrue(self.get(self.a, "small", key) == bodies[key], key)
            part = self.a.get_object(Bucket="small", Key=key, Range="bytes=100-199")["Body"].read()
            self.assertTrue(part == bodies[key][100:200], key)
        self.assertEqual(self.server.cli("fsck", "--json").returncode, 0)
        # Deleting the rest leaves nothing live; the pack gc wrote is sealed (its process
        # ended), so the next gc deletes it too.
        for key in survivors:
            self.a.delete_object(Bucket="small", Key=key)
        self.assertIn("deleted 1 pack(s), moving 0 live blob(s)", self.server.gc().stdout)
        self.assertStats(objects=0, blobs=0, packs=0, pack_live_bytes=0)


class GcRaceTest(DedupTestBase):
    """`herd gc --grace 0` in another process while the same content is uploaded again must never
    leave an object pointing at a deleted blob."""

    ROUNDS = 12

    def test_gc_racing_reupload(self):
        self.a.create_bucket(Bucket="race-gc")
        clients = [self.server.client(self.alice) for _ in range(4)]
        for r in range(self.ROUNDS):
            data = random.Random(500 + r).randbytes(256 * KIB)
            self.a.put_object(Bucket="race-gc", Key="seed", Body=data)
            self.a.delete_object(Bucket="race-gc", Key="seed")  # blob now unreferenced
            gc = subprocess.Popen([h.HERD_BIN, "gc", "--grace", "0", "--data", self.server.data] + self.server.cli_config,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            with concurrent.futures.ThreadPoolExecutor(4) as pool:
                list(pool.map(lambda i: clients[i].put_object(Bucket="race-gc", Key="r%d-%d" % (r, i),
                                                              Body=data), range(4)))
            out, _ = gc.communicate(timeout=60)
            self.assertEqual(gc.returncode, 0, out)
            for i in range(4):
                self.assertTrue(self.get(self.a, "race-gc", "r%d-%d" % (r, i)) == data,
                                "round %d copy %d unreadable after a concurrent gc" % (r, i))
            self.assertIn(h.sha256_hex(data), self.server.blob_names(), "round %d" % r)
        self.server.gc()
        self.assertEqual(self.server.stats()["blobs"], self.ROUNDS)


if __name__ == "__main__":
    h.main()
