"""Client-side load generator and ledger for test_crash.py.

The ledger keeps, for every (bucket, key) the load touched, the set of states the key may be in
on the server: a content digest (SHA-256 hex) or ABSENT. Operations on one key are serialised by
a client-side per-key lock, so the ledger's reasoning is exact:

- an ACKNOWLEDGED operation (200 for PutObject / CopyObject / CompleteMultipartUpload, 204 for
  DeleteObject, a <Deleted> entry for DeleteObjects) makes the key's state exactly the new one;
- a REJECTED operation (a complete 4xx error response) changes nothing;
- an operation whose request never left the client (connection refused / connect timeout)
  changes nothing;
- anything else (5xx, connection reset, read timeout, server killed mid-request) is UNCERTAIN:
  the key may hold the old or the new state. Such an operation may even land *later* (a request
  whose client timed out can still be executing on the server), so it stays "pending" until
  the server incarnation that could execute it has been killed: until then every later
  acknowledged state of the key is joined by the pending ones.

Nothing here talks to the server process itself (starting and killing it is the test's job).
"""

import hashlib
import os
import random
import threading
import time
import traceback

import herd_harness as h  # first: it keeps boto3 away from the developer's ~/.aws

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import (BotoCoreError, ClientError, ConnectTimeoutError,  # noqa: E402
                                 EndpointConnectionError)

ABSENT = "<absent>"
KIB = 1024
MIB = 1024 * KIB
PART1 = 5 * MIB          # first multipart part (the S3 minimum for a non-last part)
MULTIPART_SIZE = 6 * MIB  # two parts: 5 MiB + 1 MiB


# ---------------------------------------------------------------------------------------------
# Contents

class Content:
    """One distinct body: bytes, SHA-256, and every ETag the server may legitimately report."""

    def __init__(self, data, multipart=False):
        self.data = data
        self.size = len(data)
        self.sha256 = hashlib.sha256(data).hexdigest()
        self.md5 = hashlib.md5(data).hexdigest()
        self.multipart = multipart
        self.etags = {self.md5}
        self.multipart_etag = None
        if multipart:
            parts = [data[:PART1], data[PART1:]]
            joined = b"".join(hashlib.md5(p).digest() for p in parts)
            self.multipart_etag = "%s-%d" % (hashlib.md5(joined).hexdigest(), len(parts))
            self.etags.add(self.multipart_etag)
            self.parts = parts


def make_contents(seed, small=20, large=3):
    """`small` distinct bodies of 1 KB..2 MB (log-uniform sizes, always including both ends)
    and `large` 6 MiB bodies for two-part multipart uploads, all derived from `seed`."""
    rng = random.Random("contents-%d" % seed)
    sizes = [1000, 2 * MIB]
    while len(sizes) < small:
        sizes.append(int(round(2 ** rng.uniform(10, 21))))
    contents = [Content(rng.randbytes(n)) for n in sizes]
    contents += [Content(rng.randbytes(MULTIPART_SIZE), multipart=True) for _ in range(large)]
    by_sha = {c.sha256: c for c in contents}
    if len(by_sha) != len(contents):
        raise AssertionError("content pool has duplicates (seed %d)" % seed)
    return contents


def normalise_etag(etag):
    return (etag or "").strip().strip('"')


def describe(state, contents_by_sha):
    if state == ABSENT:
        return "absent"
    c = contents_by_sha.get(state)
    return "%s…(%s bytes)" % (state[:12], c.size if c else "?")


# ---------------------------------------------------------------------------------------------
# Clients

def make_client(endpoint, tenant, connect_timeout=5, read_timeout=10, pool=16):
    """A boto3 client that fails fast: path style, no retries, short timeouts. Newer botocore
    (>= 1.36) validates response checksums itself; that is turned off so the verifier reads the
    bytes and judges them by their SHA-256, the same way with every botocore."""
    extra = {}
    if "response_checksum_validation" in Config.OPTION_DEFAULTS:
        extra["response_checksum_validation"] = "when_required"
    cfg = Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                 retries={"total_max_attempts": 1, "mode": "standard"},
                 connect_timeout=connect_timeout, read_timeout=read_timeout,
                 max_pool_connections=pool, **extra)
    session = boto3.session.Session(aws_access_key_id=tenant.access_key,
                                    aws_secret_access_key=tenant.secret_key,
                                    region_name="us-east-1")
    return session.client("s3", endpoint_url=endpoint, config=cfg)


