#!/usr/bin/python3
"""Generates the benchmark corpus: deterministic random files (same seed → same bytes).

    make_corpus.py DIR [--seed N] [--small N] [--large N]

Writes DIR/small/sNNNN.jpg (20–200 KB each), DIR/large/lNN.mp4 (10–40 MB each) and
DIR/manifest.tsv ("relative path<TAB>size" per file). If DIR/manifest.tsv already describes the
same seed and counts, and every file has its size, nothing is rewritten.
"""

import argparse
import os
import random
import sys

KB = 1000
MB = 1000 * 1000


def plan(seed, n_small, n_large):
    rng = random.Random(seed)
    files = []
    for i in range(n_small):
        files.append(("small/s%04d.jpg" % i, rng.randint(20 * KB, 200 * KB)))
    for i in range(n_large):
        files.append(("large/l%02d.mp4" % i, rng.randint(10 * MB, 40 * MB)))
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--small", type=int, default=2000)
    ap.add_argument("--large", type=int, default=20)
    args = ap.parse_args()

    files = plan(args.seed, args.small, args.large)
    header = "# seed=%d small=%d large=%d\n" % (args.seed, args.small, args.large)
    manifest = os.path.join(args.dir, "manifest.tsv")
    if os.path.exists(manifest):
        with open(manifest) as f:
            same = f.readline() == header
        if same and all(os.path.isfile(os.path.join(args.dir, p)) and os.path.getsize(os.path.join(args.dir, p)) == n
                        for p, n in files):
            print("corpus: reusing %s (%d files)" % (args.dir, len(files)))
            return 0
    os.makedirs(os.path.join(args.dir, "small"), exist_ok=True)
    os.makedirs(os.path.join(args.dir, "large"), exist_ok=True)
    total = 0
    for i, (path, size) in enumerate(files):
        rng = random.Random("%d/%s" % (args.seed, path))  # per file, so files are independent
        with open(os.path.join(args.dir, path), "wb") as f:
            left = size
            while left > 0:
                n = min(left, 4 * MB)
                f.write(rng.randbytes(n))
                left -= n
        total += size
    with open(manifest, "w") as f:
        f.write(header)
        for path, size in files:
            f.write("%s\t%d\n" % (path, size))
    print("corpus: wrote %d files, %.1f MB, to %s" % (len(files), total / MB, args.dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
