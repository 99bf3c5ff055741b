"""Crash safety: SIGKILL the server again and again under concurrent load, then prove that every
acknowledged write survived byte-exact, nothing acknowledged as deleted came back, the metadata
and the blob tree agree (herd fsck), and garbage collection leaves exactly the referenced blobs.

Load: 7 worker threads, three tenants with two buckets each, PUT / overwrite / DELETE /
DeleteObjects / CopyObject / two-part 6 MiB multipart uploads / GET, bodies drawn from a pool of
20 distinct contents (1 KB..2 MB) and 3 multipart contents shared by all tenants, so almost every
write is a deduplicated one. The server runs GC every second with no grace period, so blobs are
removed and placed again all the time while it is being killed. Multipart uploads resume across
kills (Create and UploadPart are retried; acknowledged parts must survive). The server is
SIGKILLed 0.2-1.5 s after each restart and restarted on the same data directory and port. See
crash_load.py for the client-side ledger that decides what the server may legitimately hold.

Besides the final read-back, anything a correct server never does counts as an anomaly during
the load too: a 5xx it chose to send, an unexpected 4xx, a wrong ETag, a read that matches no
possible state. A failed run keeps its data directory and prints its path and seed.

Environment:
  HERD_CRASH_SEED         seed for contents, operation choices and kill delays (printed; random if unset)
  HERD_CRASH_KILLS        number of SIGKILLs (default 30; at least 20 are required)
  HERD_CRASH_WORKERS      load threads (default 7)
  HERD_RELIABILITY_OUT    if set, the run's figures are written there as JSON
"""

import collections
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import unittest

import herd_harness as h
import crash_load as cl

SEED = int(os.environ.get("HERD_CRASH_SEED") or random.SystemRandom().randrange(1, 2 ** 31))
KILLS = int(os.environ.get("HERD_CRASH_KILLS") or 30)
WORKERS = int(os.environ.get("HERD_CRASH_WORKERS") or 7)
MIN_KILLS = 20
KILL_DELAY = (0.2, 1.5)       # seconds between a (re)start and the next SIGKILL
LOAD_BUDGET = 150.0           # hard cap on the kill phase, whatever KILLS says
RESTART_TIMEOUT = 15.0
TENANTS = ("alice", "bob", "carol")
BUCKETS_PER_TENANT = 2
KEYS = ["k%02d" % i for i in range(8)] + ["media/sub dir/ünï+%d.bin" % i for i in range(2)]

# Background GC every second with no grace: blobs at zero references are collected (and later
# placed again by an upload of the same content) continuously while the server is being killed.
# On PostgreSQL (shared metadata) a claim of a killed server's GC pass is taken over after
# claim_lease_seconds: one second here, so the checks after the kills can expect a clean pool.
SERVER_CONFIG = """
[gc]
grace_seconds = 0
interval_seconds = 1
claim_lease_seconds = 1
"""

# Counts a crash may legitimately leave behind: unfinished uploads in tmp/, staged multipart
# parts no upload row records, and blob files placed just before a commit that never happened
# (docs/STORAGE.md: "an orphan, never a loss"). Everything else fsck counts is a real problem.
CRASH_LEFTOVERS = ("stale_temp_files", "stale_staged_parts", "orphan_blob_files")
FSCK_COUNTS = ("corrupt_blobs", "missing_blobs", "wrong_refcounts", "dangling_objects",
               "orphan_blob_files", "stray_files", "stale_temp_files", "stale_staged_parts")


