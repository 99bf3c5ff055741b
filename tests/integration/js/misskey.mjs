// Drives a Herd server with @aws-sdk/client-s3 + @aws-sdk/lib-storage the way Misskey does
// (packages/backend/src/core/S3Service.ts and DriveService.ts). Run by
// tests/integration/test_compat_misskey.py.
//
// Usage: node misskey.mjs default|when_required [misskey|stream]
//   default        the SDK's own checksum defaults (WHEN_SUPPORTED: CRC32 headers / aws-chunked
//                  trailers on uploads, response checksum validation on GetObject)
//   when_required  requestChecksumCalculation / responseChecksumValidation 'WHEN_REQUIRED', as
//                  Misskey sets them since 2025.3
//   misskey (default) the Misskey flow: lib-storage uploads, get, head, range, delete
//   stream         PutObjectCommand with a file stream body (not Misskey's way, but what a plain
//                  @aws-sdk v3 user sends: aws-chunked with a CRC32 trailer in default mode)
// Environment: HERD_ENDPOINT, HERD_ACCESS_KEY, HERD_SECRET_KEY, HERD_BUCKET, HERD_WORKDIR.
// Prints one JSON line {"ok": bool, ...} on stdout; exits 0 only if every step passed.

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRequire } from 'node:module';

import {
  S3Client, PutObjectCommand, CreateBucketCommand, HeadBucketCommand, GetObjectCommand, HeadObjectCommand,
  DeleteObjectCommand, ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const require = createRequire(import.meta.url);
const mode = process.argv[2];
const scenario = process.argv[3] || 'misskey';
if ((mode !== 'default' && mode !== 'when_required') || (scenario !== 'misskey' && scenario !== 'stream')) {
  console.error('usage: node misskey.mjs default|when_required [misskey|stream]');
  process.exit(2);
}
const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`missing environment variable ${name}`);
  return v;
};
const ENDPOINT = env('HERD_ENDPOINT');
const BUCKET = env('HERD_BUCKET');
const WORKDIR = env('HERD_WORKDIR');
const CACHE_CONTROL = 'max-age=31536000, immutable';
const PART_SIZE = 8 * 1024 * 1024;

// Every request as it goes on the wire (after signing): what the SDK chose to send.
const wire = [];
class RecordingHandler extends NodeHttpHandler {
  async handle(request, options) {
    const hdr = (n) => {
      for (const [k, v] of Object.entries(request.headers)) if (k.toLowerCase() === n) return v;
      return undefined;
    };
    const checksumHeaders = Object.keys(request.headers)
      .map((k) => k.toLowerCase())
      .filter((k) => k.startsWith('x-amz-checksum-') || k === 'x-amz-sdk-checksum-algorithm' || k === 'x-amz-trailer' || k === 'content-md5');
    wire.push({
      method: request.method,
      query: Object.keys(request.query || {}).sort().join(','),
      payload: hdr('x-amz-content-sha256'),
      encoding: hdr('content-encoding'),
      checksums: checksumHeaders.sort(),
      length: hdr('content-length'),
      decoded: hdr('x-amz-decoded-content-length'),
      te: hdr('transfer-encoding'),
    });
    return super.handle(request, options);
  }
}

