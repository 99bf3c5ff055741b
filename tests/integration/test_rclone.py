"""rclone 1.60 (s3 backend, provider Other, path-style) against a live Herd server."""

import hashlib
import os
import random
import subprocess

import herd_harness as h
from herd_harness import HerdTestCase

RCLONE = "/usr/bin/rclone"
TIMEOUT = 120


def make_tree(root, seed=9):
    rng = random.Random(seed)
    layout = ["top.txt", "empty.bin", "music/song one.mp3", "music/album/track-01.flac",
              "music/album/track-02.flac", "photos/2024/img+plus.jpg", "photos/2024/img%pct.jpg",
              "photos/2024/ünïcødé.png", "docs/a/b/c/deep.md", "docs/big.bin"]
    sizes = [12, 0, 300_000, 1_000_000, 999_999, 45_000, 45_001, 7, 1234, 6 * 1024 * 1024 + 1]
    for rel, size in zip(layout, sizes):
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(rng.randbytes(size))
    return h.tree_digest(root)


def lsf_expected(paths):
    """What `rclone lsf -R` prints: every file and every directory (with a trailing slash)."""
    out = set(paths)
    for p in paths:
        parts = p.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            out.add("/".join(parts[:i]) + "/")
    return sorted(out)


class RcloneTest(HerdTestCase):
    """rclone mkdir / copy up / check / lsf / md5sum / copy down / delete / rmdir."""

    TENANTS = ("alice",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.server.rclone_config(cls.tenants["alice"], region="garage")
        cls.env = cls.server.base_env()
        cls.log = os.path.join(cls.server.work, "rclone.log")

    def rclone(self, *args, check=True):
        """Runs rclone with a DEBUG log file; on failure the log tail is reported and the command is
        re-run with --dump headers for diagnosis."""
        base = [RCLONE, "--config", self.config, "--s3-upload-cutoff", "1G",
                "--retries", "1", "--low-level-retries", "1", "--contimeout", "10s",
                "--timeout", "60s", "--ask-password=false"]
        if os.path.exists(self.log):
            os.remove(self.log)
        proc = subprocess.run(base + ["--log-file", self.log, "--log-level", "DEBUG"] + list(args),
                              env=self.env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=TIMEOUT, cwd=self.server.work)
        if check and proc.returncode != 0:
            with open(self.log, errors="replace") as f:
                tail = f.read()[-5000:]
            dump = subprocess.run(base + ["-vv", "--dump", "headers"] + list(args), env=self.env,
                                  stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=TIMEOUT, cwd=self.server.work)
            self.fail("rclone %s exited %d\nstdout: %s\n--- log tail ---\n%s\n--- --dump headers ---\n%s"
                      % (" ".join(args), proc.returncode, proc.stdout, tail, dump.stderr[-6000:]))
        return proc

    def last_log(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def test_tree_round_trip(self):
        bucket = self.unique_bucket("rclone")
        remote = "herd:" + bucket
        self.rclone("mkdir", remote)
        self.assertIn(bucket, self.rclone("lsd", "herd:").stdout)

        tree = os.path.join(self.server.work, "tree")
        digests = make_tree(tree)
        self.rclone("copy", tree, remote + "/tree")
        self.assertEqual(self.last_log().count("Copied (new)"), len(digests), self.last_log()[-3000:])

        self.rclone("check", tree, remote + "/tree")
        self.assertIn("0 differences found", self.last_log())
        self.assertIn("%d matching files" % len(digests), self.last_log())

        for version in ("1", "2"):
            with self.subTest(list_version=version):
                out = self.rclone("lsf", "-R", "--s3-list-version", version, remote).stdout
                self.assertEqual(sorted(out.splitlines()), lsf_expected(["tree/" + p for p in digests]))

        md5 = self.rclone("md5sum", remote + "/tree").stdout
        got = {}
        for line in md5.splitlines():
            digest, name = line.split("  ", 1)
            got[name] = digest
        expected_md5 = {}
        for rel in digests:
            with open(os.path.join(tree, rel), "rb") as f:
                expected_md5[rel] = hashlib.md5(f.read()).hexdigest()
        self.assertEqual(got, expected_md5)

        # A second copy finds everything up to date (size + mtime metadata) and transfers nothing.
        self.rclone("copy", tree, remote + "/tree")
        self.assertNotIn("Copied", self.last_log())

        down = os.path.join(self.server.work, "down")
        self.rclone("copy", remote + "/tree", down)
        self.assertEqual(h.tree_digest(down), digests)
        # rclone keeps modification times in x-amz-meta-mtime: they must survive the round trip.
        for rel in digests:
            self.assertAlmostEqual(os.path.getmtime(os.path.join(down, rel)),
                                   os.path.getmtime(os.path.join(tree, rel)), delta=1.0, msg=rel)

        self.rclone("delete", remote)
        self.assertEqual(self.rclone("lsf", "-R", remote).stdout.strip(), "")
        self.rclone("rmdir", remote)
        self.assertNotIn(bucket, self.rclone("lsd", "herd:").stdout)

    def test_rmdir_non_empty_fails(self):
        bucket = self.unique_bucket("rclone-ne")
        remote = "herd:" + bucket
        self.rclone("mkdir", remote)
        src = os.path.join(self.server.work, "one", "f.txt")
        os.makedirs(os.path.dirname(src), exist_ok=True)
        with open(src, "wb") as f:
            f.write(b"occupied")
        self.rclone("copy", os.path.dirname(src), remote)
        proc = self.rclone("rmdir", remote, check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("BucketNotEmpty", self.last_log())
        self.rclone("delete", remote)
        self.rclone("rmdir", remote)


if __name__ == "__main__":
    h.main()
