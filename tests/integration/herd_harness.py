"""Shared helpers for Herd's integration tests.

Every test file starts one or more real `herd serve` processes on loopback, each on a fresh
temporary data directory, and drives them with real S3 clients (boto3, awscli, s3cmd, rclone)
or with hand-signed raw HTTP requests when a test needs to tamper with a request.

Environment:
  HERD_BIN   absolute path of the herd binary (default: ../../build/herd next to this file)
  HERD_KEEP  if set to 1, temporary directories are kept for post-mortem inspection
"""

import base64
import collections
import datetime
import hashlib
import http.client
import io
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import warnings
import xml.etree.ElementTree as ET

# Keep boto3 away from the developer's ~/.aws before it is imported anywhere.
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
for _var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
             "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_CA_BUNDLE"):
    os.environ.pop(_var, None)

import boto3  # noqa: E402  (after the environment is sanitised)
import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.credentials  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
HERD_BIN = os.environ.get("HERD_BIN") or os.path.normpath(os.path.join(HERE, "..", "..", "build", "herd"))
KEEP = os.environ.get("HERD_KEEP") == "1"

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED = "UNSIGNED-PAYLOAD"
STARTUP_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
CLI_TIMEOUT = 60.0
# HERD_TEST_META=postgres runs every server on PostgreSQL metadata: each in a schema of its own in
# the test database whose libpq connection string is in $HERD_TEST_SERVERS/postgres/conninfo.
# HERD_TEST_BLOBS=s3 keeps every server's blobs in a bucket of its own on the test Ceph RGW
# ($HERD_TEST_SERVERS/rgw). ctest starts both (scripts/test-postgres.sh, scripts/test-rgw.sh).
# Defaults: SQLite and local disk in the data directory.
META = os.environ.get("HERD_TEST_META", "sqlite")
BLOBS = os.environ.get("HERD_TEST_BLOBS", "disk")


def test_server_state(name):
    """The state directory of test server `name` ("postgres", "rgw") that ctest started."""
    root = os.environ.get("HERD_TEST_SERVERS")
    if not root:
        raise RuntimeError("HERD_TEST_META=postgres / HERD_TEST_BLOBS=s3 need HERD_TEST_SERVERS (the directory "
                           "scripts/test-postgres.sh and scripts/test-rgw.sh start their servers in)")
    return os.path.join(root, name)


Tenant = collections.namedtuple("Tenant", "name access_key secret_key")


# ---------------------------------------------------------------------------------------------
# Small utilities

def free_port():
    """Returns a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def md5_hex(data):
    return hashlib.md5(data).hexdigest()


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def base58(data):
    """Base58 with the Bitcoin alphabet (multibase "z")."""
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = alphabet[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def hashlink(data):
    """FEP-ef61 hashlink of `data`: multibase base58btc of its sha2-256 multihash ("hl:zQm...")."""
    return "hl:z" + base58(b"\x12\x20" + hashlib.sha256(data).digest())


def repr_digest(data):
    """RFC 9530 Repr-Digest value of `data`."""
    return "sha-256=:%s:" % base64.b64encode(hashlib.sha256(data).digest()).decode()


def quoted_etag(data):
    return '"%s"' % md5_hex(data)


def s3_quote(text):
    """Percent-encodes like SigV4's canonical URI for S3: everything but unreserved and '/'."""
    return urllib.parse.quote(text, safe="/~")


def object_path(bucket, key=None):
    """The path-style request path of a bucket or an object (percent-encoded)."""
    if key is None:
        return "/" + bucket
    return "/" + bucket + "/" + s3_quote(key)


def files_under(root):
    """Regular files below `root` (relative paths, sorted); [] if `root` does not exist."""
    found = []
    if not os.path.isdir(root):
        return found
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            full = os.path.join(dirpath, name)
            if os.path.isfile(full):
                found.append(os.path.relpath(full, root))
    return sorted(found)


def tree_digest(root):
    """{relative path: sha256} for every regular file under `root`."""
    out = {}
    for rel in files_under(root):
        with open(os.path.join(root, rel), "rb") as f:
            out[rel] = sha256_hex(f.read())
    return out


def strip_ns(tag):
    return tag.split("}", 1)[1] if tag.startswith("{") else tag


def xml_root(body):
    """Parses an XML body and strips namespaces from all tags (S3 uses a default namespace)."""
    root = ET.fromstring(body)
    for el in root.iter():
        el.tag = strip_ns(el.tag)
    return root


