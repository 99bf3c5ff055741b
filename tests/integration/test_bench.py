"""`herd bench` against a real server: the counts it reports match what the server stored."""
import json
import subprocess
import unittest

from herd_harness import HERD_BIN, HerdTestCase


class HerdBenchTest(HerdTestCase):
    """A tiny bounded load per operation; results are checked against `herd stats`."""

    TENANTS = ("bencher",)

    def bench(self, bucket, *args, duration=60):
        tenant = self.tenants["bencher"]
        cmd = [HERD_BIN, "bench", "--endpoint", "http://127.0.0.1:%d" % self.server.port,
               "--access-key", tenant.access_key, "--secret-key", tenant.secret_key,
               "--bucket", bucket, "--concurrency", "4", "--duration", str(duration), "--json"] + list(args)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        out = json.loads(proc.stdout)
        return {r["op"]: r for r in out["results"]}

    def test_put_counts_match_stats(self):
        before = self.server.stats()
        results = self.bench(self.unique_bucket("put"), "--op", "put", "--objects", "40", "--size", "4KiB")
        put = results["put"]
        self.assertEqual((put["count"], put["errors"], put["bytes"]), (40, 0, 40 * 4096))
        self.assertGreater(put["ops_per_second"], 0)
        self.assertLessEqual(put["latency_ms"]["p50"], put["latency_ms"]["max"])
        after = self.server.stats()
        self.assertEqual(after["objects"] - before["objects"], 40)
        self.assertEqual(after["logical_bytes"] - before["logical_bytes"], 40 * 4096)
        self.assertEqual(after["blobs"] - before["blobs"], 40)  # unique bodies

    def test_duplicates_share_one_blob(self):
        before = self.server.stats()
        results = self.bench(self.unique_bucket("dup"), "--op", "put", "--objects", "30", "--size", "8KiB",
                             "--duplicates", "100", "--seed", "99")
        self.assertEqual((results["put"]["count"], results["put"]["errors"]), (30, 0))
        after = self.server.stats()
        self.assertEqual(after["objects"] - before["objects"], 30)
        self.assertEqual(after["blobs"] - before["blobs"], 1)

    def test_get_list_delete(self):
        bucket = self.unique_bucket("rd")
        get = self.bench(bucket, "--op", "get", "--objects", "20", "--size", "2KiB", duration=1)["get"]
        self.assertGreater(get["count"], 0)
        self.assertEqual(get["errors"], 0)
        self.assertEqual(get["bytes"], get["count"] * 2048)
        listing = self.bench(bucket, "--op", "list", "--objects", "20", "--size", "1KiB", duration=1)["list"]
        self.assertGreater(listing["count"], 0)
        self.assertEqual(listing["errors"], 0)
        self.assertEqual(listing["bytes"] % 20, 0)  # every listing saw all 20 keys
        deleted = self.bench(bucket, "--op", "delete", "--objects", "20", "--size", "1KiB")["delete"]
        self.assertEqual((deleted["count"], deleted["errors"]), (20, 0))
        self.assertEqual(self.client().list_objects_v2(Bucket=bucket)["KeyCount"], 0)

    def test_bad_credentials_are_errors(self):
        cmd = [HERD_BIN, "bench", "--endpoint", "http://127.0.0.1:%d" % self.server.port,
               "--access-key", "HRDNOSUCHKEY0000000", "--secret-key", "x", "--objects", "3", "--json"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("cannot create bucket", proc.stderr)


if __name__ == "__main__":
    unittest.main()