NOT_SENT, REJECTED, UNCERTAIN = "not-sent", "rejected", "uncertain"


def classify(exc):
    """What a failed call tells us about whether the server applied it."""
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError)):
        return NOT_SENT  # the TCP connection was never established: nothing reached the server
    if isinstance(exc, ClientError):
        status = status_of(exc)
        if 400 <= status < 500:
            return REJECTED
    return UNCERTAIN


def truncated_error(exc):
    """True for an error response whose body was cut off: the server announced a body
    (Content-Length > 0) but botocore could not parse an error code from what arrived, so it
    fell back to the bare status. Herd writes the status line and headers before the body, so a
    kill can land in between; the status itself is still the server's decision."""
    if not isinstance(exc, ClientError):
        return False
    meta = exc.response.get("ResponseMetadata", {})
    status = meta.get("HTTPStatusCode")
    length = meta.get("HTTPHeaders", {}).get("content-length")
    return error_code(exc) == str(status) and length not in (None, "", "0")


def status_of(exc):
    """The HTTP status of an error response; 0 when there was no response."""
    if isinstance(exc, ClientError):
        return exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    return 0


def error_code(exc):
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code")
    return None


# ---------------------------------------------------------------------------------------------
# The ledger

class KeyState:
    __slots__ = ("bucket", "key", "tenant", "lock", "possible", "pending")

    def __init__(self, bucket, key, tenant):
        self.bucket = bucket
        self.key = key
        self.tenant = tenant
        self.lock = threading.Lock()
        self.possible = {ABSENT}  # states the key may be in on the server
        self.pending = []         # [(kill count when the uncertain op ended, state)]


class Ledger:
    def __init__(self, keys):
        """keys: iterable of (tenant name, bucket, key)."""
        self.mu = threading.Lock()
        self.kills = 0
        self.keys = {}
        for tenant, bucket, key in keys:
            self.keys[(bucket, key)] = KeyState(bucket, key, tenant)
        self.counts = {"acknowledged": 0, "uncertain": 0, "rejected": 0, "not_sent": 0,
                       "interrupted": 0, "reads_checked": 0}
        self.op_counts = {}
        self.failures = {}  # "op kind error" -> count, for the report
        self.anomalies = []

    # -- bookkeeping (every method takes self.mu) --

    def note_kill(self):
        """Called after the killed server has been reaped: pending ops of it can no longer land."""
        with self.mu:
            self.kills += 1

    def _live_pending(self, ks):
        ks.pending = [(k, s) for k, s in ks.pending if k == self.kills]
        return {s for _k, s in ks.pending}

    def acknowledged(self, ks, state, op):
        with self.mu:
            ks.possible = {state} | self._live_pending(ks)
            self.counts["acknowledged"] += 1
            self.op_counts[op] = self.op_counts.get(op, 0) + 1

    def uncertain(self, ks, states, op):
        with self.mu:
            self._live_pending(ks)
            for s in states:
                ks.possible.add(s)
                ks.pending.append((self.kills, s))
            self.counts["uncertain"] += 1

    def tally(self, op, kind, exc):
        name = error_code(exc) or type(exc).__name__
        cut = truncated_error(exc)
        if cut:
            name += " (body cut off)"
        status = status_of(exc)
        if status >= 500 and not cut:
            # A kill shows up as a connection error, never as an error response: a 5xx the server
            # chose to send (e.g. InternalError for an object whose blob is gone) is a bug.
            self.anomaly("%s answered %d %r" % (op, status, exc.response.get("Error")))
        with self.mu:
            label = "%s %s %s" % (op, kind, name)
            self.failures[label] = self.failures.get(label, 0) + 1
            if kind == UNCERTAIN:
                self.counts["interrupted"] += 1  # any request cut off (or failed) mid-way

    # The only 4xx answers a correct server gives this load: CopyObject from a key that may be
    # absent. Any other rejection (e.g. PutObject answered 4xx, a part or an upload the server
    # acknowledged and then forgot, or another process answering on the port) is an anomaly.
    EXPECTED_REJECTIONS = {("copy(no source)", "NoSuchKey")}

    def failed(self, kind, op, exc=None):
        self.tally(op, kind, exc)
        with self.mu:
            if kind == REJECTED:
                self.counts["rejected"] += 1
                if (op, error_code(exc)) not in self.EXPECTED_REJECTIONS and not truncated_error(exc):
                    self.anomalies.append("%s rejected: %s %r" % (op, status_of(exc), exc.response.get("Error")))
            else:
                self.counts["not_sent"] += 1

    def anomaly(self, text):
        with self.mu:
            self.anomalies.append(text)

    def possible(self, ks):
        with self.mu:
            return set(ks.possible)

    def read_checked(self):
        with self.mu:
            self.counts["reads_checked"] += 1