def parse_error(body):
    """(Code, Message) of an S3 XML error body; raises AssertionError on anything else."""
    try:
        root = xml_root(body)
    except ET.ParseError as e:
        raise AssertionError("error body is not XML (%s): %r" % (e, body[:500]))
    if root.tag != "Error":
        raise AssertionError("error body root is <%s>, expected <Error>: %r" % (root.tag, body[:500]))
    return root.findtext("Code"), root.findtext("Message")


def bounded_wait(predicate, timeout, interval=0.05):
    """Polls `predicate` until it returns truthy or `timeout` seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# Raw signed requests

RawResponse = collections.namedtuple("RawResponse", "status reason headers body interim",
                                     defaults=(None,))


class _FixedTimeSigV4(botocore.auth.SigV4Auth):
    """SigV4 as S3 does it (no path normalisation), with a caller-chosen timestamp and with the
    x-amz-content-sha256 value taken verbatim from the request headers."""

    def __init__(self, credentials, region, when):
        super().__init__(credentials, "s3", region)
        self._when = when

    def _normalize_url_path(self, path):
        return path

    def add_auth(self, request):
        request.context["timestamp"] = self._when.strftime(botocore.auth.SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        canonical_request = self.canonical_request(request)
        string_to_sign = self.string_to_sign(request, canonical_request)
        signature = self.signature(string_to_sign, request)
        self._inject_signature_to_request(request, signature)


class FixedTimeQueryAuth(botocore.auth.S3SigV4QueryAuth):
    """Presigns a request (X-Amz-* query parameters) as if signed at `when`."""

    def __init__(self, credentials, region, expires, when):
        super().__init__(credentials, "s3", region, expires=expires)
        self._when = when

    def add_auth(self, request):
        request.context["timestamp"] = self._when.strftime(botocore.auth.SIGV4_TIMESTAMP)
        self._modify_request_before_signing(request)
        canonical_request = self.canonical_request(request)
        string_to_sign = self.string_to_sign(request, canonical_request)
        self._inject_signature_to_request(request, self.signature(string_to_sign, request))


def build_query(query):
    """Query string from a dict / list of pairs; a value of None gives a bare key (`?uploads`)."""
    if not query:
        return ""
    if isinstance(query, str):
        return query
    items = query.items() if isinstance(query, dict) else query
    parts = []
    for k, v in items:
        k = urllib.parse.quote(str(k), safe="-_.~")
        parts.append(k if v is None else k + "=" + urllib.parse.quote(str(v), safe="-_.~"))
    return "&".join(parts)


def sign_request(port, method, path, query=None, headers=None, body=b"", tenant=None,
                 region="us-east-1", payload_hash=None, when=None):
    """Returns (request target, headers dict) for a SigV4-signed request (unsigned if no tenant)."""
    qs = build_query(query)
    target = path + ("?" + qs if qs else "")
    host = "127.0.0.1:%d" % port
    hdrs = {"Host": host}
    hdrs.update(headers or {})
    if tenant is not None:
        hdrs["X-Amz-Content-SHA256"] = payload_hash if payload_hash is not None else sha256_hex(body)
        req = botocore.awsrequest.AWSRequest(method=method, url="http://" + host + target,
                                             headers=hdrs, data=body)
        creds = botocore.credentials.Credentials(tenant.access_key, tenant.secret_key)
        when = when or datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        _FixedTimeSigV4(creds, region, when).add_auth(req)
        hdrs = dict(req.headers.items())
    elif payload_hash is not None:
        hdrs["X-Amz-Content-SHA256"] = payload_hash
    return target, hdrs


def raw_request(port, method, path, query=None, headers=None, body=b"", tenant=None,
                region="us-east-1", payload_hash=None, when=None, send_body=None,
                content_length=None, half_close=False, tamper=None, expect_continue=False,
                timeout=30.0):
    """Sends one HTTP/1.1 request over a fresh socket and returns a RawResponse.

    tenant         Tenant to sign with (None → anonymous, no Authorization header)
    payload_hash   value of x-amz-content-sha256 (default: hex SHA-256 of `body`)
    when           signing time (datetime, UTC; default now)
    send_body      bytes actually sent, if different from the signed `body`
    content_length Content-Length header value (default: len of bytes sent)
    half_close     shutdown(SHUT_WR) after sending (used to simulate a truncated upload)
    tamper         callable(headers dict) run after signing, to corrupt the request
    expect_continue send `Expect: 100-continue` and wait for the interim response before the body
    """
    target, hdrs = sign_request(port, method, path, query=query, headers=headers, body=body,
                                tenant=tenant, region=region, payload_hash=payload_hash, when=when)
    if tamper is not None:
        tamper(hdrs)
    payload = body if send_body is None else send_body
    if content_length is None:
        if payload or method in ("PUT", "POST"):
            content_length = len(payload)
    if content_length is not None:
        hdrs["Content-Length"] = str(content_length)
    if expect_continue:
        hdrs["Expect"] = "100-continue"
    hdrs["Connection"] = "close"

    head = "%s %s HTTP/1.1\r\n" % (method, target)
    head += "".join("%s: %s\r\n" % (k, v) for k, v in hdrs.items()) + "\r\n"
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    interim = None
    try:
        try:
            sock.sendall(head.encode("utf-8"))
            if expect_continue:
                interim = _read_interim(sock)
                if interim is not None and not interim.startswith(b"HTTP/1.1 100"):
                    # The server answered without waiting for the body: that is the final response.
                    return _parse_response(interim + _read_all(sock), method)
            sock.sendall(payload)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer (and close) before reading the whole body
        resp = http.client.HTTPResponse(sock, method=method)
        try:
            resp.begin()
            data = resp.read()
        finally:
            resp.close()
        return RawResponse(resp.status, resp.reason,
                           {k.lower(): v for k, v in resp.getheaders()}, data, interim)
    finally:
        sock.close()


def _read_interim(sock, timeout=5.0):
    """Reads an interim (or early final) response head; None if nothing arrives in `timeout`."""
    previous = sock.gettimeout()
    sock.settimeout(timeout)
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(4096)
            if not chunk:
                break
            buf += chunk
    except socket.timeout:
        return None
    finally:
        sock.settimeout(previous)
    return buf


def _read_all(sock):
    chunks = []
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except (socket.timeout, ConnectionResetError):
        pass
    return b"".join(chunks)


def _parse_response(raw, method):
    """Parses a complete HTTP response already read into `raw`."""

    class _BufferSocket:
        def makefile(self, *_args, **_kwargs):
            return io.BytesIO(raw)

    resp = http.client.HTTPResponse(_BufferSocket(), method=method)
    resp.begin()
    data = resp.read()
    return RawResponse(resp.status, resp.reason, {k.lower(): v for k, v in resp.getheaders()}, data,
                       raw[: raw.find(b"\r\n")])


class OriginServer:
    """A web server on 127.0.0.1 standing in for a remote instance's media host: serves `routes`
    ({path: (status, headers dict, body bytes)}, settable any time), honours a per-path delay
    (`delays[path]` seconds), and counts the requests each path got. Stops in stop()."""

    def __init__(self, host="127.0.0.1"):
        import http.server
        origin = self
        self.routes, self.delays, self.hits = {}, {}, collections.Counter()
        self._lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self, with_body):
                path = self.path.split("?", 1)[0]
                with origin._lock:
                    origin.hits[(self.command, path)] += 1
                    status, headers, body = origin.routes.get(path, (404, {}, b"not found"))
                    delay = origin.delays.get(path, 0)
                if delay:
                    time.sleep(delay)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if with_body:
                    self.wfile.write(body)

            def do_GET(self):
                self.answer(True)

            def do_HEAD(self):
                self.answer(False)

        self._server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, address: None  # clients hanging up (size caps) are expected
        self.port = self._server.server_address[1]
        self.host = host
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    def url(self, path):
        return "http://%s:%d%s" % (self.host, self.port, path)

    def gets(self, path):
        with self._lock:
            return self.hits[("GET", path)]

    def stop(self):
        self._server.shutdown()
        self._server.server_close()


class CountingProxy:
    """A TCP relay on a loopback port in front of `target_port` that counts the bytes clients send
    through it: what a server received, measured outside the server. Stops (closing every relayed
    connection) in stop()."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.sent = 0  # client -> server bytes, all connections
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._stopping = False
        self._sockets = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    def _accept(self):
        while not self._stopping:
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=30)
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, src, dst, counted):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if counted:
                    with self._lock:
                        self.sent += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self):
        self._stopping = True
        self._thread.join(timeout=5)
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                sock.close()


