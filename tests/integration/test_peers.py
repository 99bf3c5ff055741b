#!/usr/bin/env python3
"""Pools fetching from each other by hash: three Herd pools on loopback and an origin web server.
A pool with a peer fetches a file whose digest it knows (a Repr-Digest on the origin's answer to
HEAD, or a hashlink) from the peer, not the origin; a peer serving wrong bytes is rejected and the
next source used; `herd recover --from PEER` puts back deleted blobs byte-exact and names what no
peer had; `herd fsck --repair` fetches a corrupt blob again from the configured peers."""
import concurrent.futures
import json
import os
import unittest

import herd_harness as h

ON_DISK = h.BLOBS == "disk"


class PeersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        h.quiet_resource_warnings()
        cls.origin = h.OriginServer()
        cls.addClassCleanup(cls.origin.stop)
        cls.bad_peer = h.OriginServer()  # answers every hashlink with the same wrong bytes
        cls.addClassCleanup(cls.bad_peer.stop)
        cls.b_public = h.free_port()
        cls.b = h.HerdServer('[public]\nlisten = "127.0.0.1:%d"\n' % cls.b_public)
        cls.addClassCleanup(h.shutdown_server, cls.b)
        cls.b.start()
        cls.b_tenant = cls.b.create_tenant("peer-b")
        cls.b_s3 = cls.b.client(cls.b_tenant)
        cls.b_s3.create_bucket(Bucket="shared")
        ports = [cls.origin.port, cls.bad_peer.port, cls.b_public]
        cls.c_config = ('[fetch]\nallow_private = ["127.0.0.1/32"]\nallowed_ports = %s\ntimeout_seconds = 5\n'
                        '[gc]\ninterval_seconds = 3600\n'
                        '[[federation.peer]]\nurl = "http://127.0.0.1:%d"\n'
                        '[[federation.peer]]\nurl = "http://127.0.0.1:%d"\n'
                        % (json.dumps(ports), cls.bad_peer.port, cls.b_public))
        cls.c = h.HerdServer(cls.c_config)
        cls.addClassCleanup(h.shutdown_server, cls.c)
        cls.c.start()
        cls.c_tenant = cls.c.create_tenant("inst-c")
        cls.c_s3 = cls.c.client(cls.c_tenant)
        cls.c_s3.create_bucket(Bucket="media")

    def setUp(self):
        h.quiet_resource_warnings()
        self.bad_peer.routes.clear()
        self.bad_peer.delays.clear()

    def on_b(self, key, body):
        """Stores `body` publicly on peer pool B."""
        self.b_s3.put_object(Bucket="shared", Key=key, Body=body, ACL="public-read")

    def retrieve(self, url, key):
        data = json.dumps({"url": url, "bucket": "media", "key": key}).encode()
        resp = h.raw_request(self.c.port, "POST", "/_herd/v1/retrieve", body=data, tenant=self.c_tenant)
        return resp.status, json.loads(resp.body)

    def get_c(self, key):
        return self.c_s3.get_object(Bucket="media", Key=key)["Body"].read()

    def test_a_known_digest_is_fetched_from_the_peer_not_the_origin(self):
        body = os.urandom(300000)
        self.on_b("known.jpg", body)
        self.origin.routes["/known.jpg"] = (200, {"Content-Type": "image/jpeg", "Repr-Digest": h.repr_digest(body)}, body)
        status, answer = self.retrieve(self.origin.url("/known.jpg"), "known.jpg")
        self.assertEqual(status, 200, answer)
        self.assertEqual((answer["result"], answer["source"]), ("added", "peer"))
        self.assertEqual(self.origin.gets("/known.jpg"), 0, "the origin was downloaded from")
        self.assertEqual(self.get_c("known.jpg"), body)
        self.assertEqual(self.c_s3.head_object(Bucket="media", Key="known.jpg")["ContentType"], "image/jpeg")

    def test_a_hashlink_is_fetched_from_a_peer_and_a_lying_peer_is_skipped(self):
        body = os.urandom(5000)
        self.on_b("linked.png", body)
        link = h.hashlink(body)
        self.bad_peer.routes["/.well-known/apgateway/" + link] = (200, {}, b"not the bytes you asked for")
        status, answer = self.retrieve(link, "linked.png")
        self.assertEqual(status, 200, answer)
        self.assertEqual((answer["result"], answer["source"]), ("added", "peer"))
        self.assertEqual(self.bad_peer.gets("/.well-known/apgateway/" + link), 1)  # asked first, rejected
        self.assertEqual(self.get_c("linked.png"), body)
        # Once here, the same URL or digest needs nobody.
        status, answer = self.retrieve(link, "again.png")
        self.assertEqual((answer["result"], answer["source"]), ("cached", "pool"))
        gateway = "http://127.0.0.1:%d/.well-known/apgateway/%s" % (self.bad_peer.port, link)
        status, answer = self.retrieve(gateway, "third.png")
        self.assertEqual((answer["result"], answer["source"]), ("found", "pool"))
        self.assertEqual(self.bad_peer.gets("/.well-known/apgateway/" + link), 1)

    def test_concurrent_retrieves_of_one_digest_share_one_peer_fetch(self):
        body = os.urandom(20000)
        link = h.hashlink(body)
        path = "/.well-known/apgateway/" + link
        self.bad_peer.routes[path] = (200, {}, body)  # an honest peer this time, and a slow one
        self.bad_peer.delays[path] = 1.0
        urls = [link, "http://127.0.0.1:%d%s" % (self.origin.port, path), "http://127.0.0.1:%d%s" % (self.b_public, path)]
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            answers = list(pool.map(lambda u: self.retrieve(u[1], "d%d" % u[0]), enumerate(urls)))
        self.bad_peer.delays.clear()
        self.assertEqual([s for s, _ in answers], [200] * 3, answers)
        self.assertEqual(sorted((a["result"], a["source"]) for _, a in answers),
                         [("added", "peer"), ("found", "pool"), ("found", "pool")])
        self.assertEqual(self.bad_peer.gets(path), 1)
        for i in range(3):
            self.assertEqual(self.get_c("d%d" % i), body)

    def test_when_no_peer_has_it_the_origin_serves_it(self):
        body = os.urandom(4000)
        self.origin.routes["/only-origin.bin"] = (200, {"Repr-Digest": h.repr_digest(body)}, body)
        status, answer = self.retrieve(self.origin.url("/only-origin.bin"), "o.bin")
        self.assertEqual(status, 200, answer)
        self.assertEqual((answer["result"], answer["source"]), ("added", "origin"))
        self.assertEqual(self.origin.gets("/only-origin.bin"), 1)
        status, answer = self.retrieve(h.hashlink(b"nobody has this"),
                                       "none")
        self.assertEqual((status, answer["error"]), (502, "UpstreamError"), answer)

    def test_a_digest_never_reveals_another_tenants_private_bytes(self):
        other = self.c.create_tenant("other-c")
        s3 = self.c.client(other)
        s3.create_bucket(Bucket="private-stuff")
        secret = os.urandom(6000)
        s3.put_object(Bucket="private-stuff", Key="secret", Body=secret)
        link = h.hashlink(secret)
        status, answer = self.retrieve(link, "stolen")  # no peer has it: nothing found
        self.assertEqual((status, answer["error"]), (502, "UpstreamError"), answer)
        # An origin declaring the secret's digest gets its own bytes downloaded, not the secret.
        self.origin.routes["/liar.bin"] = (200, {"Repr-Digest": h.repr_digest(secret)}, b"decoy bytes")
        status, answer = self.retrieve(self.origin.url("/liar.bin"), "stolen2")
        self.assertEqual((status, answer["result"], answer["source"]), (200, "added", "origin"), answer)
        self.assertEqual(self.get_c("stolen2"), b"decoy bytes")

    def test_a_url_answered_from_a_tenants_own_bytes_is_not_cached_for_others(self):
        victim = self.c.create_tenant("victim-c")
        vs3 = self.c.client(victim)
        vs3.create_bucket(Bucket="victim-media")
        secret = os.urandom(7000)
        vs3.put_object(Bucket="victim-media", Key="dm.png", Body=secret)  # private
        # A URL whose origin claims the secret's digest but serves other bytes.
        self.origin.routes["/claims.png"] = (200, {"Repr-Digest": h.repr_digest(secret)}, b"what the URL really serves")
        data = json.dumps({"url": self.origin.url("/claims.png"), "bucket": "victim-media", "key": "r"}).encode()
        resp = h.raw_request(self.c.port, "POST", "/_herd/v1/retrieve", body=data, tenant=victim)
        self.assertEqual(json.loads(resp.body)["result"], "found")  # the victim's own bytes, for the victim
        status, answer = self.retrieve(self.origin.url("/claims.png"), "leak")
        self.assertEqual(status, 200, answer)
        self.assertNotEqual(answer["result"], "cached")
        self.assertEqual(self.get_c("leak"), b"what the URL really serves")

    @unittest.skipUnless(ON_DISK, "deletes blob files of the disk store")
    def test_recover_puts_back_deleted_blobs_byte_exact(self):
        large, small, unshared = os.urandom(400000), os.urandom(3000), os.urandom(350000)
        for key, body in (("r-large", large), ("r-small", small)):
            self.on_b(key, body)
            self.c_s3.put_object(Bucket="media", Key=key, Body=body)
        self.c_s3.put_object(Bucket="media", Key="r-unshared", Body=unshared)
        for name in self.c.blob_files():
            if os.path.basename(name) in (h.sha256_hex(large), h.sha256_hex(unshared)):
                os.remove(os.path.join(self.c.blobs_dir, name))
        for name in os.listdir(self.c.packs_dir):  # the small blob was packed
            os.remove(os.path.join(self.c.packs_dir, name))
        proc = self.c.cli("recover", "--from", "http://127.0.0.1:%d" % self.b_public, check=False)
        self.assertEqual(proc.returncode, 2, proc.stdout + proc.stderr)  # one blob no peer had
        self.assertIn("not found: " + h.sha256_hex(unshared), proc.stdout)
        self.assertIn("2 blob(s) restored", proc.stdout)
        self.assertEqual(self.get_c("r-large"), large)
        self.assertEqual(self.get_c("r-small"), small)

    @unittest.skipUnless(ON_DISK, "corrupts a blob file of the disk store")
    def test_fsck_repair_fetches_a_corrupt_blob_again_from_a_peer(self):
        body = os.urandom(500000)
        self.on_b("f-corrupt", body)
        self.c_s3.put_object(Bucket="media", Key="f-corrupt", Body=body)
        path = next(os.path.join(self.c.blobs_dir, n) for n in self.c.blob_files()
                    if os.path.basename(n) == h.sha256_hex(body))
        with open(path, "r+b") as f:
            f.seek(1000)
            f.write(b"\xff" * 16)
        proc = self.c.cli("fsck", "--repair", "--json", check=False)
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        self.assertGreaterEqual(report["corrupt_blobs"], 1, report)
        self.assertIn("restored from http://127.0.0.1:%d" % self.b_public, proc.stderr)
        self.assertEqual(self.get_c("f-corrupt"), body)
        proc = self.c.cli("fsck", "--json", check=False)
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        self.assertEqual((report["corrupt_blobs"], report["missing_blobs"]), (0, 0), report)


if __name__ == "__main__":
    h.main()
