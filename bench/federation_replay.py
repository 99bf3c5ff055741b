#!/usr/bin/env python3
"""The replay behind bench/federation.sh (run by it; see there for the whole picture).

Given Herd pools that are already serving (--pools: a JSON list of {name, port, public_port, config,
tenants: [{name, access_key, secret_key}]}), this:
  1. generates, from --seed alone, a corpus of media files (log-uniform sizes) and a stream of posts
     by remote origin instances, each with attachments and a Zipf-distributed set of follower
     instances (the pools' tenants);
  2. serves the corpus from an origin web server on 127.0.0.1:--origin-port that counts every
     request and every body byte it sends, by the requesting pool (each pool's fetcher sends its
     own User-Agent);
  3. creates one bucket per instance, then for each (post, follower instance, attachment) calls
     POST /_herd/v1/retrieve on the instance's pool (SigV4, the tenant's keys), --threads at a time
     in stream order, checking every answer's SHA-256 and size;
  4. reads `herd stats --json` of every pool, computes the V1 and ideal models from the same stream,
     prints the Markdown table (and writes results.md and results.json to --out), and exits 1 when
     Herd's downloads or storage differ from the ideal (saying which), or anything failed.
"""
import argparse
import base64
import collections
import concurrent.futures
import hashlib
import http.client
import http.server
import json
import math
import os
import random
import subprocess
import sys
import threading
import time

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
from botocore.config import Config

MB = 1_000_000
KINDS = ((".jpg", "image/jpeg"), (".png", "image/png"), (".webp", "image/webp"), (".mp4", "video/mp4"))


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def mb(n):
    return "%.2f MB" % (n / MB)


def cell(n):
    return "%s (%d B)" % (mb(n), n)


# -- the corpus and the stream (deterministic in the seed) --

def make_corpus(rng, count, lo, hi):
    """[(bytes, extension, content type)]: sizes log-uniform in [lo, hi], random bytes (no two equal)."""
    files = []
    for _ in range(count):
        size = int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))
        ext, ctype = KINDS[3] if size > 1_000_000 else KINDS[rng.randrange(3)]
        files.append((rng.randbytes(size), ext, ctype))
    if len({sha256_hex(f[0]) for f in files}) != count:
        raise SystemExit("corpus has duplicate files (seed %r)" % rng)
    return files


def zipf_sampler(rng, n, s):
    """Draws k in 1..n with P(k) proportional to k^-s."""
    weights = [k ** -s for k in range(1, n + 1)]
    total = sum(weights)
    cum, acc = [], 0.0
    for w in weights:
        acc += w / total
        cum.append(acc)

    def draw():
        x = rng.random()
        for k, c in enumerate(cum, 1):
            if x <= c:
                return k
        return n
    return draw


def make_stream(rng, files, args, instances):
    """Posts [{id, origin, attachments: [(path, file index, kind)], followers: [instance index]}].

    Each attachment shows a file drawn uniformly from the corpus. The first time a file appears it
    gets a new URL on the post's origin; later, with probability --same-url, the post links one of
    the URLs the file already has (a re-share of the same media link), otherwise the file gets
    another new URL on this post's origin (re-uploaded: the same bytes under a different URL)."""
    reach = zipf_sampler(rng, instances, args.zipf_s)
    urls_of = collections.defaultdict(list)
    posts = []
    for post in range(args.posts):
        origin = rng.randrange(args.origins)
        attachments = []
        for n in range(rng.randint(1, args.max_attachments)):
            f = rng.randrange(len(files))
            if urls_of[f] and rng.random() < args.same_url:
                path, kind = rng.choice(urls_of[f]), "same URL"
            else:
                kind = "re-upload" if urls_of[f] else "new"
                path = "/o%d/media_attachments/%06d/%d%s" % (origin, post, n, files[f][1])
                urls_of[f].append(path)
            attachments.append((path, f, kind))
        followers = rng.sample(range(instances), reach())
        posts.append({"id": post, "origin": origin, "attachments": attachments, "followers": followers})
    return posts


# -- the origin --