# ---------------------------------------------------------------------------------------------
# The server process

class PostgresSchema:
    """A fresh schema in the test PostgreSQL database, for one server's metadata; `state` is the
    state directory of another server scripts/test-postgres.sh started (default: ctest's)."""

    def __init__(self, state=None):
        with open(os.path.join(state or test_server_state("postgres"), "conninfo")) as f:
            self.server = f.read().strip()
        self.name = "it_%d_%s" % (os.getpid(), os.urandom(4).hex())
        self.psql("CREATE SCHEMA %s" % self.name)
        self.conninfo = "%s options='-csearch_path=%s'" % (self.server, self.name)

    def psql(self, sql, conninfo=None):
        """Runs SQL; returns the rows as lists of strings."""
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                              "-d", conninfo or self.server, "-c", sql],
                             capture_output=True, text=True, timeout=CLI_TIMEOUT, check=True).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def drop(self):
        self.psql("DROP SCHEMA IF EXISTS %s CASCADE" % self.name)


class RgwBucket:
    """A fresh bucket on the test Ceph RGW, for one pool's blobs."""

    def __init__(self):
        state = test_server_state("rgw")

        def read(name):
            with open(os.path.join(state, name)) as f:
                return f.read().strip()
        self.endpoint, self.access_key, self.secret_key = read("endpoint"), read("access_key"), read("secret_key")
        self.name = "herd-it-%d-%s" % (os.getpid(), os.urandom(4).hex())
        self.s3 = boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=self.access_key,
                               aws_secret_access_key=self.secret_key, region_name="us-east-1",
                               config=Config(s3={"addressing_style": "path"}))
        self.s3.create_bucket(Bucket=self.name)

    def keys(self, prefix=""):
        out = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix):
            out.extend(o["Key"] for o in page.get("Contents", []))
        return sorted(out)

    def config(self):
        return ('\n[blobs]\nbackend = "s3"\nendpoint = "%s"\nbucket = "%s"\naccess_key = "%s"\nsecret_key = "%s"\n'
                'timeout_seconds = 10\n' % (self.endpoint, self.name, self.access_key, self.secret_key))

    def drop(self):
        for key in self.keys():
            self.s3.delete_object(Bucket=self.name, Key=key)
        self.s3.delete_bucket(Bucket=self.name)


