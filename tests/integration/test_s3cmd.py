"""s3cmd 2.3 (SigV4, path-style via host_bucket without %(bucket)s) against a live Herd server."""

import os
import random
import re
import subprocess

import herd_harness as h
from herd_harness import HerdTestCase

S3CMD = "/usr/bin/s3cmd"
TIMEOUT = 120


class S3cmdTest(HerdTestCase):
    """s3cmd mb / put / ls / la / get / info / del / rb; s3cmd verifies the MD5 ETag on put."""

    TENANTS = ("alice",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.config = cls.server.s3cmd_config(cls.tenants["alice"])
        cls.env = cls.server.base_env()

    def s3cmd(self, *args, check=True):
        cmd = [S3CMD, "-c", self.config, "--disable-multipart", "--no-progress"] + list(args)
        proc = subprocess.run(cmd, env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=TIMEOUT, cwd=self.server.work)
        if check and proc.returncode != 0:
            dbg = subprocess.run([S3CMD, "-c", self.config, "--disable-multipart", "--no-progress",
                                  "-d"] + list(args), env=self.env, stdin=subprocess.DEVNULL,
                                 capture_output=True, text=True, timeout=TIMEOUT, cwd=self.server.work)
            self.fail("s3cmd %s exited %d\nstdout: %s\nstderr: %s\n--- rerun with -d ---\n%s"
                      % (" ".join(args), proc.returncode, proc.stdout, proc.stderr,
                         dbg.stderr[-6000:]))
        return proc

    def local(self, *parts):
        path = os.path.join(self.server.work, *parts)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return path

    def test_full_cycle(self):
        bucket = self.unique_bucket("s3cmd")
        url = "s3://" + bucket
        self.s3cmd("mb", url)
        self.assertIn(url, self.s3cmd("ls").stdout)

        files = {
            "photo.jpg": random.Random(1).randbytes(777_777),
            "notes/readme.txt": b"hello from s3cmd\n" * 100,
            "notes/empty.txt": b"",
            "deep/a/b/c d.bin": random.Random(2).randbytes(5 * 1024 * 1024 + 3),
        }
        for key, data in files.items():
            src = self.local("up", key)
            with open(src, "wb") as f:
                f.write(data)
            extra = []
            if key == "photo.jpg":  # s3cmd guesses types from content; make this one explicit
                extra = ["--mime-type=image/jpeg", "--add-header=Cache-Control:max-age=60"]
            proc = self.s3cmd("put", *extra, src, "%s/%s" % (url, key))
            self.assertNotIn("MD5 signatures do not match", proc.stdout + proc.stderr)
            self.assertNotIn("WARNING", proc.stderr, proc.stderr)

        top = self.s3cmd("ls", url + "/").stdout
        self.assertRegex(top, r"DIR\s+%s/notes/" % re.escape(url))
        self.assertRegex(top, r"DIR\s+%s/deep/" % re.escape(url))
        self.assertRegex(top, re.escape("%s/photo.jpg" % url))

        listing = self.s3cmd("ls", "--recursive", url).stdout
        sizes = {}
        for line in listing.splitlines():
            m = re.match(r"^\S+\s+\S+\s+(\d+)\s+(s3://.*)$", line)
            if m:
                sizes[m.group(2)[len(url) + 1:]] = int(m.group(1))
        self.assertEqual(sizes, {k: len(v) for k, v in files.items()})

        la = self.s3cmd("la").stdout
        self.assertIn("%s/photo.jpg" % url, la)

        for key, data in files.items():
            with self.subTest(key=key):
                dst = self.local("down", key)
                self.s3cmd("get", "--force", "%s/%s" % (url, key), dst)
                with open(dst, "rb") as f:
                    self.assertTrue(f.read() == data, "downloaded bytes differ for " + key)

                info = self.s3cmd("info", "%s/%s" % (url, key)).stdout
                self.assertRegex(info, r"File size:\s+%d\b" % len(data))
                self.assertRegex(info, r"MD5 sum:\s+%s\b" % h.md5_hex(data))
        info = self.s3cmd("info", "%s/photo.jpg" % url).stdout
        self.assertRegex(info, r"MIME type:\s+image/jpeg")
        head = self.client().head_object(Bucket=bucket, Key="photo.jpg")
        self.assertEqual(head["CacheControl"], "max-age=60")
        self.assertIn("s3cmd-attrs", head["Metadata"])

        # rb must refuse while objects remain.
        proc = self.s3cmd("rb", url, check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("BucketNotEmpty", proc.stdout + proc.stderr)

        for key in files:
            self.s3cmd("del", "%s/%s" % (url, key))
        self.assertEqual(self.s3cmd("ls", "--recursive", url).stdout.strip(), "")
        self.s3cmd("rb", url)
        self.assertNotIn(url, self.s3cmd("ls").stdout)

    def test_get_missing(self):
        bucket = self.unique_bucket("s3cmd-miss")
        self.s3cmd("mb", "s3://" + bucket)
        proc = self.s3cmd("get", "s3://%s/nope" % bucket, self.local("miss", "nope"), check=False)
        self.assertNotEqual(proc.returncode, 0)
        self.assertRegex(proc.stdout + proc.stderr, r"404|NoSuchKey|does not exist")
        self.s3cmd("rb", "s3://" + bucket)


if __name__ == "__main__":
    h.main()