class Origin:
    """A threaded HTTP server on 127.0.0.1:port serving {path: (bytes, content type)}; counts
    requests and the body bytes actually sent, per (User-Agent, method, path), and logs each."""

    def __init__(self, port, routes, log_path, digests=False):
        origin = self
        self.routes = routes
        # With `digests`, every answer declares its SHA-256 (RFC 9530 Repr-Digest), as Herd's public
        # endpoint does: a pool may then know the bytes from a HEAD, before any download.
        self.digest_of = {path: "sha-256=:%s:" % base64.b64encode(hashlib.sha256(body).digest()).decode()
                          for path, (body, _) in routes.items()} if digests else {}
        self.lock = threading.Lock()
        self.requests = collections.Counter()  # (user agent, method, path) -> requests
        self.sent = collections.Counter()  # user agent -> body bytes sent
        self.errors = []
        self.log = open(log_path, "w")

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, with_body):
                path = self.path.split("?", 1)[0]
                ua = self.headers.get("User-Agent", "")
                route = origin.routes.get(path)
                body, ctype = route if route else (b"not found", "text/plain")
                self.send_response(200 if route else 404)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                if route and path in origin.digest_of:
                    self.send_header("Repr-Digest", origin.digest_of[path])
                self.end_headers()
                sent = 0
                try:
                    if with_body:
                        view = memoryview(body)
                        while sent < len(body):
                            self.wfile.write(view[sent:sent + 65536])
                            sent += min(65536, len(body) - sent)
                finally:
                    with origin.lock:
                        origin.requests[(ua, self.command, path)] += 1
                        origin.sent[ua] += sent
                        if not route:
                            origin.errors.append("404 %s %s from %r" % (self.command, path, ua))
                        origin.log.write("%.3f %s %s %s %d %d\n" % (time.time(), ua.replace(" ", "_"), self.command,
                                                                    path, 200 if route else 404, sent))

            def do_GET(self):
                self.answer(True)

            def do_HEAD(self):
                self.answer(False)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.log.close()


# -- the pools --

def retrieve(port, tenant, body, timeout):
    """(status, parsed answer) of a SigV4-signed POST /_herd/v1/retrieve."""
    data = json.dumps(body).encode()
    host = "127.0.0.1:%d" % port
    req = botocore.awsrequest.AWSRequest(
        method="POST", url="http://%s/_herd/v1/retrieve" % host, data=data,
        headers={"Host": host, "Content-Type": "application/json", "X-Amz-Content-SHA256": sha256_hex(data)})
    creds = botocore.credentials.Credentials(tenant["access_key"], tenant["secret_key"])
    botocore.auth.SigV4Auth(creds, "s3", "us-east-1").add_auth(req)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/_herd/v1/retrieve", body=data, headers=dict(req.headers.items()))
        resp = conn.getresponse()
        payload = resp.read()
    finally:
        conn.close()
    try:
        return resp.status, json.loads(payload)
    except ValueError:
        return resp.status, {"error": "non-JSON answer", "body": payload[:200].decode("latin-1")}


def s3_client(port, tenant, timeout):
    cfg = Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                 retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=10, read_timeout=timeout)
    return boto3.session.Session(aws_access_key_id=tenant["access_key"], aws_secret_access_key=tenant["secret_key"],
                                 region_name="us-east-1").client("s3", endpoint_url="http://127.0.0.1:%d" % port,
                                                                 config=cfg)