class Backends:
    """The metadata and blob backends one pool's nodes share: per HERD_TEST_META/HERD_TEST_BLOBS,
    a PostgreSQL schema and an RGW bucket of its own, or nothing (SQLite and disk live in each
    data directory)."""

    def __init__(self, meta=None, blobs=None, postgres_state=None):
        self.pg = PostgresSchema(postgres_state) if (meta or META) == "postgres" else None
        self.rgw = RgwBucket() if (blobs or BLOBS) == "s3" else None
        self.users = 0  # servers using them; dropped when the last is cleaned up

    def config(self):
        text = ""
        if self.pg:
            text += '\n[meta]\nbackend = "postgres"\nurl = "%s"\nconnections = 8\n' % self.pg.conninfo
        if self.rgw:
            text += self.rgw.config()
        return text

    def drop(self):
        if self.pg:
            self.pg.drop()
        if self.rgw:
            self.rgw.drop()


# Data directory -> its PostgreSQL schema, for the servers running with HERD_TEST_META=postgres.
_SCHEMAS = {}


def packed_blobs(data_dir):
    """[(hex sha256, pack, offset, refcount)] of every packed blob row of the server whose data
    directory is `data_dir`, read from its metadata (SQLite file or PostgreSQL schema)."""
    schema = _SCHEMAS.get(data_dir)
    if schema is not None:
        rows = schema.psql("SELECT encode(sha256, 'hex'), pack, pack_offset, refcount FROM blobs "
                           "WHERE pack IS NOT NULL", schema.conninfo)
        return [(sha, int(pack), int(offset), int(refs)) for sha, pack, offset, refs in rows]
    db = sqlite3.connect(os.path.join(data_dir, "herd.db"), timeout=30)
    try:
        rows = db.execute("SELECT sha256, pack, pack_offset, refcount FROM blobs WHERE pack IS NOT NULL").fetchall()
    finally:
        db.close()
    return [(sha.hex(), pack, offset, refs) for sha, pack, offset, refs in rows]


