#!/usr/bin/python3
"""URL lists for bench/put_unique.lua (one URL path per line, "/<bucket>/<key>[?query]").

    presign_urls.py herd --endpoint http://127.0.0.1:PORT --access-key K --secret-key S
                         --bucket NAME [--expires SECONDS] [--processes N] OUT:PREFIX:COUNT ...
        Creates the bucket (if missing) and writes, for each OUT:PREFIX:COUNT, COUNT SigV4
        presigned PUT URLs (boto3 generate_presigned_url, path style, region us-east-1, the
        payload left UNSIGNED-PAYLOAD as presigned URLs do) for the keys PREFIX/obj-<i>, with the
        scheme and host stripped (wrk sends Host: 127.0.0.1:PORT, which is what was signed).
    presign_urls.py plain --bucket NAME OUT:PREFIX:COUNT ...
        The same key layout as plain paths, for a WebDAV server (nginx).

Keys are PREFIX/obj-<i> with i = 0 .. COUNT-1, so every list (and every run) gets fresh keys
when the prefixes differ.
"""

import argparse
import concurrent.futures
import os
import sys
import time
import urllib.parse

os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def client(endpoint, access_key, secret_key):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                        config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                      retries={"total_max_attempts": 2, "mode": "standard"}),
                        region_name="us-east-1")


def presign_chunk(job):
    """Presigned paths for keys PREFIX/obj-<first> .. PREFIX/obj-<last-1>."""
    endpoint, access_key, secret_key, bucket, expires, prefix, first, last = job
    s3 = client(endpoint, access_key, secret_key)
    out = []
    for i in range(first, last):
        url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "%s/obj-%d" % (prefix, i)},
                                        ExpiresIn=expires)
        u = urllib.parse.urlsplit(url)
        out.append(u.path + ("?" + u.query if u.query else ""))
    return out


def parse_spec(spec):
    out, prefix, count = spec.rsplit(":", 2)
    return out, prefix, int(count)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="mode", required=True)
    h = sub.add_parser("herd")
    h.add_argument("--endpoint", required=True)
    h.add_argument("--access-key", required=True)
    h.add_argument("--secret-key", required=True)
    h.add_argument("--bucket", required=True)
    h.add_argument("--expires", type=int, default=3600)
    h.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    h.add_argument("lists", nargs="+", metavar="OUT:PREFIX:COUNT")
    n = sub.add_parser("plain")
    n.add_argument("--bucket", required=True)
    n.add_argument("lists", nargs="+", metavar="OUT:PREFIX:COUNT")
    args = p.parse_args()
    specs = [parse_spec(s) for s in args.lists]
    started = time.monotonic()

    if args.mode == "plain":
        for out, prefix, count in specs:
            with open(out, "w") as f:
                f.writelines("/%s/%s/obj-%d\n" % (args.bucket, prefix, i) for i in range(count))
        return

    s3 = client(args.endpoint, args.access_key, args.secret_key)
    try:
        s3.create_bucket(Bucket=args.bucket)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    total = 0
    with concurrent.futures.ProcessPoolExecutor(max(1, args.processes)) as pool:
        for out, prefix, count in specs:
            step = max(1000, count // (4 * max(1, args.processes)) + 1)
            jobs = [(args.endpoint, args.access_key, args.secret_key, args.bucket, args.expires, prefix, a,
                     min(count, a + step)) for a in range(0, count, step)]
            with open(out, "w") as f:
                for chunk in pool.map(presign_chunk, jobs):
                    f.writelines(line + "\n" for line in chunk)
            total += count
    print("presign_urls: %d presigned PUT URLs in %.1f s" % (total, time.monotonic() - started), file=sys.stderr)


if __name__ == "__main__":
    main()