# ---------------------------------------------------------------------------------------------
# The load

class Load:
    """Worker threads issuing PUT / overwrite / DELETE / DeleteObjects / CopyObject / multipart /
    GET against the server's (fixed) endpoint until `stop` is set."""

    WEIGHTS = (("put", 36), ("delete", 12), ("delete_many", 5), ("copy", 15),
               ("multipart", 6), ("get", 26))

    def __init__(self, ledger, clients, buckets_by_tenant, contents, seed, workers=7,
                 max_seconds=200.0, max_ops_per_worker=200000):
        self.ledger = ledger
        self.clients = clients              # tenant name -> boto3 client (thread-safe)
        self.buckets_by_tenant = buckets_by_tenant
        self.contents = contents
        self.small = [c for c in contents if not c.multipart]
        self.large = [c for c in contents if c.multipart]
        self.by_sha = {c.sha256: c for c in contents}
        self.by_etag = {}
        for c in contents:
            for e in c.etags:
                self.by_etag.setdefault(e, set()).add(c.sha256)
        self.seed = seed
        self.n_workers = workers
        self.max_seconds = max_seconds
        self.max_ops = max_ops_per_worker
        self.stop = threading.Event()
        self.multipart_slots = threading.Semaphore(2)
        self.threads = []
        self.crashes = []  # unexpected Python exceptions in workers (test bugs)
        self.keys = list(ledger.keys.values())
        self.keys_by_tenant = {}
        for ks in self.keys:
            self.keys_by_tenant.setdefault(ks.tenant, []).append(ks)

    # -- lifecycle --

    def start(self):
        for i in range(self.n_workers):
            t = threading.Thread(target=self._run, args=(i,), name="crash-load-%d" % i, daemon=True)
            t.start()
            self.threads.append(t)

    def finish(self, timeout=40.0):
        """Stops the workers; returns the names of threads that did not stop in time."""
        self.stop.set()
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        return [t.name for t in self.threads if t.is_alive()]

    def alive(self):
        return sum(1 for t in self.threads if t.is_alive())

    def _run(self, index):
        rng = random.Random("worker-%d-%d" % (self.seed, index))
        names = [n for n, _w in self.WEIGHTS]
        weights = [w for _n, w in self.WEIGHTS]
        deadline = time.monotonic() + self.max_seconds
        ops = 0
        while not self.stop.is_set() and ops < self.max_ops and time.monotonic() < deadline:
            ops += 1
            op = rng.choices(names, weights)[0]
            try:
                outcome = getattr(self, "_op_" + op)(rng)
            except Exception:  # a bug in this file, not in the server
                self.crashes.append(traceback.format_exc())
                self.stop.set()
                return
            if outcome in (NOT_SENT, UNCERTAIN):
                # The server is (probably) down: don't spin while it restarts.
                self.stop.wait(rng.uniform(0.02, 0.08))

    # -- key selection (non-blocking, so workers never wait on each other) --

    def _grab(self, rng, candidates, attempts=8):
        for _ in range(attempts):
            ks = rng.choice(candidates)
            if ks.lock.acquire(blocking=False):
                return ks
        return None

    def _content(self, rng):
        if rng.random() < 0.03:
            return rng.choice(self.large)  # a 6 MiB body as a single PUT: dedups with multipart
        return rng.choice(self.small)

    # -- operations; each returns the outcome kind ("ok", NOT_SENT, REJECTED, UNCERTAIN) --

    def _fail(self, ks_list, states, op, exc):
        kind = classify(exc)
        if kind == UNCERTAIN:
            self.ledger.tally(op, kind, exc)
            for ks in ks_list:
                self.ledger.uncertain(ks, states, op)
        else:
            self.ledger.failed(kind, op, exc)
        return kind

    def _no_effect(self, exc, op):
        """A failed step that cannot change any object (CreateMultipartUpload, UploadPart)."""
        kind = classify(exc)
        if kind != UNCERTAIN:
            self.ledger.failed(kind, op, exc)
        else:
            self.ledger.tally(op, kind, exc)
        return kind

    def _op_put(self, rng):
        ks = self._grab(rng, self.keys)
        if ks is None:
            return "busy"
        try:
            c = self._content(rng)
            s3 = self.clients[ks.tenant]
            try:
                resp = s3.put_object(Bucket=ks.bucket, Key=ks.key, Body=c.data,
                                     ContentType="application/octet-stream")
            except (ClientError, BotoCoreError) as e:
                return self._fail([ks], [c.sha256], "put", e)
            etag = normalise_etag(resp.get("ETag"))
            if etag != c.md5:
                self.ledger.anomaly("PUT %s/%s acknowledged with ETag %r, expected %r"
                                    % (ks.bucket, ks.key, etag, c.md5))
            self.ledger.acknowledged(ks, c.sha256, "put")
            return "ok"
        finally:
            ks.lock.release()

    def _op_delete(self, rng):
        ks = self._grab(rng, self.keys)
        if ks is None:
            return "busy"
        try:
            s3 = self.clients[ks.tenant]
            try:
                resp = s3.delete_object(Bucket=ks.bucket, Key=ks.key)
            except (ClientError, BotoCoreError) as e:
                return self._fail([ks], [ABSENT], "delete", e)
            status = resp.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status != 204:
                self.ledger.anomaly("DELETE %s/%s answered %r, expected 204" % (ks.bucket, ks.key, status))
            self.ledger.acknowledged(ks, ABSENT, "delete")
            return "ok"
        finally:
            ks.lock.release()

    def _op_delete_many(self, rng):
        tenant = rng.choice(sorted(self.keys_by_tenant))
        bucket = rng.choice(self.buckets_by_tenant[tenant])
        candidates = [ks for ks in self.keys_by_tenant[tenant] if ks.bucket == bucket]
        held = []
        try:
            for ks in rng.sample(candidates, min(len(candidates), rng.randint(2, 4))):
                if ks.lock.acquire(blocking=False):
                    held.append(ks)
            if not held:
                return "busy"
            s3 = self.clients[tenant]
            try:
                resp = s3.delete_objects(Bucket=bucket, Delete={
                    "Objects": [{"Key": ks.key} for ks in held], "Quiet": False})
            except (ClientError, BotoCoreError) as e:
                return self._fail(held, [ABSENT], "delete_many", e)
            deleted = {d.get("Key") for d in resp.get("Deleted", [])}
            for err in resp.get("Errors", []):
                self.ledger.anomaly("DeleteObjects in %s: error for %r: %s %s" % (
                    bucket, err.get("Key"), err.get("Code"), err.get("Message")))
            for ks in held:
                if ks.key in deleted:
                    self.ledger.acknowledged(ks, ABSENT, "delete_many")
                else:
                    self.ledger.uncertain(ks, [ABSENT], "delete_many")
            return "ok"
        finally:
            for ks in held:
                ks.lock.release()

    def _op_copy(self, rng):
        tenant = rng.choice(sorted(self.keys_by_tenant))
        own = self.keys_by_tenant[tenant]
        dst = self._grab(rng, own)
        if dst is None:
            return "busy"
        src = None
        try:
            for _ in range(8):
                cand = rng.choice(own)
                if cand is not dst and cand.lock.acquire(blocking=False):
                    src = cand
                    break
            if src is None:
                return "busy"
            sources = self.ledger.possible(src) - {ABSENT}
            s3 = self.clients[tenant]
            kwargs = {}
            if rng.random() < 0.3:
                kwargs = {"MetadataDirective": "REPLACE", "ContentType": "image/png",
                          "Metadata": {"crash-test": "copied"}}
            try:
                resp = s3.copy_object(Bucket=dst.bucket, Key=dst.key,
                                      CopySource={"Bucket": src.bucket, "Key": src.key}, **kwargs)
            except (ClientError, BotoCoreError) as e:
                if classify(e) == REJECTED and error_code(e) == "NoSuchKey":
                    if ABSENT not in self.ledger.possible(src):
                        self.ledger.anomaly("COPY from %s/%s: NoSuchKey, but the source must exist "
                                            "(possible: %s)" % (src.bucket, src.key, [
                                                describe(s, self.by_sha) for s in self.ledger.possible(src)]))
                    self.ledger.failed(REJECTED, "copy(no source)", e)
                    return REJECTED
                return self._fail([dst], sorted(sources), "copy", e)
            etag = normalise_etag(resp.get("CopyObjectResult", {}).get("ETag"))
            got = {sha for sha in sources if sha in self.by_etag.get(etag, set())}
            if not got:
                self.ledger.anomaly(
                    "COPY %s/%s -> %s/%s acknowledged with ETag %r, which matches none of the source's "
                    "possible states %s" % (src.bucket, src.key, dst.bucket, dst.key, etag,
                                            [describe(s, self.by_sha) for s in self.ledger.possible(src)]))
                got = set(self.by_etag.get(etag, set())) or sources
                if not got:
                    return "ok"  # nothing sensible to record; the anomaly fails the test
            if len(got) == 1:
                self.ledger.acknowledged(dst, next(iter(got)), "copy")
            else:  # cannot happen with distinct contents, but stay exact if it does
                self.ledger.acknowledged(dst, sorted(got)[0], "copy")
                self.ledger.uncertain(dst, sorted(got)[1:], "copy")
            return "ok"
        finally:
            dst.lock.release()
            if src is not None:
                src.lock.release()

    def _step(self, rng, op, call, attempts=5):
        """Runs one repeatable multipart step until it is acknowledged, waiting for the server to
        come back after a kill: uploads and their acknowledged parts must survive crashes, so a
        client may resume them. Returns (response, None) or (None, exception)."""
        exc = None
        for _attempt in range(attempts):
            try:
                return call(), None
            except (ClientError, BotoCoreError) as e:
                exc = e
                kind = self._no_effect(e, op)
                if kind == REJECTED or self.stop.is_set():
                    break
                self.stop.wait(rng.uniform(0.1, 0.3))
        return None, exc

    def _op_multipart(self, rng):
        """A two-part 6 MiB upload. Create and UploadPart are retried across kills (only
        Complete changes the object); Complete itself is tried once."""
        if not self.multipart_slots.acquire(blocking=False):
            return self._op_put(rng)  # at most two uploads at a time: keep the small ops flowing
        ks = self._grab(rng, self.keys)
        if ks is None:
            self.multipart_slots.release()
            return "busy"
        try:
            c = rng.choice(self.large)
            s3 = self.clients[ks.tenant]
            where = "%s/%s" % (ks.bucket, ks.key)
            resp, exc = self._step(rng, "multipart-create", lambda: s3.create_multipart_upload(
                Bucket=ks.bucket, Key=ks.key, ContentType="video/mp4"))
            if resp is None:
                return classify(exc)  # an uncertain Create leaves at most an unused upload
            upload_id = resp["UploadId"]
            order = [1, 2] if rng.random() < 0.7 else [2, 1]
            etags = {}
            for n in order:
                r, exc = self._step(rng, "upload-part", lambda: s3.upload_part(
                    Bucket=ks.bucket, Key=ks.key, UploadId=upload_id, PartNumber=n, Body=c.parts[n - 1]))
                if r is None:
                    if classify(exc) == REJECTED:
                        self.ledger.anomaly("UploadPart %d of acknowledged upload %s of %s rejected: %s"
                                            % (n, upload_id, where, error_code(exc)))
                    return classify(exc)  # the upload is aborted at the end
                etags[n] = r["ETag"]
                if normalise_etag(r["ETag"]) != hashlib.md5(c.parts[n - 1]).hexdigest():
                    self.ledger.anomaly("UploadPart %d of %s acknowledged with ETag %r" % (n, where, r["ETag"]))
            if rng.random() < 0.12:
                try:
                    s3.abort_multipart_upload(Bucket=ks.bucket, Key=ks.key, UploadId=upload_id)
                except (ClientError, BotoCoreError):
                    pass  # left for the final cleanup
                return "ok"
            try:
                resp = s3.complete_multipart_upload(
                    Bucket=ks.bucket, Key=ks.key, UploadId=upload_id,
                    MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etags[n]} for n in (1, 2)]})
            except (ClientError, BotoCoreError) as e:
                if classify(e) == REJECTED:
                    # Every part was acknowledged and nothing aborts uploads: a rejection means
                    # the server lost an acknowledged upload or part.
                    self.ledger.anomaly("CompleteMultipartUpload of %s (upload %s, parts acknowledged) "
                                        "rejected: %s" % (where, upload_id, error_code(e)))
                return self._fail([ks], [c.sha256], "complete", e)
            etag = normalise_etag(resp.get("ETag"))
            if etag != c.multipart_etag:
                self.ledger.anomaly("CompleteMultipartUpload %s acknowledged with ETag %r, expected %r"
                                    % (where, etag, c.multipart_etag))
            self.ledger.acknowledged(ks, c.sha256, "multipart")
            return "ok"
        finally:
            ks.lock.release()
            self.multipart_slots.release()

    def _op_get(self, rng):
        ks = self._grab(rng, self.keys)
        if ks is None:
            return "busy"
        try:
            s3 = self.clients[ks.tenant]
            try:
                resp = s3.get_object(Bucket=ks.bucket, Key=ks.key)
                data = resp["Body"].read()
            except ClientError as e:
                if error_code(e) == "NoSuchKey":
                    state = ABSENT
                elif classify(e) == REJECTED:
                    self.ledger.failed(REJECTED, "get", e)
                    return REJECTED
                else:
                    self.ledger.tally("get", UNCERTAIN, e)
                    return UNCERTAIN
            except BotoCoreError as e:
                self.ledger.tally("get", classify(e), e)
                return classify(e)
            else:
                state = hashlib.sha256(data).hexdigest()
            possible = self.ledger.possible(ks)
            self.ledger.read_checked()
            if state not in possible:
                self.ledger.anomaly("during load, GET %s/%s read %s; possible: %s"
                                    % (ks.bucket, ks.key, describe(state, self.by_sha),
                                       [describe(s, self.by_sha) for s in possible]))
            return "ok"
        finally:
            ks.lock.release()