class HerdServer:
    """One `herd serve` process on its own temporary data directory."""

    def __init__(self, config_text=None, share_with=None, meta=None, blobs=None, postgres_state=None):
        """`share_with`: another HerdServer whose backends (PostgreSQL schema, RGW bucket) this one
        uses too, as a second node of the same pool; `meta`/`blobs` override HERD_TEST_META/BLOBS;
        `postgres_state`: the PostgreSQL server to use (a state directory of test-postgres.sh)."""
        self.root = tempfile.mkdtemp(prefix="herd-it-")
        self.data = os.path.join(self.root, "data")
        os.mkdir(self.data)
        self.work = os.path.join(self.root, "work")  # client configs, local files, HOME
        os.mkdir(self.work)
        self.log_path = os.path.join(self.root, "server.log")
        self.config_path = None
        self.cli_config = []  # what every CLI call adds: the server's own configuration
        self.backends = share_with.backends if share_with else Backends(meta, blobs, postgres_state)
        self.backends.users += 1
        self.pg = self.backends.pg
        if self.pg is not None:
            _SCHEMAS[self.data] = self.pg
        shared = self.backends.config()
        if shared:
            config_text = (config_text or "") + shared
        if config_text is not None:
            self.config_path = os.path.join(self.root, "herd.toml")
            with open(self.config_path, "w") as f:
                f.write(config_text)
            self.cli_config = ["--config", self.config_path]
        self.port = None
        self.proc = None
        self._log = None

    # -- lifecycle --

    def start(self):
        if not os.access(HERD_BIN, os.X_OK):
            raise RuntimeError("herd binary not found or not executable: %s (set HERD_BIN)" % HERD_BIN)
        last_error = None
        for _attempt in range(3):  # a "free" port can be stolen between probe and bind
            self.port = free_port()
            args = [HERD_BIN, "serve", "--data", self.data, "--listen", "127.0.0.1:%d" % self.port]
            if self.config_path:
                args += ["--config", self.config_path]
            self._log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log,
                                         stderr=subprocess.STDOUT)
            if self._wait_ready():
                return self
            if self.proc.poll() is not None:
                last_error = "herd serve exited with code %d before accepting connections" % (
                    self.proc.returncode)
            else:
                last_error = "herd serve did not accept connections on port %d within %.0fs" % (
                    self.port, STARTUP_TIMEOUT)
            self._kill()
        raise RuntimeError("%s\n--- server log ---\n%s" % (last_error, self.log_tail()))

    def _wait_ready(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)
        if self._log:
            self._log.close()
            self._log = None

    def stop(self):
        """SIGTERMs the server; returns its exit code (None if it had to be killed)."""
        code = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    code = self.proc.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self._kill()
                    code = None
            else:
                code = self.proc.returncode
        if self._log:
            self._log.close()
            self._log = None
        return code

    def cleanup(self):
        if KEEP:
            print("HERD_KEEP: keeping %s" % self.root)
            return
        shutil.rmtree(self.root, ignore_errors=True)
        _SCHEMAS.pop(self.data, None)
        self.backends.users -= 1
        if self.backends.users == 0:
            self.backends.drop()

    def log_tail(self, n=60):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return "(no log)"

    # -- addresses and dirs --

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def blobs_dir(self):
        return os.path.join(self.data, "blobs")

    @property
    def tmp_dir(self):
        return os.path.join(self.data, "tmp")

    @property
    def packs_dir(self):
        return os.path.join(self.data, "packs")

    def blob_files(self):
        """Blobs stored as files of their own (large bodies), relative to blobs_dir."""
        return files_under(self.blobs_dir)

    def packed_blob_names(self):
        """Hex digests of the blobs stored in packs (small bodies) that GC has not removed yet."""
        return sorted(row[0] for row in packed_blobs(self.data))

    def blob_names(self):
        """Hex digests of every stored blob: files and packed, or the keys of the RGW bucket."""
        if self.backends.rgw is not None:
            return sorted(k[len("blobs/"):] for k in self.backends.rgw.keys("blobs/"))
        return sorted([os.path.basename(p) for p in self.blob_files()] + self.packed_blob_names())

    def tmp_files(self):
        return files_under(self.tmp_dir)

    # -- the CLI --

    def cli(self, *args, check=True, timeout=CLI_TIMEOUT):
        """Runs `herd ARGS --data DIR`; returns the CompletedProcess (text mode)."""
        cmd = [HERD_BIN] + list(args) + ["--data", self.data] + self.cli_config
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError("%s exited %d\nstdout: %s\nstderr: %s"
                                 % (" ".join(cmd), proc.returncode, proc.stdout, proc.stderr))
        return proc

    def create_tenant(self, name):
        proc = self.cli("tenant", "create", name, "--json")
        try:
            obj = json.loads(proc.stdout)
        except ValueError:
            raise AssertionError("tenant create printed non-JSON: %r" % proc.stdout)
        for field in ("name", "access_key", "secret_key"):
            if not isinstance(obj.get(field), str) or not obj[field]:
                raise AssertionError("tenant create JSON lacks %r: %r" % (field, obj))
        return Tenant(obj["name"], obj["access_key"], obj["secret_key"])

    def stats(self):
        proc = self.cli("stats", "--json")
        try:
            return json.loads(proc.stdout)
        except ValueError:
            raise AssertionError("stats printed non-JSON: %r" % proc.stdout)

    def gc(self):
        return self.cli("gc", "--grace", "0")

    # -- clients --

    def client(self, tenant, region="us-east-1", payload_signing=None, **config):
        """A boto3 S3 client for `tenant`: path-style, no retries."""
        s3cfg = {"addressing_style": "path"}
        if payload_signing is not None:
            s3cfg["payload_signing_enabled"] = payload_signing
        cfg = Config(s3=s3cfg, signature_version="s3v4",
                     retries={"total_max_attempts": 1, "mode": "standard"},
                     connect_timeout=10, read_timeout=60, max_pool_connections=32, **config)
        session = boto3.session.Session(aws_access_key_id=tenant.access_key,
                                        aws_secret_access_key=tenant.secret_key,
                                        region_name=region)
        return session.client("s3", endpoint_url=self.endpoint, config=cfg)

    def raw(self, method, path, **kwargs):
        return raw_request(self.port, method, path, **kwargs)

    # -- environments for the command-line clients --

    def base_env(self):
        home = os.path.join(self.work, "home")
        os.makedirs(home, exist_ok=True)
        return {
            "PATH": "/usr/bin:/bin",
            "HOME": home,
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TMPDIR": self.work,
        }

    def awscli_env(self, tenant, region="eu-west-3"):
        cfg = os.path.join(self.work, "aws-config")
        creds = os.path.join(self.work, "aws-credentials")
        with open(cfg, "w") as f:
            f.write("[default]\n"
                    "s3 =\n"
                    "  multipart_threshold = 1GB\n"
                    "  multipart_chunksize = 1GB\n"
                    "  addressing_style = path\n")
        with open(creds, "w") as f:
            f.write("")
        env = self.base_env()
        env.update({
            "AWS_ACCESS_KEY_ID": tenant.access_key,
            "AWS_SECRET_ACCESS_KEY": tenant.secret_key,
            "AWS_DEFAULT_REGION": region,
            "AWS_CONFIG_FILE": cfg,
            "AWS_SHARED_CREDENTIALS_FILE": creds,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_PAGER": "",
            "AWS_CLI_AUTO_PROMPT": "off",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_RETRY_MODE": "standard",
        })
        return env

    def s3cmd_config(self, tenant, name="s3cmd.cfg"):
        path = os.path.join(self.work, name)
        host = "127.0.0.1:%d" % self.port
        with open(path, "w") as f:
            f.write("[default]\n"
                    "access_key = %s\n"
                    "secret_key = %s\n"
                    "host_base = %s\n"
                    "host_bucket = %s\n"
                    "use_https = False\n"
                    "signature_v2 = False\n"
                    "bucket_location = us-east-1\n"
                    "enable_multipart = False\n"
                    "progress_meter = False\n"
                    "check_ssl_certificate = False\n"
                    "socket_timeout = 60\n"
                    "max_retries = 1\n" % (tenant.access_key, tenant.secret_key, host, host))
        return path

    def rclone_config(self, tenant, remote="herd", name="rclone.conf", region="us-east-1"):
        path = os.path.join(self.work, name)
        with open(path, "w") as f:
            f.write("[%s]\n"
                    "type = s3\n"
                    "provider = Other\n"
                    "env_auth = false\n"
                    "access_key_id = %s\n"
                    "secret_access_key = %s\n"
                    "endpoint = %s\n"
                    "region = %s\n"
                    "force_path_style = true\n" % (remote, tenant.access_key, tenant.secret_key,
                                                   self.endpoint, region))
        return path