def herd_stats(herd_bin, config, timeout):
    proc = subprocess.run([herd_bin, "stats", "--json", "--config", config], capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        raise SystemExit("herd stats --config %s failed (%d): %s" % (config, proc.returncode, proc.stderr.strip()))
    return json.loads(proc.stdout)


def loose_blob_bytes(data_dir):
    """Bytes of the blob files outside pack files (data_dir/blobs), for the on-disk cross-check."""
    total = 0
    for root, _, names in os.walk(os.path.join(data_dir, "blobs")):
        for name in names:
            total += os.path.getsize(os.path.join(root, name))
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pools", required=True, help="JSON file describing the running pools")
    ap.add_argument("--origin-port", type=int, required=True)
    ap.add_argument("--herd-bin", required=True)
    ap.add_argument("--out", required=True, help="directory for results.md, results.json, origin.log")
    ap.add_argument("--seed", type=int, default=20261208)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--min-size", type=int, default=20_000)
    ap.add_argument("--max-size", type=int, default=2_000_000)
    ap.add_argument("--posts", type=int, default=400)
    ap.add_argument("--max-attachments", type=int, default=4)
    ap.add_argument("--origins", type=int, default=8)
    ap.add_argument("--same-url", type=float, default=0.75)
    ap.add_argument("--zipf-s", type=float, default=1.1)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per request")
    ap.add_argument("--max-seconds", type=float, default=900.0, help="bound of the whole replay")
    ap.add_argument("--digests", action="store_true",
                    help="the origin declares each file's SHA-256 (Repr-Digest); the ideal is then one download "
                         "per pool and distinct content")
    ap.add_argument("--acl", default="public-read", help="canned ACL of each retrieved object")
    ap.add_argument("--url-cache-seconds", type=int, default=0, help="the pools' [fetch] url_cache_seconds (noted)")
    ap.add_argument("--machine", default="", help="machine notes for the output (cores, load)")
    args = ap.parse_args()

    pools = json.load(open(args.pools))
    instances = []  # (pool index, tenant dict, bucket)
    for p, pool in enumerate(pools):
        for t in pool["tenants"]:
            instances.append((p, t, "media-" + t["name"]))

    rng = random.Random(args.seed)
    t0 = time.monotonic()
    files = make_corpus(rng, args.files, args.min_size, args.max_size)
    digests = [sha256_hex(f[0]) for f in files]
    posts = make_stream(rng, files, args, len(instances))
    file_of = {}
    for post in posts:
        for path, f, _ in post["attachments"]:
            file_of[path] = f
    routes = {path: (files[f][0], files[f][2]) for path, f in file_of.items()}
    print("[replay] corpus of %d files (%s) and %d posts generated in %.1f s" % (
        len(files), mb(sum(len(f[0]) for f in files)), len(posts), time.monotonic() - t0), file=sys.stderr)

    # The deliveries, in stream order: (post, follower instance, attachment n, path).
    deliveries = [(post["id"], i, n, path) for post in posts for i in post["followers"]
                  for n, (path, _, _) in enumerate(post["attachments"])]
    size = lambda path: len(files[file_of[path]][0])  # noqa: E731

    # -- the models --
    distinct_urls = set(file_of)
    distinct_contents = {digests[f] for f in file_of.values()}
    inst_urls = {(i, path) for _, i, _, path in deliveries}
    pool_urls = {(instances[i][0], path) for i, path in inst_urls}
    pool_contents = {(p, digests[file_of[path]]) for p, path in pool_urls}
    content_size = {digests[f]: len(files[f][0]) for f in range(len(files))}
    origin_copies = sum(size(u) for u in distinct_urls)  # each distinct URL: the poster's instance holds a copy
    v1_down = sum(size(u) for _, u in inst_urls)
    v1_stored = origin_copies + v1_down
    v1_moved = 2 * v1_stored
    # Without digests a pool must download each distinct URL (it cannot know two URLs hold the same
    # bytes before it has both); with them, only each distinct content (the first URL it gets of it).
    ideal_gets = len(pool_contents) if args.digests else len(pool_urls)
    ideal_down = sum(content_size[c] for _, c in pool_contents) if args.digests else sum(size(u) for _, u in pool_urls)
    ideal_pool_stored = sum(content_size[c] for _, c in pool_contents)
    per_pool_ideal = collections.defaultdict(lambda: collections.Counter())
    for _, i, _, path in deliveries:
        pc = per_pool_ideal[instances[i][0]]
        pc["deliveries"] += 1
        pc["logical"] += size(path)
    for p, path in pool_urls:
        per_pool_ideal[p]["urls"] += 1
        if not args.digests:
            per_pool_ideal[p]["downloads"] += 1
            per_pool_ideal[p]["down_bytes"] += size(path)
    for p, c in pool_contents:
        per_pool_ideal[p]["contents"] += 1
        per_pool_ideal[p]["stored"] += content_size[c]
        if args.digests:
            per_pool_ideal[p]["downloads"] += 1
            per_pool_ideal[p]["down_bytes"] += content_size[c]
    kinds = collections.Counter(kind for post in posts for _, _, kind in post["attachments"])

    # -- the run --
    origin = Origin(args.origin_port, routes, os.path.join(args.out, "origin.log"), args.digests)
    failures = []
    results = collections.Counter()
    results_by_pool = collections.defaultdict(collections.Counter)
    answers_lock = threading.Lock()
    added_urls = collections.defaultdict(list)  # (pool, sha256) -> the URLs whose retrieve answered "added"
    moved_between_pools = 0
    pool_public = {("127.0.0.1", pool["public_port"]) for pool in pools}
    try:
        for p, t, bucket in instances:
            s3_client(pools[p]["port"], t, args.timeout).create_bucket(Bucket=bucket)
        stop = threading.Event()

        def one(delivery):
            nonlocal moved_between_pools
            if stop.is_set():
                return
            post, i, n, path = delivery
            p, tenant, bucket = instances[i]
            urlport = args.origin_port
            url = "http://127.0.0.1:%d%s" % (urlport, path)
            key = "cache/media_attachments/%06d/%d" % (post, n)
            try:
                status, answer = retrieve(pools[p]["port"], tenant, {"url": url, "bucket": bucket, "key": key, "acl": args.acl},
                                          args.timeout)
            except Exception as e:  # noqa: BLE001 - every failure is reported
                status, answer = None, {"error": "%s: %s" % (type(e).__name__, e)}
            f = file_of[path]
            ok = (status == 200 and answer.get("sha256") == digests[f] and answer.get("size") == len(files[f][0])
                  and answer.get("result") in ("added", "present", "cached", "found")
                  and answer.get("source") in ("origin", "pool", "peer"))
            with answers_lock:
                if not ok:
                    failures.append("retrieve %s into %s/%s on %s: %s %s" % (url, bucket, key, pools[p]["name"],
                                                                            status, json.dumps(answer)))
                    if len(failures) >= 10:
                        stop.set()
                    return
                results[answer["result"]] += 1
                results_by_pool[p][answer["result"]] += 1
                if answer["result"] == "added":
                    added_urls[(p, answer["sha256"])].append(path)
                # Bytes moved between pools: what a pool fetched from a peer pool (source "peer", Herd
                # with [[federation.peer]]), or downloaded from a URL of another pool's public endpoint.
                # Neither can happen here (no peers; every URL is the origin's), so this stays 0.
                if answer.get("source") == "peer" or (answer.get("source") == "origin"
                                                      and ("127.0.0.1", urlport) in pool_public):
                    moved_between_pools += answer["size"]

        t_run = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(args.threads) as executor:
            futures = [executor.submit(one, d) for d in deliveries]
            done, pending = concurrent.futures.wait(futures, timeout=args.max_seconds)
            if pending:
                stop.set()
                for fut in pending:
                    fut.cancel()
                failures.append("the replay did not finish within %.0f s (%d of %d deliveries left)"
                                % (args.max_seconds, len(pending), len(deliveries)))
            for fut in done:
                if fut.exception():
                    failures.append("replay task failed: %r" % fut.exception())
        run_seconds = time.monotonic() - t_run
        print("[replay] %d retrieves in %.1f s" % (len(deliveries), run_seconds), file=sys.stderr)

        # A sample of the stored objects, read back and compared.
        sample = random.Random(args.seed + 1).sample(deliveries, min(24, len(deliveries)))
        for post, i, n, path in sample:
            p, tenant, bucket = instances[i]
            key = "cache/media_attachments/%06d/%d" % (post, n)
            try:
                got = s3_client(pools[p]["port"], tenant, args.timeout).get_object(Bucket=bucket, Key=key)
                body = got["Body"].read()
                if body != files[file_of[path]][0]:
                    failures.append("GET %s/%s returned other bytes (%d B)" % (bucket, key, len(body)))
            except Exception as e:  # noqa: BLE001
                failures.append("GET %s/%s failed: %s" % (bucket, key, e))
    finally:
        origin.stop()

    # -- what Herd did --
    stats = [herd_stats(args.herd_bin, pool["config"], args.timeout) for pool in pools]
    herd_stored = sum(s["physical_bytes"] for s in stats)
    with origin.lock:
        herd_down = sum(origin.sent.values())
        origin_gets = sum(c for (ua, m, _), c in origin.requests.items() if m == "GET")
        origin_other = sum(c for (ua, m, _), c in origin.requests.items() if m != "GET")
        per_pool_gets = collections.Counter()
        repeated = []
        for (ua, m, path), c in origin.requests.items():
            if m == "GET":
                per_pool_gets[ua] += c
                if c > 1:
                    repeated.append("%s GET %s %d times" % (ua, path, c))
        origin_errors = list(origin.errors)
    ua_of = {p: pool["user_agent"] for p, pool in enumerate(pools)}
    missing = [] if args.digests else sorted("%s never fetched %s" % (ua_of[p], path) for p, path in pool_urls
                                             if origin.requests.get((ua_of[p], "GET", path), 0) == 0)
    if args.digests:  # each distinct content a pool holds was fetched under exactly one of its URLs
        fetched = collections.Counter()
        for (ua, m, path), c in origin.requests.items():
            if m == "GET" and path in file_of:
                fetched[(ua, digests[file_of[path]])] += c
        repeated += sorted("%s downloaded content %s… %d times (under different URLs, digest declared)"
                           % (ua_of[p], c[:12], fetched[(ua_of[p], c)]) for p, c in pool_contents
                           if fetched[(ua_of[p], c)] > 1)
    unexpected = sorted("%s fetched %s, which none of its instances received" % (ua, path)
                        for (ua, m, path) in origin.requests
                        if m == "GET" and (next((p for p, u in ua_of.items() if u == ua), None), path) not in pool_urls)

    ideal_moved_total = 2 * origin_copies + ideal_down
    herd_moved_total = 2 * origin_copies + herd_down + moved_between_pools
    expected = {"added": len(pool_contents), "present": 0 if args.digests else len(pool_urls) - len(pool_contents),
                "cached": len(deliveries) - len(pool_urls),
                "found": len(pool_urls) - len(pool_contents) if args.digests else 0}

    # -- the verdict --
    mismatches = []
    if herd_down != ideal_down:
        mismatches.append("downloaded from origins: Herd %d B, ideal %d B (%+d B)" % (herd_down, ideal_down,
                                                                                     herd_down - ideal_down))
    if origin_gets != ideal_gets:
        mismatches.append("origin GET requests: Herd %d, ideal %d (one per pool and distinct %s)"
                          % (origin_gets, ideal_gets, "content" if args.digests else "URL"))
    if moved_between_pools != 0:
        mismatches.append("moved between pools: Herd %d B, ideal 0 B" % moved_between_pools)
    if herd_stored != ideal_pool_stored:
        mismatches.append("stored: Herd %d B, ideal %d B (%+d B)" % (herd_stored, ideal_pool_stored,
                                                                    herd_stored - ideal_pool_stored))
    for p, s in enumerate(stats):
        want = per_pool_ideal[p]
        for field, key in (("physical_bytes", "stored"), ("objects", "deliveries"), ("logical_bytes", "logical"),
                           ("blobs", "contents")):
            if s[field] != want[key]:
                mismatches.append("%s %s: Herd %d, ideal %d" % (pools[p]["name"], field, s[field], want[key]))
        got = per_pool_gets[ua_of[p]]
        if got != want["downloads"]:
            mismatches.append("%s origin GETs: Herd %d, ideal %d" % (pools[p]["name"], got, want["downloads"]))
    mismatches += repeated[:10] + missing[:10] + unexpected[:10]
    # HEADs carry no body (a pool may ask for a digest first); they are shown, not counted as downloads.
    failures += origin_errors[:10]
    notes = []
    if any(results[r] != expected[r] for r in expected):
        notes.append("the retrieve results differ from those of a sequential replay: %s measured, %s expected"
                     % (" / ".join("%s %d" % (r, results[r]) for r in expected),
                        " / ".join("%s %d" % (r, expected[r]) for r in expected)))
    twice = {k: v for k, v in added_urls.items() if len(v) > 1}
    if twice:
        raced = sum(len(v) - 1 for v in twice.values() if len(set(v)) == len(v))
        notes.append("%d content(s) were answered \"added\" more than once on one pool (%s). %s"
                     % (len(twice), "; ".join("%s: %s" % (pools[p]["name"], ", ".join(v))
                                              for (p, _), v in sorted(twice.items())[:4]),
                        "Each time, different URLs of the same bytes were downloaded at once: a download "
                        "answers \"present\" only if the bytes were already live when it finished, so "
                        "concurrent ones all say \"added\"; the bytes are stored once all the same (%d "
                        "answer(s) that a sequential replay would give as \"present\")" % raced
                        if raced == sum(len(v) - 1 for v in twice.values()) else
                        "Some of them are the same URL downloaded twice (see the mismatches)"))

    # -- the table --
    n_att = sum(len(p["attachments"]) for p in posts)
    lines = []
    w = lines.append
    w("| model | downloaded from origins | moved between pools | stored by the receivers (instances / pools) "
      "| moved, seed accounting | stored, seed accounting |")
    w("|---|---:|---:|---:|---:|---:|")
    w("| V1: every instance downloads and stores | %s | — | %s | %s | %s |"
      % (cell(v1_down), cell(v1_down), mb(v1_moved), mb(v1_stored)))
    w("| ideal: each pool downloads each distinct %s once, stores each distinct content once | %s | %s | %s "
      "| %s | %s |" % ("content" if args.digests else "URL", cell(ideal_down), cell(0), cell(ideal_pool_stored), mb(ideal_moved_total),
                       mb(origin_copies + ideal_pool_stored)))
    w("| **Herd (measured)** | **%s** | **%s** | **%s** | **%s** | **%s** |"
      % (cell(herd_down), cell(moved_between_pools), cell(herd_stored), mb(herd_moved_total),
         mb(origin_copies + herd_stored)))
    w("")
    w("Herd ÷ V1: downloaded %.3f, stored in pools %.3f, moved (seed accounting) %.3f, stored (seed accounting) "
      "%.3f. Herd = ideal: %s." % (herd_down / v1_down, herd_stored / v1_down, herd_moved_total / v1_moved,
                                   (origin_copies + herd_stored) / v1_stored,
                                   "**yes, exactly**" if not mismatches else "**no**"))
    w("")
    w("| stream | |")
    w("|---|---:|")
    for label, value in (
            ("posts (by %d remote origin instances)" % args.origins, len(posts)),
            ("attachments", n_att),
            ("… first showing of a file (new URL)", kinds["new"]),
            ("… same bytes re-uploaded under a new URL", kinds["re-upload"]),
            ("… re-sharing an existing URL", kinds["same URL"]),
            ("follower instances per post: mean (Zipf s=%.2f over 1..%d)" % (args.zipf_s, len(instances)),
             "%.2f" % (sum(len(p["followers"]) for p in posts) / len(posts))),
            ("deliveries (post × follower instance × attachment) = retrieve calls", len(deliveries)),
            ("distinct URLs", len(distinct_urls)),
            ("distinct contents (SHA-256)", len(distinct_contents)),
            ("(instance, distinct URL) pairs (V1 downloads)", len(inst_urls)),
            ("(pool, distinct URL) pairs%s" % ("" if args.digests else " (ideal downloads)"), len(pool_urls)),
            ("(pool, distinct content) pairs (ideal stored copies%s)" % (", and downloads" if args.digests else ""),
             len(pool_contents)),
            ("pools × instances", "%d × %d = %d" % (len(pools), len(instances) // len(pools), len(instances))),
            ("origin GET requests (measured)", origin_gets),
            ("origin HEAD and other requests (measured; no body)", origin_other),
            ("retrieve results: added / present / cached / found (measured)",
             "%d / %d / %d / %d" % tuple(results[r] for r in ("added", "present", "cached", "found"))),
            ("… expected if every retrieve ran alone, in order",
             "%d / %d / %d / %d" % tuple(expected[r] for r in ("added", "present", "cached", "found"))),
            ("replay: %d threads" % args.threads, "%.1f s" % run_seconds)):
        w("| %s | %s |" % (label, value))
    w("")
    w("| pool | deliveries | origin GETs (ideal / Herd) | downloaded (ideal / Herd) | blobs (ideal / Herd) "
      "| stored (ideal / Herd) | added / present / cached / found | packs: bytes on disk / live | loose blob files |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for p, s in enumerate(stats):
        want = per_pool_ideal[p]
        rp = results_by_pool[p]
        got_bytes = origin.sent[ua_of[p]]
        w("| %s | %d | %d / %d | %s / %s | %d / %d | %s / %s | %d / %d / %d / %d | %s / %s | %s |" % (
            pools[p]["name"], want["deliveries"], want["downloads"], per_pool_gets[ua_of[p]], mb(want["down_bytes"]),
            mb(got_bytes), want["contents"], s["blobs"], mb(want["stored"]), mb(s["physical_bytes"]),
            rp["added"], rp["present"], rp["cached"], rp["found"], mb(s["pack_bytes"]), mb(s["pack_live_bytes"]),
            mb(loose_blob_bytes(pools[p]["data_dir"]))))
    w("")
    w("- V1 (the seed model): each instance downloads each distinct URL it receives and uploads it to its own "
      "storage; each distinct URL also has the poster's copy, uploaded from the poster's client to its instance and "
      "on to its storage. Stored = Σ_url size + Σ_(instance, url) size; moved = 2 × stored (the seed's 1 MB image "
      "to 1000 instances: stored 1 + 1000 = 1001 MB, moved 2 × 1001 = 2002 MB).")
    if args.digests:
        w("- The origin declared every file's SHA-256 (`Repr-Digest`, `DIGESTS=1`), so a pool can know bytes it "
          "holds from a HEAD.")
    what = ("content, under the first of its URLs it gets (the origin declares digests, so a pool can know "
            "bytes it holds before downloading them again)" if args.digests else
            "URL (it cannot know two URLs hold the same bytes before downloading both)")
    w("- Ideal: each pool downloads once each distinct %s, and stores each distinct content (SHA-256) once; "
      "nothing moves between pools (no URL names a pool, no peers). Seed accounting for the ideal and Herd: "
      "moved = the posters' uploads (2 × Σ_url size, as in V1) + downloaded + moved between pools (a pool "
      "downloads straight into its storage; the instance gets a JSON answer); stored = the posters' copies "
      "(Σ_url size) + stored in pools." % what)
    w("- Measured: downloaded = body bytes the origin sent (counted by the origin, per pool by User-Agent); moved "
      "between pools = bytes of retrieves answered from a peer pool or downloaded from a pool's public endpoint "
      "(none here); stored = "
      "Σ physical_bytes of `herd stats --json` over the pools. Every answer's SHA-256 and size were checked, and "
      "24 stored objects read back.")
    w("- The pools' URL cache lasts %d s (`[fetch] url_cache_seconds`), longer than the replay: a URL re-shared "
      "after it expires is downloaded again (and then answered \"present\", stored once still)."
      % args.url_cache_seconds)
    if args.machine:
        w("- Machine: %s." % args.machine)
    for n in notes:
        w("- Note: %s." % n)
    table = "\n".join(lines) + "\n"
    print(table)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(table)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"v1": {"downloaded": v1_down, "moved": v1_moved, "stored": v1_stored},
                   "ideal": {"downloaded": ideal_down, "moved_between_pools": 0, "stored": ideal_pool_stored,
                             "origin_gets": ideal_gets, "results": expected}, "digests": args.digests,
                   "herd": {"downloaded": herd_down, "moved_between_pools": moved_between_pools,
                            "stored": herd_stored, "origin_gets": origin_gets, "results": dict(results)},
                   "origin_copies": origin_copies, "stats": stats, "mismatches": mismatches, "failures": failures},
                  f, indent=1)
    for m in failures:
        print("[replay] FAILED: %s" % m, file=sys.stderr)
    for m in mismatches:
        print("[replay] Herd differs from the ideal: %s" % m, file=sys.stderr)
    return 1 if failures or mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