# ---------------------------------------------------------------------------------------------
# Verification (used after the crashes, and by the self-test that shows it can fail)

def read_state(s3, bucket, key, attempts=3):
    """(state, error text): the key's content digest or ABSENT, read with a full GET.
    Connection-level failures are retried a few times; any error response is an error."""
    last = None
    for attempt in range(attempts):
        try:
            resp = s3.get_object(Bucket=bucket, Key=key)
            data = resp["Body"].read()
            length = resp.get("ContentLength")
            if length is not None and length != len(data):
                return None, "Content-Length %r but %d bytes read" % (length, len(data))
            return hashlib.sha256(data).hexdigest(), None
        except ClientError as e:
            if error_code(e) == "NoSuchKey":
                return ABSENT, None
            return None, "GET failed: %s %s" % (e.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
                                                error_code(e))
        except BotoCoreError as e:
            last = "GET failed: %r" % e
            time.sleep(0.2 * (attempt + 1))
    return None, last


def verify_ledger(ledger, clients, by_sha):
    """Reads back every key of the ledger. Returns (observed {(bucket, key): state}, anomalies)."""
    observed = {}
    anomalies = []
    for (bucket, key), ks in sorted(ledger.keys.items()):
        state, err = read_state(clients[ks.tenant], bucket, key)
        possible = ledger.possible(ks)
        if err is not None:
            anomalies.append("%s/%s unreadable (%s); expected one of %s"
                             % (bucket, key, err, [describe(s, by_sha) for s in possible]))
            continue
        observed[(bucket, key)] = state
        if state not in possible:
            if possible == {ABSENT}:
                what = "acknowledged-deleted (or never written) key is back"
            elif ABSENT not in possible and state == ABSENT:
                what = "acknowledged write is missing"
            else:
                what = "wrong content"
            anomalies.append("%s/%s: %s: read %s, expected one of %s"
                             % (bucket, key, what, describe(state, by_sha),
                                [describe(s, by_sha) for s in sorted(possible)]))
    return observed, anomalies