// S3Service.getS3Client, with the endpoint set (so forcePathStyle) and http (tls false).
function misskeyClient() {
  const config = {
    endpoint: ENDPOINT,
    credentials: { accessKeyId: env('HERD_ACCESS_KEY'), secretAccessKey: env('HERD_SECRET_KEY') },
    region: 'us-east-1',
    tls: false,
    forcePathStyle: true,
    maxAttempts: 1,
    requestHandler: new RecordingHandler({ connectionTimeout: 10000, requestTimeout: 60000 }),
  };
  if (mode === 'when_required') {
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  return new S3Client(config);
}

const client = misskeyClient();
const steps = [];
const facts = {};
let current = 'setup';

async function step(name, fn) {
  current = name;
  const t0 = performance.now();
  const value = await fn();
  steps.push({ name, ms: Math.round(performance.now() - t0) });
  return value;
}

function check(cond, message) {
  if (!cond) throw new Error(`check failed: ${message}`);
}

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

function makeFile(name, size, seed) {
  // Deterministic pseudo-random content (seeded xorshift), so both modes upload the same bytes.
  const buf = Buffer.allocUnsafe(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    buf.writeUInt32LE(x, i <= size - 4 ? i : size - 4);
  }
  const path = join(WORKDIR, name);
  writeFileSync(path, buf);
  return { path, sha: sha256(buf), size };
}

// DriveService.upload -> S3Service.upload: lib-storage Upload with 8 MiB parts, stream body.
async function misskeyUpload(key, file, type, filename) {
  const params = {
    Bucket: BUCKET,
    Key: key,
    Body: createReadStream(file.path),
    ContentType: type,
    CacheControl: CACHE_CONTROL,
    ContentDisposition: `inline; filename="${filename}"`,
    ACL: 'public-read',
  };
  const upload = new Upload({ client, params, partSize: PART_SIZE });
  return upload.done();
}

// Not Misskey, but what any @aws-sdk v3 user gets from PutObject with a stream body: with the
// default checksum settings the SDK sends it aws-chunked with an x-amz-checksum-crc32 trailer.
async function streamPut(key, file, type, filename) {
  return client.send(new PutObjectCommand({
    Bucket: BUCKET,
    Key: key,
    Body: createReadStream(file.path),
    ContentLength: file.size,
    ContentType: type,
    CacheControl: CACHE_CONTROL,
    ContentDisposition: `inline; filename="${filename}"`,
  }));
}

async function bodyBytes(resp) {
  return Buffer.from(await resp.Body.transformToByteArray());
}

async function roundTrip(label, file, type, filename, expectMultipart, uploader = misskeyUpload) {
  const key = `${label}-${randomUUID()}${filename.slice(filename.lastIndexOf('.'))}`;
  const before = wire.length;
  const result = await step(`upload ${label}`, () => uploader(key, file, type, filename));
  const sent = wire.slice(before);
  const multipart = sent.some((r) => r.method === 'POST' && r.query === 'uploads');
  check(multipart === expectMultipart, `${label}: multipart=${multipart}, expected ${expectMultipart}`);
  check(result.Key === key || result.Key === undefined, `Upload result Key ${result.Key}`);
  facts[`${label}_etag`] = result.ETag;
  facts[`${label}_requests`] = sent;

  await step(`get ${label}`, async () => {
    const resp = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const body = await bodyBytes(resp);
    check(body.length === file.size, `GetObject length ${body.length} != ${file.size}`);
    check(sha256(body) === file.sha, 'GetObject body sha256 differs');
    check(resp.ContentType === type, `GetObject ContentType ${resp.ContentType}`);
  });
  await step(`head ${label}`, async () => {
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    check(head.ContentLength === file.size, `HeadObject ContentLength ${head.ContentLength}`);
    check(head.ContentType === type, `HeadObject ContentType ${head.ContentType}`);
    check(head.CacheControl === CACHE_CONTROL, `HeadObject CacheControl ${head.CacheControl}`);
    check(head.ContentDisposition === `inline; filename="${filename}"`, `HeadObject ContentDisposition ${head.ContentDisposition}`);
    if (expectMultipart) check(/^"[0-9a-f]{32}-\d+"$/.test(head.ETag), `multipart ETag ${head.ETag}`);
    else check(head.ETag === `"${createHash('md5').update(await readFile(file.path)).digest('hex')}"`, `ETag ${head.ETag}`);
  });
  await step(`range ${label}`, async () => {
    const resp = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: 'bytes=1000-1999' }));
    const body = await bodyBytes(resp);
    const whole = await readFile(file.path);
    check(body.equals(whole.subarray(1000, 2000)), 'Range body differs');
    check(resp.ContentRange === `bytes 1000-1999/${file.size}`, `ContentRange ${resp.ContentRange}`);
  });
  await step(`delete ${label}`, async () => {
    const resp = await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    check(resp.$metadata.httpStatusCode === 204, `DeleteObject status ${resp.$metadata.httpStatusCode}`);
    let status = 0;
    try {
      await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      status = 200;
    } catch (e) {
      status = e.$metadata?.httpStatusCode ?? -1;
    }
    check(status === 404, `HeadObject after delete: ${status}`);
    // Misskey tolerates NoSuchKey on delete; S3 answers 204 anyway.
    const again = await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    check(again.$metadata.httpStatusCode === 204, `second DeleteObject status ${again.$metadata.httpStatusCode}`);
  });
  return key;
}

async function main() {
  const out = { ok: true, mode, scenario };
  try {
    out.sdk = require('@aws-sdk/client-s3/package.json').version;
    out.lib_storage = require('@aws-sdk/lib-storage/package.json').version;
  } catch {
    // package.json may not be exported; not important
  }
  mkdirSync(WORKDIR, { recursive: true });
  try {
    await step('create bucket', async () => {
      try {
        await client.send(new HeadBucketCommand({ Bucket: BUCKET }));
      } catch {
        await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
      }
    });
    const small = makeFile('small.png', 150_000, 11);
    if (scenario === 'stream') {
      const odd = makeFile('odd.webp', PART_SIZE + 12345, 13);
      await roundTrip('stream', odd, 'image/webp', 'stream.webp', false, streamPut);
      await roundTrip('stream_small', small, 'image/png', 'x.png', false, streamPut);
      return finish(out);
    }
    const big = makeFile('big.mp4', 20 * 1024 * 1024, 12);
    const odd = makeFile('odd.webp', PART_SIZE + 12345, 13);
    await roundTrip('small', small, 'image/png', 'x.png', false);
    await roundTrip('big', big, 'video/mp4', 'clip.mp4', true);
    await roundTrip('odd', odd, 'image/webp', 'odd.webp', true);
    // A key Misskey would write for the webpublic / thumbnail variants, left in place for the
    // python side to inspect.
    const keep = `webpublic-${randomUUID()}.webp`;
    await step('upload kept', () => misskeyUpload(keep, small, 'image/webp', 'x.webp'));
    await step('list', async () => {
      const resp = await client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
      const keys = (resp.Contents || []).map((o) => o.Key);
      check(keys.length === 1 && keys[0] === keep, `listing after deletes: ${JSON.stringify(keys)}`);
    });
    facts.kept = { key: keep, sha256: small.sha };
  } catch (e) {
    out.ok = false;
    out.step = current;
    out.error = String(e && e.message ? e.message : e).slice(0, 2000);
    out.name = e?.name;
    out.code = e?.Code ?? e?.code;
    out.status = e?.$metadata?.httpStatusCode;
    out.stack = String(e?.stack || '').split('\n').slice(0, 8);
    out.last_requests = wire.slice(-3);
  }
  return finish(out);
}

function finish(out) {
  for (const name of ['small.png', 'big.mp4', 'odd.webp']) rmSync(join(WORKDIR, name), { force: true });
  out.steps = steps;
  out.facts = facts;
  out.wire = wire.length;
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exitCode = out.ok ? 0 : 1;
}

// Belt and braces: never hang the python test.
setTimeout(() => {
  process.stdout.write(JSON.stringify({ ok: false, mode, step: current, error: 'timed out after 100 s' }) + '\n');
  process.exit(1);
}, 100_000).unref();

await main();