def stable_port(attempts=50):
    """A free loopback port below the kernel's ephemeral range. The server is down for a moment
    after each kill; a port the kernel never hands out for `bind(0)` cannot be taken meanwhile by
    another test (harness.free_port) or by an outgoing connection, so our clients only ever
    talk to our server."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 0
    if low <= 12000:
        return h.free_port()
    rng = random.SystemRandom()
    for _ in range(attempts):
        port = rng.randrange(10000, low)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    return h.free_port()


class CrashServer(h.HerdServer):
    """A HerdServer that can be SIGKILLed and restarted on the same data directory and port."""

    keep = False  # set when the data directory is evidence of a bug

    def start(self):
        if not os.access(h.HERD_BIN, os.X_OK):
            raise RuntimeError("herd binary not found or not executable: %s (set HERD_BIN)" % h.HERD_BIN)
        for _attempt in range(3):
            self.port = stable_port()
            try:
                self.restart()
                return self
            except RuntimeError:
                if _attempt == 2:
                    raise
        return self

    def crash(self):
        """SIGKILL, then reap, so no request can be executing afterwards."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=h.STOP_TIMEOUT)
        if self._log:
            self._log.close()
            self._log = None

    def restart(self):
        """Starts `herd serve` again on the same port (bounded retries if the port is busy)."""
        assert self.proc is None or self.proc.poll() is not None, "server still running"
        args = [h.HERD_BIN, "serve", "--data", self.data, "--listen", "127.0.0.1:%d" % self.port]
        if self.config_path:
            args += ["--config", self.config_path]
        deadline = time.monotonic() + RESTART_TIMEOUT
        for _attempt in range(10):
            self._log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log,
                                         stderr=subprocess.STDOUT)
            if self._wait_ready():
                return
            self._kill()
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        raise RuntimeError("herd serve did not restart on port %d\n--- server log ---\n%s"
                           % (self.port, self.log_tail()))

    def stop_clean(self):
        """SIGTERM; returns the exit code (None if it had to be killed)."""
        return self.stop()

    def fsck(self, *extra):
        """(exit code, report dict) of `herd fsck --json --stale-after 0 EXTRA`."""
        proc = self.cli("fsck", "--json", "--stale-after", "0", *extra, check=False)
        try:
            report = json.loads(proc.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            raise AssertionError("fsck printed no JSON (exit %d)\nstdout: %s\nstderr: %s"
                                 % (proc.returncode, proc.stdout, proc.stderr))
        return proc.returncode, report


def release_server(server):
    if server.proc is not None and server.proc.poll() is None:
        server._kill()
    if server.keep and not h.KEEP:
        print("keeping the data directory for inspection: %s" % server.root, file=sys.stderr)
        return
    server.cleanup()


def new_server(test, config=SERVER_CONFIG):
    server = CrashServer(config)
    test.addCleanup(release_server, server)
    server.start()
    return server


def fsck_anomalies(code, report, allow=()):
    """Problems in an fsck report, ignoring the counts named in `allow`."""
    out = []
    for field in FSCK_COUNTS:
        value = report.get(field)
        if not isinstance(value, int):
            out.append("fsck report lacks %r: %r" % (field, report))
        elif value and field not in allow:
            out.append("fsck: %s = %d" % (field, value))
    if not allow and (report.get("problems") != 0 or code != 0):
        out.append("fsck: problems = %r, exit code %d" % (report.get("problems"), code))
    return out


class CrashSafetyTest(unittest.TestCase):

    def setUp(self):
        h.quiet_resource_warnings()

    def test_sigkill_under_load(self):
        t0 = time.monotonic()
        print("\ncrash seed: %d (reproduce the choices with HERD_CRASH_SEED=%d)" % (SEED, SEED),
              flush=True)
        self.assertGreaterEqual(KILLS, MIN_KILLS, "HERD_CRASH_KILLS must be at least %d" % MIN_KILLS)
        server = new_server(self)
        server.keep = True  # until the test has passed: a failed run's data directory is evidence
        tenants = {name: server.create_tenant(name) for name in TENANTS}
        clients = {name: cl.make_client(server.endpoint, t) for name, t in tenants.items()}
        buckets = {name: ["crash-%s-%d" % (name, i) for i in range(BUCKETS_PER_TENANT)] for name in TENANTS}
        for name, names in buckets.items():
            for b in names:
                clients[name].create_bucket(Bucket=b)
        contents = cl.make_contents(SEED)
        by_sha = {c.sha256: c for c in contents}
        ledger = cl.Ledger((t, b, k) for t in TENANTS for b in buckets[t] for k in KEYS)
        load = cl.Load(ledger, clients, buckets, contents, SEED, workers=WORKERS,
                       max_seconds=LOAD_BUDGET + 30)

        # ---- the kill phase ----
        rng = random.Random("kills-%d" % SEED)
        kills = interrupting = 0
        load.start()
        load_deadline = time.monotonic() + LOAD_BUDGET
        try:
            for i in range(KILLS):
                if load.stop.wait(rng.uniform(*KILL_DELAY)) or time.monotonic() > load_deadline:
                    break  # a worker crashed (test bug) or the time budget is exhausted
                before = ledger.counts["interrupted"]
                server.crash()
                ledger.note_kill()
                kills += 1
                if i < KILLS - 1:
                    server.restart()
                    if ledger.counts["interrupted"] > before:
                        interrupting += 1
        finally:
            stuck = load.finish()
        if server.proc.poll() is None:  # the phase ended early: the last step is a kill too
            server.crash()
            ledger.note_kill()
            kills += 1
        self.assertEqual(load.crashes, [], "a load thread crashed:\n%s" % "\n".join(load.crashes))
        self.assertEqual(stuck, [], "load threads did not stop")
        load_seconds = time.monotonic() - t0
        print("kill phase: %d kills in %.1fs (%d cut requests in flight); ops %r; acknowledged %r"
              % (kills, load_seconds, interrupting, ledger.counts, ledger.op_counts), flush=True)
        print("failed requests: %r" % dict(sorted(ledger.failures.items())), flush=True)

        # ---- after the last kill: restart and check everything ----
        anomalies = list(ledger.anomalies)  # seen during the load (ETags, reads, rejections)
        result = {"present": {}, "expected_blobs": set(), "aborted": 0, "fsck_before_repair": {}}

        def phase(name, fn):
            """Runs one verification phase; an exception is recorded, later phases still run."""
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - every failure is evidence worth reporting
                anomalies.append("%s: %s: %s" % (name, type(e).__name__, e))

        def read_back():
            server.restart()
            observed, found = cl.verify_ledger(ledger, clients, by_sha)
            anomalies.extend(found)
            anomalies.extend(cl.verify_listing(observed, clients, buckets, by_sha, known=ledger.keys))
            result["observed"] = observed
            result["present"] = {k: s for k, s in observed.items() if s != cl.ABSENT}
            result["expected_blobs"] = set(result["present"].values())

        def abort_uploads():
            # Unfinished multipart uploads (killed mid-way, or never completed): abort them all.
            for name, names in buckets.items():
                for b in names:
                    for _page in range(20):
                        uploads = clients[name].list_multipart_uploads(Bucket=b).get("Uploads", [])
                        if not uploads:
                            break
                        for u in uploads:
                            clients[name].abort_multipart_upload(Bucket=b, Key=u["Key"], UploadId=u["UploadId"])
                            result["aborted"] += 1
                    else:
                        anomalies.append("multipart uploads in %s would not go away" % b)

        def stop():
            code = server.stop_clean()
            if code != 0:
                anomalies.append("herd serve exited %r on SIGTERM" % code)

        def fsck_repair_fsck():
            # With the server stopped: only crash leftovers at first; after --repair, clean.
            code, report = server.fsck()
            result["fsck_before_repair"] = report
            anomalies.extend(fsck_anomalies(code, report, allow=CRASH_LEFTOVERS))
            code, repair = server.fsck("--repair")
            if code != 0:
                anomalies.append("fsck --repair exited %d: %r" % (code, repair))
            code, report = server.fsck()
            anomalies.extend(fsck_anomalies(code, report))
            for sub in ("tmp", "staging", "quarantine"):
                left = h.files_under(os.path.join(server.data, sub))
                if left:
                    anomalies.append("%s/ not empty after repair: %r" % (sub, left[:10]))

        def gc_keeps_referenced(expected_objects, expected_blobs):
            time.sleep(1.1)  # the claims of GC passes killed mid-way expire (claim_lease_seconds)
            server.gc()
            anomalies.extend(cl.blob_tree_check(server.blobs_dir, expected_blobs))
            stats = server.stats()
            if (stats.get("objects"), stats.get("blobs")) != (expected_objects, len(expected_blobs)):
                anomalies.append("after gc, stats say %r objects / %r blobs; expected %d / %d"
                                 % (stats.get("objects"), stats.get("blobs"), expected_objects,
                                    len(expected_blobs)))

        def reread_and_delete_everything():
            server.restart()
            for (b, k), state in sorted(result.get("observed", {}).items()):
                again, err = cl.read_state(clients[ledger.keys[(b, k)].tenant], b, k)
                if again != state:
                    anomalies.append("%s/%s changed after fsck --repair and gc: %s -> %s (%s)"
                                     % (b, k, cl.describe(state, by_sha), cl.describe(again, by_sha), err))
            for name, names in buckets.items():
                for b in names:
                    for key in sorted(cl.list_keys(clients[name], b)):
                        resp = clients[name].delete_object(Bucket=b, Key=key)
                        if resp["ResponseMetadata"]["HTTPStatusCode"] != 204:
                            anomalies.append("final DELETE %s/%s answered %r" % (b, key, resp["ResponseMetadata"]))
                    left = cl.list_keys(clients[name], b)
                    if left:
                        anomalies.append("%s still lists %r after deleting everything" % (b, sorted(left)))
                    else:
                        clients[name].delete_bucket(Bucket=b)

        def final_fsck():
            code, report = server.fsck()
            anomalies.extend(fsck_anomalies(code, report))

        phase("read back", read_back)
        phase("abort unfinished uploads", abort_uploads)
        phase("stop", stop)
        phase("fsck", fsck_repair_fsck)
        phase("gc", lambda: gc_keeps_referenced(len(result["present"]), result["expected_blobs"]))
        phase("delete everything", reread_and_delete_everything)
        phase("stop", stop)
        phase("gc after deleting everything", lambda: gc_keeps_referenced(0, set()))
        phase("final fsck", final_fsck)
        present, expected_blobs = result["present"], result["expected_blobs"]
        before_repair = result["fsck_before_repair"]
        aborted = result["aborted"]

        # ---- report ----
        wall = time.monotonic() - t0
        figures = {
            "seed": SEED,
            "kills": kills,
            "kills_interrupting_requests": interrupting,
            "workers": WORKERS,
            "ops_acknowledged": ledger.counts["acknowledged"],
            "ops_uncertain": ledger.counts["uncertain"],
            "ops_rejected": ledger.counts["rejected"],
            "ops_not_sent": ledger.counts["not_sent"],
            "ops_by_kind": dict(sorted(ledger.op_counts.items())),
            "reads_checked_during_load": ledger.counts["reads_checked"],
            "keys_verified": len(ledger.keys),
            "keys_with_one_possible_state": sum(1 for ks in ledger.keys.values() if len(ks.possible) == 1),
            "objects_verified": len(present),
            "distinct_blobs": len(expected_blobs),
            "uploads_aborted_at_end": aborted,
            "fsck_before_repair": {f: before_repair.get(f) for f in FSCK_COUNTS},
            "anomalies": len(anomalies),
            "wall_seconds": round(wall, 1),
        }
        print("crash summary: seed=%d kills=%d ops_acknowledged=%d ops_uncertain=%d "
              "objects_verified=%d (of %d keys, %d with a single possible state) anomalies=%d wall=%.1fs"
              % (SEED, kills, figures["ops_acknowledged"], figures["ops_uncertain"], len(present),
                 len(ledger.keys), figures["keys_with_one_possible_state"], len(anomalies), wall), flush=True)
        print("fsck before repair: %r" % figures["fsck_before_repair"], flush=True)
        out = os.environ.get("HERD_RELIABILITY_OUT")
        if out:
            with open(out, "w") as f:
                json.dump(figures, f, indent=2, sort_keys=True)
                f.write("\n")

        if anomalies:
            distinct = collections.Counter(anomalies)  # insertion-ordered: first seen first
            lines = ["%s%s" % (text, " (x%d)" % n if n > 1 else "") for text, n in distinct.items()]
            self.fail("seed %d: %d anomalies, %d distinct (data dir kept: %s):\n  %s\n--- server log ---\n%s"
                      % (SEED, len(anomalies), len(distinct), server.root, "\n  ".join(lines[:60]),
                         server.log_tail(30)))
        # The run must have been a real test: enough kills, real load, requests cut by kills.
        self.assertGreaterEqual(kills, MIN_KILLS, "only %d kills within the time budget" % kills)
        self.assertGreaterEqual(ledger.counts["acknowledged"], 200, "too little load: %r" % ledger.counts)
        self.assertGreater(interrupting, 0, "no kill interrupted a request")
        self.assertGreater(len(present), 0, "nothing left to verify")
        self.assertGreater(len(ledger.op_counts), 4, "some operation kinds never succeeded: %r" % ledger.op_counts)
        server.keep = False


class VerificationSelfTest(unittest.TestCase):
    """The checks above must be able to fail: damage a server behind the ledger's back and make
    sure each kind of damage is reported."""

    def setUp(self):
        h.quiet_resource_warnings()

    def test_verification_detects_damage(self):
        server = new_server(self, config=None)
        tenant = server.create_tenant("alice")
        s3 = cl.make_client(server.endpoint, tenant)
        clients = {"alice": s3}
        bucket = "selftest"
        s3.create_bucket(Bucket=bucket)
        contents = cl.make_contents(7, small=4, large=0)
        by_sha = {c.sha256: c for c in contents}
        names = ["corrupt", "vanished", "deleted", "healthy", "resurrected"]
        ledger = cl.Ledger(("alice", bucket, k) for k in names)
        for key, c in zip(names[:4], contents):
            s3.put_object(Bucket=bucket, Key=key, Body=c.data)
            ledger.acknowledged(ledger.keys[(bucket, key)], c.sha256, "put")
        s3.put_object(Bucket=bucket, Key="resurrected", Body=contents[0].data)
        s3.delete_object(Bucket=bucket, Key="resurrected")
        ledger.acknowledged(ledger.keys[(bucket, "resurrected")], cl.ABSENT, "delete")

        # Undamaged: no false alarm anywhere.
        observed, found = cl.verify_ledger(ledger, clients, by_sha)
        self.assertEqual(found, [])
        self.assertEqual(cl.verify_listing(observed, clients, {"alice": [bucket]}, by_sha), [])
        self.assertEqual(cl.blob_tree_check(server.blobs_dir, {c.sha256 for c in contents}), [])

        # Damage: flip bytes of one blob (same size; 1000 bytes, so packed), remove another blob's
        # file (2 MiB, so a file of its own), delete and create objects the ledger does not know about.
        def blob_path(c):
            return os.path.join(server.blobs_dir, c.sha256[:2], c.sha256[2:4], c.sha256)
        pack, offset = cl.packed_blob_locations(server.data)[contents[0].sha256]
        with open(pack, "r+b") as f:
            f.seek(offset + contents[0].size // 2)
            f.write(bytes(b ^ 0xFF for b in contents[0].data[contents[0].size // 2:][:16]))
        os.unlink(blob_path(contents[1]))
        s3.delete_object(Bucket=bucket, Key="deleted")
        s3.put_object(Bucket=bucket, Key="resurrected", Body=contents[3].data)
        s3.put_object(Bucket=bucket, Key="intruder", Body=b"not in the ledger")

        observed, found = cl.verify_ledger(ledger, clients, by_sha)
        text = "\n".join(found)
        self.assertEqual(len(found), 4, text)
        self.assertIn("corrupt: wrong content", text)
        self.assertIn("vanished unreadable", text)
        self.assertIn("deleted: acknowledged write is missing", text)
        self.assertIn("resurrected: acknowledged-deleted (or never written) key is back", text)
        listing = cl.verify_listing(observed, clients, {"alice": [bucket]}, by_sha)
        self.assertTrue(any("intruder" in a for a in listing), listing)

        self.assertEqual(server.stop(), 0)
        code, report = server.fsck()
        self.assertEqual(code, 2, report)
        self.assertEqual(report["corrupt_blobs"], 1, report)
        self.assertEqual(report["missing_blobs"], 1, report)
        problems = fsck_anomalies(code, report, allow=CRASH_LEFTOVERS)
        self.assertTrue(any("corrupt_blobs" in p for p in problems), problems)
        self.assertTrue(any("missing_blobs" in p for p in problems), problems)
        tree = cl.blob_tree_check(server.blobs_dir, {c.sha256 for c in contents[:4]})
        self.assertTrue(any("hashing to" in a for a in tree), tree)
        self.assertTrue(any("has no file" in a and contents[1].sha256 in a for a in tree), tree)
        self.assertTrue(any("nothing references it" in a for a in tree), tree)  # the intruder's blob


if __name__ == "__main__":
    h.main()