def list_keys(s3, bucket, max_pages=100):
    """{key: (size, etag)} of a bucket, via ListObjectsV2 (bounded number of pages)."""
    out = {}
    token = None
    for _ in range(max_pages):
        kwargs = {"Bucket": bucket, "MaxKeys": 7}  # small pages: exercise continuation too
        if token:
            kwargs["ContinuationToken"] = token
        resp = s3.list_objects_v2(**kwargs)
        for o in resp.get("Contents", []):
            out[o["Key"]] = (o["Size"], normalise_etag(o.get("ETag")))
        if not resp.get("IsTruncated"):
            return out
        token = resp.get("NextContinuationToken")
    raise AssertionError("listing %s did not end within %d pages" % (bucket, max_pages))


def verify_listing(observed, clients, buckets_by_tenant, by_sha, known=()):
    """Every bucket lists exactly the keys read back as present, with their sizes.
    `known`: (bucket, key) pairs the ledger tracks (unreadable ones are reported elsewhere)."""
    anomalies = []
    for tenant, buckets in sorted(buckets_by_tenant.items()):
        for bucket in buckets:
            listed = list_keys(clients[tenant], bucket)
            present = {k: s for (b, k), s in observed.items() if b == bucket and s != ABSENT}
            for key in sorted(set(listed) | set(present)):
                if key not in listed:
                    anomalies.append("%s/%s reads back but is not listed" % (bucket, key))
                elif key not in present:
                    if (bucket, key) in observed:
                        anomalies.append("%s/%s is listed but GET says it is absent" % (bucket, key))
                    elif (bucket, key) in known:
                        pass  # unreadable: already an anomaly
                    else:
                        anomalies.append("%s/%s is listed but the load never wrote it" % (bucket, key))
                else:
                    size = listed[key][0]
                    c = by_sha.get(present[key])
                    if c is not None and size != c.size:
                        anomalies.append("%s/%s listed with size %d, content is %d bytes"
                                         % (bucket, key, size, c.size))
    return anomalies


