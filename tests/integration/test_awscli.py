"""The AWS CLI v2 (`aws s3` and `aws s3api`) against a live Herd server, signing for a
non-default region (eu-west-3) with temporary config files."""

import json
import os
import random
import subprocess

import herd_harness as h
from herd_harness import HerdTestCase

AWS = "/usr/bin/aws"
TIMEOUT = 120


def make_tree(root, n_files=50, seed=3):
    """A nested tree of `n_files` files of assorted sizes; returns {relpath: sha256}."""
    rng = random.Random(seed)
    dirs = ["", "a", "a/b", "a/b/c", "docs", "docs/old stuff", "media/2024/06"]
    for i in range(n_files):
        d = dirs[i % len(dirs)]
        name = "file-%02d%s" % (i, [".txt", ".bin", " with space.dat", ".json"][i % 4])
        size = [0, 1, 100, 4096, 65537, 150_000][i % 6] + rng.randrange(50)
        path = os.path.join(root, d, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(rng.randbytes(size))
    return h.tree_digest(root)


class AwsCliTest(HerdTestCase):
    """aws s3 mb/cp/ls/rm/rb/sync and aws s3api put/head/get-object."""

    TENANTS = ("alice",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.server.awscli_env(cls.tenants["alice"], region="eu-west-3")
        cls.debug_log = os.path.join(cls.server.work, "aws-debug.log")

    def aws(self, *args, check=True):
        """Runs the aws CLI with --debug captured to a file; on failure the tail is reported."""
        cmd = [AWS, "--endpoint-url", self.server.endpoint, "--output", "json",
               "--no-cli-pager", "--debug"] + list(args)
        with open(self.debug_log, "w") as dbg:
            proc = subprocess.run(cmd, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=dbg, text=True, timeout=TIMEOUT, cwd=self.server.work)
        if check and proc.returncode != 0:
            with open(self.debug_log, errors="replace") as dbg:
                tail = dbg.read()[-6000:]
            self.fail("aws %s exited %d\nstdout: %s\n--- debug tail ---\n%s"
                      % (" ".join(args), proc.returncode, proc.stdout, tail))
        return proc

    def stderr_of_last(self):
        with open(self.debug_log, errors="replace") as f:
            return f.read()

    def local(self, *parts):
        return os.path.join(self.server.work, *parts)

    def write(self, name, data):
        path = self.local(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def read(self, path):
        with open(path, "rb") as f:
            return f.read()

    def s3_ls(self, uri, recursive=True):
        """[(size, key)] from `aws s3 ls`."""
        args = ["s3", "ls", uri] + (["--recursive"] if recursive else [])
        out = self.aws(*args).stdout
        entries = []
        for line in out.splitlines():
            parts = line.split(None, 3)
            if len(parts) == 4:
                entries.append((int(parts[2]), parts[3]))
        return sorted(entries, key=lambda e: e[1])

    def test_mb_cp_ls_rm_rb(self):
        bucket = self.unique_bucket("cli")
        out = self.aws("s3", "mb", "s3://" + bucket).stdout
        self.assertIn("make_bucket: " + bucket, out)
        self.assertIn(bucket, self.aws("s3", "ls").stdout)

        data = random.Random(1).randbytes(3 * 1024 * 1024 + 5)
        src = self.write("up/data.bin", data)
        self.aws("s3", "cp", src, "s3://%s/dir/data.bin" % bucket)
        self.aws("s3", "cp", self.write("up/empty", b""), "s3://%s/empty" % bucket)
        self.assertEqual(self.s3_ls("s3://%s/" % bucket), [(len(data), "dir/data.bin"), (0, "empty")])
        top = self.aws("s3", "ls", "s3://%s/" % bucket).stdout
        self.assertIn("PRE dir/", top)

        dst = self.local("down", "data.bin")
        self.aws("s3", "cp", "s3://%s/dir/data.bin" % bucket, dst)
        self.assertTrue(self.read(dst) == data)

        # rb must refuse a non-empty bucket.
        proc = self.aws("s3", "rb", "s3://" + bucket, check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("BucketNotEmpty", self.stderr_of_last())

        self.aws("s3", "rm", "s3://%s/dir/data.bin" % bucket)
        self.aws("s3", "rm", "s3://%s/empty" % bucket)
        self.assertEqual(self.s3_ls("s3://%s/" % bucket), [])
        self.aws("s3", "rb", "s3://" + bucket)
        self.assertNotIn(bucket, self.aws("s3", "ls").stdout)

    def test_sync_round_trip(self):
        bucket = self.unique_bucket("sync")
        self.aws("s3", "mb", "s3://" + bucket)
        tree = self.local("tree")
        digests = make_tree(tree)
        self.assertEqual(len(digests), 50)
        self.aws("s3", "sync", tree, "s3://%s/tree" % bucket, "--only-show-errors")
        listed = self.s3_ls("s3://%s/tree/" % bucket)
        self.assertEqual(sorted(k for _, k in listed), sorted("tree/" + p for p in digests))
        for size, key in listed:
            self.assertEqual(size, os.path.getsize(os.path.join(tree, key[len("tree/"):])), key)

        down = self.local("tree-down")
        self.aws("s3", "sync", "s3://%s/tree" % bucket, down, "--only-show-errors")
        self.assertEqual(h.tree_digest(down), digests)

        # Nothing changed: a second sync in either direction transfers nothing.
        again = self.aws("s3", "sync", tree, "s3://%s/tree" % bucket, "--no-progress").stdout
        self.assertEqual(again.strip(), "", "second sync re-uploaded: " + again)
        again = self.aws("s3", "sync", "s3://%s/tree" % bucket, down, "--no-progress").stdout
        self.assertEqual(again.strip(), "", "second sync re-downloaded: " + again)

        # One file changes size and one disappears: sync --delete mirrors exactly that.
        changed = sorted(digests)[7]
        removed = sorted(digests)[11]
        with open(os.path.join(tree, changed), "ab") as f:
            f.write(b"appended")
        os.remove(os.path.join(tree, removed))
        out = self.aws("s3", "sync", tree, "s3://%s/tree" % bucket, "--delete", "--no-progress").stdout
        self.assertEqual(sorted(line.split(":")[0] for line in out.strip().splitlines()),
                         ["delete", "upload"], out)
        down2 = self.local("tree-down2")
        self.aws("s3", "sync", "s3://%s/tree" % bucket, down2, "--only-show-errors")
        self.assertEqual(h.tree_digest(down2), h.tree_digest(tree))

        self.aws("s3", "rm", "s3://%s/tree" % bucket, "--recursive", "--only-show-errors")
        self.assertEqual(self.s3_ls("s3://%s/" % bucket), [])
        self.aws("s3", "rb", "s3://" + bucket)

    def test_s3api_object_headers(self):
        bucket = self.unique_bucket("api")
        self.aws("s3api", "create-bucket", "--bucket", bucket,
                 "--create-bucket-configuration", "LocationConstraint=eu-west-3")
        data = b"id,name\n1,herd\n" * 1000
        src = self.write("api/table.csv", data)
        put = json.loads(self.aws("s3api", "put-object", "--bucket", bucket, "--key", "tables/t.csv",
                                  "--body", src, "--content-type", "text/csv",
                                  "--cache-control", "no-cache",
                                  "--content-disposition", "inline",
                                  "--metadata", "origin=integration,Owner=Alice").stdout)
        self.assertEqual(put["ETag"], h.quoted_etag(data))

        head = json.loads(self.aws("s3api", "head-object", "--bucket", bucket,
                                   "--key", "tables/t.csv").stdout)
        self.assertEqual(head["ContentLength"], len(data))
        self.assertEqual(head["ETag"], h.quoted_etag(data))
        self.assertEqual(head["ContentType"], "text/csv")
        self.assertEqual(head["CacheControl"], "no-cache")
        self.assertEqual(head["ContentDisposition"], "inline")
        self.assertEqual(head["Metadata"], {"origin": "integration", "owner": "Alice"})
        self.assertIn("LastModified", head)

        out = self.local("api", "t.csv.out")
        got = json.loads(self.aws("s3api", "get-object", "--bucket", bucket, "--key", "tables/t.csv",
                                  out).stdout)
        self.assertEqual(got["ContentType"], "text/csv")
        self.assertTrue(self.read(out) == data)

        listed = json.loads(self.aws("s3api", "list-objects-v2", "--bucket", bucket).stdout)
        self.assertEqual([(o["Key"], o["Size"]) for o in listed["Contents"]], [("tables/t.csv", len(data))])

        loc = json.loads(self.aws("s3api", "get-bucket-location", "--bucket", bucket).stdout)
        self.assertIn("LocationConstraint", loc)

        proc = self.aws("s3api", "get-object", "--bucket", bucket, "--key", "missing",
                        self.local("api", "missing.out"), check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("NoSuchKey", self.stderr_of_last())

        self.aws("s3api", "delete-object", "--bucket", bucket, "--key", "tables/t.csv")
        self.aws("s3api", "delete-bucket", "--bucket", bucket)


if __name__ == "__main__":
    h.main()
