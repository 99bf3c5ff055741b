#!/usr/bin/python3
"""Benchmark helper.

    load_herd.py upload --herd BIN --data DIR --endpoint http://127.0.0.1:PORT --corpus DIR --bucket NAME
        Creates a tenant, a bucket, and PUTs every corpus file with x-amz-acl: public-read
        (boto3, 8 threads); Content-Type from the extension.
    load_herd.py urls --corpus DIR --bucket NAME --out DIR
        Writes DIR/small.txt and DIR/large.txt: "/<bucket>/<path> <size>" per line, the URL paths
        that both Herd's public endpoint and the nginx layout serve.
    load_herd.py verify --corpus DIR --bucket NAME --port P [--port Q ...]
        GETs a sample of files (whole and ranged) from each server and compares them with the corpus.
"""

import argparse
import concurrent.futures
import hashlib
import http.client
import json
import os
import random
import subprocess
import sys
import time

os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

TYPES = {".jpg": "image/jpeg", ".mp4": "video/mp4"}


def read_manifest(corpus):
    files = []
    with open(os.path.join(corpus, "manifest.tsv")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            path, size = line.rstrip("\n").split("\t")
            files.append((path, int(size)))
    return files


def upload(args):
    import boto3
    from botocore.config import Config

    out = subprocess.run([args.herd, "tenant", "create", "bench", "--json", "--data", args.data],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    tenant = json.loads(out)
    s3 = boto3.session.Session(aws_access_key_id=tenant["access_key"], aws_secret_access_key=tenant["secret_key"],
                               region_name="us-east-1").client(
        "s3", endpoint_url=args.endpoint,
        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 2, "mode": "standard"},
                      max_pool_connections=16, connect_timeout=10, read_timeout=120))
    s3.create_bucket(Bucket=args.bucket)
    files = read_manifest(args.corpus)
    total = sum(n for _p, n in files)
    started = time.monotonic()

    def put(item):
        path, _size = item
        with open(os.path.join(args.corpus, path), "rb") as f:
            s3.put_object(Bucket=args.bucket, Key=path, Body=f, ACL="public-read",
                          ContentType=TYPES.get(os.path.splitext(path)[1], "application/octet-stream"))

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for _ in pool.map(put, files):
            pass
    took = time.monotonic() - started
    print("herd: uploaded %d files (%.1f MB) in %.1f s" % (len(files), total / 1e6, took))


def urls(args):
    files = read_manifest(args.corpus)
    os.makedirs(args.out, exist_ok=True)
    for kind in ("small", "large"):
        with open(os.path.join(args.out, kind + ".txt"), "w") as f:
            for path, size in files:
                if path.startswith(kind + "/"):
                    f.write("/%s/%s %d\n" % (args.bucket, path, size))


def fetch(port, path, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def verify(args):
    files = read_manifest(args.corpus)
    rng = random.Random(7)
    small = [f for f in files if f[0].startswith("small/")]
    large = [f for f in files if f[0].startswith("large/")]
    sample = rng.sample(small, min(20, len(small))) + rng.sample(large, min(2, len(large)))
    bad = 0
    for path, size in sample:
        with open(os.path.join(args.corpus, path), "rb") as f:
            data = f.read()
        first = rng.randrange(0, max(1, size - 1_000_000))
        last = min(size - 1, first + 999_999)
        for port in args.port:
            status, body = fetch(port, "/%s/%s" % (args.bucket, path))
            if status != 200 or hashlib.sha256(body).digest() != hashlib.sha256(data).digest():
                print("verify: port %d %s: status %d, %d bytes" % (port, path, status, len(body)))
                bad += 1
            status, body = fetch(port, "/%s/%s" % (args.bucket, path), {"Range": "bytes=%d-%d" % (first, last)})
            if status != 206 or body != data[first:last + 1]:
                print("verify: port %d %s range %d-%d: status %d, %d bytes" % (port, path, first, last, status, len(body)))
                bad += 1
    if bad:
        print("verify: %d mismatches" % bad)
        return 1
    print("verify: %d files identical (whole and ranged) on ports %s" % (len(sample), args.port))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("upload")
    u.add_argument("--herd", required=True)
    u.add_argument("--data", required=True)
    u.add_argument("--endpoint", required=True)
    u.add_argument("--corpus", required=True)
    u.add_argument("--bucket", required=True)
    w = sub.add_parser("urls")
    w.add_argument("--corpus", required=True)
    w.add_argument("--bucket", required=True)
    w.add_argument("--out", required=True)
    v = sub.add_parser("verify")
    v.add_argument("--corpus", required=True)
    v.add_argument("--bucket", required=True)
    v.add_argument("--port", type=int, action="append", required=True)
    args = ap.parse_args()
    return {"upload": upload, "urls": urls, "verify": verify}[args.cmd](args) or 0


if __name__ == "__main__":
    sys.exit(main())