PACK_HEADER = 48  # "HERDPAK1", size (8 bytes, little-endian), SHA-256 (32 bytes); then the bytes


def packed_blob_locations(data_dir):
    """{hex sha256: (pack path, offset of the bytes)} of referenced packed blobs, per the metadata."""
    return {sha: (os.path.join(data_dir, "packs", "%016x.pack" % pack), offset)
            for sha, pack, offset, refs in h.packed_blobs(data_dir) if refs > 0}


def read_pack_record(path, offset):
    """The bytes of the pack record whose data starts at `offset`, or None when the header is not
    a record header. Raises OSError when the pack is absent."""
    with open(path, "rb") as f:
        f.seek(offset - PACK_HEADER)
        header = f.read(PACK_HEADER)
        if len(header) != PACK_HEADER or header[:8] != b"HERDPAK1":
            return None
        return f.read(int.from_bytes(header[8:16], "little"))


def blob_tree_check(blobs_dir, expected_shas):
    """Every expected digest is stored exactly once and nothing else is: a file at
    blobs/ab/cd/<sha256> or the pack record the metadata names, each hashing to its name.
    Returns a list of anomalies."""
    anomalies = []
    found = {}
    data_dir = os.path.dirname(blobs_dir)
    for name, (path, offset) in sorted(packed_blob_locations(data_dir).items()):
        try:
            data = read_pack_record(path, offset)
        except OSError:
            continue  # reported below as having no bytes
        if data is None:
            anomalies.append("blob %s: no pack record at %s@%d" % (name, path, offset))
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != name:
            anomalies.append("blob %s holds bytes hashing to %s" % (name, digest))
        if name in found:
            anomalies.append("blob %s is stored twice" % name)
        found[name] = path
    for rel in h.files_under(blobs_dir):
        name = rel.split("/")[-1]
        parts = rel.split("/")
        if len(parts) != 3 or parts[0] != name[:2] or parts[1] != name[2:4]:
            anomalies.append("unexpected file in blobs/: %s" % rel)
            continue
        with open("%s/%s" % (blobs_dir, rel), "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        if digest != name:
            anomalies.append("blob %s holds bytes hashing to %s" % (rel, digest))
        if name in found:
            anomalies.append("blob %s is stored twice" % name)
        found[name] = rel
    for sha in sorted(set(expected_shas) - set(found)):
        anomalies.append("referenced blob %s has no file" % sha)
    for sha in sorted(set(found) - set(expected_shas)):
        anomalies.append("blob %s is still on disk but nothing references it" % sha)
    return anomalies