# ---------------------------------------------------------------------------------------------
# Test-case base class

def shutdown_server(server):
    """Stops and removes a test server; raises if it left temp files or did not exit 0 on SIGTERM."""
    clean = bounded_wait(lambda: not server.tmp_files(), 5.0) if server.proc else True
    leftovers = [] if clean else server.tmp_files()
    code = server.stop()
    log = server.log_tail()
    server.cleanup()
    if leftovers:
        raise AssertionError("temp files left under DIR/tmp: %r" % leftovers)
    if server.proc is not None and code != 0:
        raise AssertionError("herd serve did not exit 0 on SIGTERM (exit code %r)\n"
                             "--- server log ---\n%s" % (code, log))


def quiet_resource_warnings():
    """boto3 keeps pooled keep-alive sockets open until garbage collection; that is not a bug."""
    warnings.filterwarnings("ignore", category=ResourceWarning)


class HerdTestCase(unittest.TestCase):
    """Starts one server per test class, creates `TENANTS` on it, tears it all down afterwards.

    Subclasses set TENANTS (names) and optionally SERVER_CONFIG (TOML text for --config).
    """

    TENANTS = ("alice",)
    SERVER_CONFIG = None
    server = None
    tenants = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        quiet_resource_warnings()
        cls._bucket_counter = 0
        cls.server = HerdServer(cls.SERVER_CONFIG)
        # A class cleanup runs even when setUpClass (here or in a subclass) fails half-way.
        cls.addClassCleanup(shutdown_server, cls.server)
        cls.server.start()
        cls.tenants = {name: cls.server.create_tenant(name) for name in cls.TENANTS}

    def setUp(self):
        super().setUp()
        quiet_resource_warnings()

    def tearDown(self):
        # A crashed server would turn every later test into a confusing connection error.
        if self.server.proc is not None and self.server.proc.poll() is not None:
            self.fail("herd serve died (exit code %r)\n--- server log ---\n%s"
                      % (self.server.proc.returncode, self.server.log_tail()))
        super().tearDown()

    # -- conveniences --

    @classmethod
    def unique_bucket(cls, stem="bkt"):
        cls._bucket_counter += 1
        return "%s-%s-%d" % (stem, cls.__name__.lower()[:20], cls._bucket_counter)

    def client(self, tenant_name=None, **kwargs):
        tenant = self.tenants[tenant_name or self.TENANTS[0]]
        return self.server.client(tenant, **kwargs)

    def raw(self, method, path, tenant_name=None, anonymous=False, **kwargs):
        tenant = None if anonymous else self.tenants[tenant_name or self.TENANTS[0]]
        return self.server.raw(method, path, tenant=tenant, **kwargs)

    def assertClientError(self, call, status, code=None):
        """Asserts that `call()` raises a botocore ClientError with this status (and code)."""
        with self.assertRaises(ClientError) as ctx:
            call()
        err = ctx.exception.response
        got_status = err.get("ResponseMetadata", {}).get("HTTPStatusCode")
        got_code = err.get("Error", {}).get("Code")
        self.assertEqual(got_status, status, "unexpected status; error: %r" % err.get("Error"))
        if code is not None:
            self.assertEqual(got_code, code, "unexpected code; error: %r" % err.get("Error"))
        return ctx.exception

    def assertS3Error(self, resp, status, code):
        """Asserts a raw response is an S3 XML error with this status and code."""
        detail = "%s %s\n%r" % (resp.status, resp.reason, resp.body[:600])
        self.assertEqual(resp.status, status, "unexpected status: " + detail)
        got_code, message = parse_error(resp.body)
        self.assertEqual(got_code, code, "unexpected error code: " + detail)
        self.assertTrue(message, "error has no <Message>: " + detail)
        ctype = resp.headers.get("content-type", "")
        self.assertIn("xml", ctype, "error Content-Type is %r" % ctype)

    def assertNoTempFiles(self, timeout=5.0):
        """DIR/tmp must drain (allowing the server a moment to clean up an aborted upload)."""
        left = bounded_wait(lambda: not self.server.tmp_files(), timeout)
        self.assertTrue(left, "leftover temp files: %r" % self.server.tmp_files())

    def assertObjectMissing(self, bucket, key, tenant_name=None):
        s3 = self.client(tenant_name)
        self.assertClientError(lambda: s3.head_object(Bucket=bucket, Key=key), 404)


def main():
    unittest.main(verbosity=2)
