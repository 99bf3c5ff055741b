# frozen_string_literal: true
#
# Drives a Herd server with aws-sdk-s3 for Ruby the way Mastodon does (config/initializers/
# paperclip.rb + kt-paperclip's flush_writes, tootctl media, UpdateMediaAttachmentsPermissions-
# Service, archive presigning). Run by tests/integration/test_compat_mastodon.py.
#
# Usage: ruby mastodon.rb SCENARIO
# Environment: HERD_ENDPOINT (http://127.0.0.1:PORT), HERD_ACCESS_KEY, HERD_SECRET_KEY,
#              HERD_BUCKET (created here, as Mastodon does on NoSuchBucket), HERD_WORKDIR (scratch
#              directory for local files).
# Prints one JSON object on stdout: {"ok": true, "scenario": ..., "sdk": ..., ...facts} and exits 0,
# or {"ok": false, "error": ..., "class": ..., "status": ..., "code": ..., "step": ...} and exits 1.

require 'aws-sdk-s3'
require 'digest'
require 'json'
require 'logger'
require 'net/http'
require 'securerandom'
require 'uri'

ENDPOINT = ENV.fetch('HERD_ENDPOINT')
BUCKET = ENV.fetch('HERD_BUCKET')
WORKDIR = ENV.fetch('HERD_WORKDIR')
CACHE_CONTROL = 'public, max-age=315576000, immutable'
MULTIPART_THRESHOLD = 15 * 1024 * 1024 # S3_MULTIPART_THRESHOLD default (15.megabytes)
ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers'

$facts = {}
$step = 'setup'

def step(name)
  $step = name
  yield
end

def check(condition, message)
  raise "check failed: #{message}" unless condition
end

# The client options Mastodon builds from its environment (S3_ENDPOINT set, so path style;
# S3_OPEN_TIMEOUT / S3_READ_TIMEOUT default 5 s, idle timeout 5 s, S3_RETRY_LIMIT default 0).
def s3_client
  Aws::S3::Client.new(
    endpoint: ENDPOINT,
    force_path_style: true,
    region: 'us-east-1',
    access_key_id: ENV.fetch('HERD_ACCESS_KEY'),
    secret_access_key: ENV.fetch('HERD_SECRET_KEY'),
    signature_version: 'v4',
    http_open_timeout: 5,
    http_read_timeout: 5,
    http_idle_timeout: 5,
    retry_limit: 0,
    # HERD_WIRE_TRACE=1: dump every request and response to stderr (debugging aid).
    **(ENV['HERD_WIRE_TRACE'] == '1' ? { http_wire_trace: true, logger: Logger.new($stderr) } : {})
  )
end

CLIENT = s3_client
RESOURCE = Aws::S3::Resource.new(client: CLIENT)

def bucket
  RESOURCE.bucket(BUCKET)
end

def ensure_bucket
  CLIENT.head_bucket(bucket: BUCKET)
rescue Aws::S3::Errors::NotFound, Aws::S3::Errors::NoSuchBucket
  CLIENT.create_bucket(bucket: BUCKET)
end

def sha256(data)
  Digest::SHA256.hexdigest(data)
end

def file_sha256(path)
  Digest::SHA256.file(path).hexdigest
end

def write_random(path, size, seed)
  rng = Random.new(seed)
  File.open(path, 'wb') do |f|
    left = size
    while left.positive?
      n = [left, 1 << 20].min
      f.write(rng.bytes(n))
      left -= n
    end
  end
  path
end

# A Mastodon-style key: media_attachments/files/<id partition>/<style>/<16 hex>.<ext>
def media_key(style, ext, id = nil)
  id ||= format('%018d', rand(10**18))
  partition = id.scan(/.{3}/).join('/')
  "media_attachments/files/#{partition}/#{style}/#{SecureRandom.hex(8)}.#{ext}"
end

# kt-paperclip's flush_writes: Object#upload_file with the attachment's headers and options.
def paperclip_write(key, path, content_type, acl: 'public-read', **extra)
  bucket.object(key).upload_file(path, content_type: content_type, acl: acl,
                                       cache_control: CACHE_CONTROL,
                                       multipart_threshold: MULTIPART_THRESHOLD, **extra)
end

def grants_of(acl)
  acl.grants.map do |g|
    who = g.grantee.uri || g.grantee.id || g.grantee.display_name
    [g.grantee.type, who, g.permission]
  end
end

def public_read?(acl)
  acl.grants.any? { |g| g.grantee.uri == ALL_USERS && g.permission == 'READ' }
end

def anonymous_get_status(key)
  uri = URI("#{ENDPOINT}/#{BUCKET}/#{key.split('/').map { |p| URI.encode_www_form_component(p).gsub('+', '%20') }.join('/')}")
  Net::HTTP.start(uri.host, uri.port, open_timeout: 5, read_timeout: 10) do |http|
    http.request(Net::HTTP::Get.new(uri)).code.to_i
  end
end

# Object#download_file (what PostProcessMediaWorker / reprocessing use), into a fresh path.
def download_compare(key, expected_sha, name, **opts)
  dest = File.join(WORKDIR, "dl-#{name}-#{SecureRandom.hex(4)}")
  bucket.object(key).download_file(dest, **opts)
  got = file_sha256(dest)
  check(got == expected_sha, "download_file(#{opts.inspect}) of #{key}: sha256 #{got} != #{expected_sha}")
  File.size(dest)
ensure
  File.delete(dest) if dest && File.exist?(dest)
end

# ---------------------------------------------------------------------------------------------
# Scenarios

# Small media: Resource Object#put and #upload_file (one PutObject), metadata, ACL, byte-exact GET.
def scenario_small
  original = write_random(File.join(WORKDIR, 'small.jpg'), 300_000, 1)
  thumb = 'thumbnail bytes ' * 1000
  k_orig = media_key('original', 'jpg')
  k_small = media_key('small', 'png')
  step('upload_file small') { paperclip_write(k_orig, original, 'image/jpeg') }
  step('Object#put') do
    bucket.object(k_small).put(body: thumb, acl: 'public-read', content_type: 'image/png',
                               cache_control: CACHE_CONTROL)
  end
  step('get_object') do
    resp = CLIENT.get_object(bucket: BUCKET, key: k_orig)
    body = resp.body.read
    check(sha256(body) == file_sha256(original), 'GET body differs from the uploaded file')
    check(resp.content_type == 'image/jpeg', "Content-Type #{resp.content_type.inspect}")
    check(resp.cache_control == CACHE_CONTROL, "Cache-Control #{resp.cache_control.inspect}")
    check(resp.etag == "\"#{Digest::MD5.file(original).hexdigest}\"", "ETag #{resp.etag}")
    body2 = CLIENT.get_object(bucket: BUCKET, key: k_small).body.read
    check(body2.b == thumb.b, 'Object#put body differs')
  end
  step('head_object') do
    head = bucket.object(k_small).load
    check(head.content_length == thumb.bytesize, "content_length #{head.content_length}")
    check(head.content_type == 'image/png', "content_type #{head.content_type.inspect}")
    check(head.cache_control == CACHE_CONTROL, "cache_control #{head.cache_control.inspect}")
  end
  step('get_object_acl') do
    acl = bucket.object(k_orig).acl
    check(public_read?(acl), "public-read upload has no AllUsers READ grant: #{grants_of(acl)}")
    $facts[:acl_after_upload] = grants_of(acl)
  end
  step('download_file small (single request)') do
    $facts[:download_small] = download_compare(k_orig, file_sha256(original), 'small')
  end
  step('Range GET') do
    resp = CLIENT.get_object(bucket: BUCKET, key: k_orig, range: 'bytes=100-199')
    data = File.binread(original, 100, 100)
    check(resp.body.read.b == data.b, 'Range body differs')
    check(resp.content_range == "bytes 100-199/#{File.size(original)}", "Content-Range #{resp.content_range}")
  end
  step('delete_object') do
    bucket.object(k_small).delete
    begin
      CLIENT.head_object(bucket: BUCKET, key: k_small)
      check(false, 'HEAD after delete succeeded')
    rescue Aws::S3::Errors::NotFound
      nil
    end
    bucket.object(k_small).delete # deleting again is fine (Mastodon ignores errors, S3 says 204)
  end
  { keys: [k_orig] }
end

# Large media over the multipart threshold: upload_file goes multipart (5 MiB parts, 10 threads);
# the data comes back byte-exact through GET, download_file (HEAD ?partNumber=1 then part GETs)
# and ranged download_file.
def scenario_multipart(checksum_algorithm: nil)
  size = 20_000_000
  path = write_random(File.join(WORKDIR, 'video.mp4'), size, 2)
  digest = file_sha256(path)
  key = media_key('original', 'mp4')
  extra = checksum_algorithm ? { checksum_algorithm: checksum_algorithm } : {}
  step('upload_file multipart') { paperclip_write(key, path, 'video/mp4', **extra) }
  step('head_object') do
    head = CLIENT.head_object(bucket: BUCKET, key: key)
    check(head.content_length == size, "content_length #{head.content_length}")
    check(head.content_type == 'video/mp4', "content_type #{head.content_type.inspect}")
    check(head.cache_control == CACHE_CONTROL, "cache_control #{head.cache_control.inspect}")
    check(head.etag =~ /\A"[0-9a-f]{32}-4"\z/, "multipart ETag #{head.etag} (expected 4 parts)")
    $facts[:etag] = head.etag
  end
  step('head_object partNumber=1') do
    head = CLIENT.head_object(bucket: BUCKET, key: key, part_number: 1)
    check(head.parts_count == 4, "parts_count #{head.parts_count.inspect}")
    check(head.content_length == 5 * 1024 * 1024, "part 1 content_length #{head.content_length}")
  end
  step('get_object') do
    got = Digest::SHA256.new
    CLIENT.get_object(bucket: BUCKET, key: key) { |chunk| got.update(chunk) }
    check(got.hexdigest == digest, 'GET body differs from the uploaded file')
  end
  step('get_object_acl') do
    check(public_read?(bucket.object(key).acl), 'multipart upload lost its public-read ACL')
  end
  step('download_file auto') { download_compare(key, digest, 'auto') }
  step('download_file get_range') { download_compare(key, digest, 'range', mode: 'get_range', chunk_size: 6 * 1024 * 1024) }
  step('download_file single_request') { download_compare(key, digest, 'single', mode: 'single_request') }
  if checksum_algorithm
    step('checksum_mode ENABLED') do
      resp = CLIENT.head_object(bucket: BUCKET, key: key, checksum_mode: 'ENABLED')
      $facts[:checksum_crc32] = resp.checksum_crc32
      check(resp.checksum_crc32.to_s =~ /-4\z/, "HEAD checksum_crc32 #{resp.checksum_crc32.inspect}, expected a composite '...-4'")
    end
  end
  # A single PUT larger than 5 MiB: download_file takes ranged GETs (HEAD ?partNumber=1 has no
  # parts count for it).
  single = write_random(File.join(WORKDIR, 'single.gif'), 12_000_000, 3)
  skey = media_key('original', 'mp4')
  step('upload_file 12 MB (single PUT)') { paperclip_write(skey, single, 'video/mp4', **extra) }
  step('head_object partNumber=1 of a single PUT') do
    head = CLIENT.head_object(bucket: BUCKET, key: skey, part_number: 1)
    check(head.content_length == 12_000_000, "content_length #{head.content_length}")
    check(head.parts_count.nil? || head.parts_count <= 1, "parts_count #{head.parts_count.inspect}")
  end
  step('download_file auto (ranges)') { download_compare(skey, file_sha256(single), 'auto-single') }
  { key: key, sha256: digest }
end

# UpdateMediaAttachmentsPermissionsService: suspend -> private, unsuspend -> public-read.
def scenario_acl
  key = media_key('original', 'png')
  data = SecureRandom.random_bytes(5000)
  step('put public-read') do
    bucket.object(key).put(body: data, acl: 'public-read', content_type: 'image/png', cache_control: CACHE_CONTROL)
  end
  step('acl public-read') { check(public_read?(bucket.object(key).acl), 'no AllUsers READ grant after upload') }
  step('put_acl private') { bucket.object(key).acl.put(acl: 'private') }
  step('acl private') do
    acl = bucket.object(key).acl
    check(!public_read?(acl), "AllUsers grant survives acl private: #{grants_of(acl)}")
    check(acl.grants.any? { |g| g.permission == 'FULL_CONTROL' }, "owner lost FULL_CONTROL: #{grants_of(acl)}")
    check(!acl.owner.id.to_s.empty?, 'ACL has no owner id')
    $facts[:private_grants] = grants_of(acl)
  end
  step('anonymous GET of a private object') do
    status = anonymous_get_status(key)
    check(status == 403, "anonymous GET of a private object answered #{status}")
  end
  step('put_acl public-read, CRC32 like newer SDKs') do
    CLIENT.put_object_acl(bucket: BUCKET, key: key, acl: 'public-read', checksum_algorithm: 'CRC32')
  end
  step('acl public-read again') do
    acl = CLIENT.get_object_acl(bucket: BUCKET, key: key)
    check(acl.grants.any? { |g| g.grantee.uri == ALL_USERS && g.permission == 'READ' }, 'no AllUsers READ grant after unsuspend')
    $facts[:public_grants] = acl.grants.map { |g| [g.grantee.type, g.grantee.uri || g.grantee.id, g.permission] }
  end
  step('data unchanged') { check(CLIENT.get_object(bucket: BUCKET, key: key).body.read.b == data.b, 'body changed by ACL updates') }
  step('put_acl on a missing key') do
    begin
      CLIENT.put_object_acl(bucket: BUCKET, key: "#{key}.missing", acl: 'private')
      check(false, 'put_object_acl on a missing key succeeded')
    rescue Aws::S3::Errors::NoSuchKey
      nil # what Mastodon logs and ignores
    end
  end
  {}
end

# tootctl media remove / retention vacuum: DeleteObjects in quiet mode; remove-orphans paging.
def scenario_delete_objects
  keys = (0...30).map { |i| media_key('small', 'png', format('%018d', 110_000_000_000_000_000 + i)) }
  step('put 30 objects') do
    keys.each_with_index { |k, i| bucket.object(k).put(body: "object #{i}", acl: 'public-read', content_type: 'image/png') }
  end
  doomed = keys.first(20) + ['media_attachments/files/never/existed.png']
  step('delete_objects quiet') do
    resp = CLIENT.delete_objects(bucket: BUCKET, delete: { objects: doomed.map { |k| { key: k } }, quiet: true })
    check(resp.errors.empty?, "delete_objects errors: #{resp.errors.map(&:to_h)}")
    check(resp.deleted.empty?, "quiet mode listed #{resp.deleted.size} deleted keys")
  end
  step('remaining') do
    left = bucket.objects.map(&:key).sort
    check(left == keys.drop(20).sort, "after delete_objects: #{left.size} keys left, expected 10")
  end
  step('Bucket#delete_objects verbose, CRC32 like newer SDKs') do
    # aws-sdk-s3 >= 1.178 sends x-amz-checksum-crc32 instead of Content-MD5 here.
    resp = bucket.delete_objects(delete: { objects: keys.drop(20).first(3).map { |k| { key: k } } },
                                 checksum_algorithm: 'CRC32')
    check(resp.deleted.map(&:key).sort == keys.drop(20).first(3).sort, "verbose deleted #{resp.deleted.map(&:key)}")
  end
  { left: bucket.objects.count }
end

# tootctl media remove-orphans: ListObjectsV2 pages with start_after / continuation tokens.
def scenario_list
  ids = (0...23).map { |i| format('%018d', 109_000_000_000_000_000 + i * 1_000_000_007) }
  keys = ids.map { |id| media_key('original', 'jpg', id) } + ['accounts/avatars/000/000/001/original/a.png',
                                                            'cache/media_attachments/files/1/x.png']
  step('put') { keys.each { |k| bucket.object(k).put(body: k, content_type: 'image/jpeg') } }
  expected = keys.sort
  step('list_objects_v2 pages of 5') do
    got = []
    token = nil
    pages = 0
    loop do
      params = { bucket: BUCKET, max_keys: 5 }
      params[:continuation_token] = token if token
      resp = CLIENT.list_objects_v2(params)
      pages += 1
      check(resp.contents.size <= 5, "page of #{resp.contents.size} keys")
      got.concat(resp.contents.map(&:key))
      break unless resp.is_truncated
      token = resp.next_continuation_token
      check(token && !token.empty?, 'truncated page without NextContinuationToken')
      check(pages < 20, 'too many pages')
    end
    check(got == expected, "paged listing #{got.size} keys, expected #{expected.size} in order")
    $facts[:pages] = pages
  end
  step('list_objects_v2 start_after') do
    # remove-orphans resumes with start_after (its --start-after option)
    after = expected[9]
    resp = CLIENT.list_objects_v2(bucket: BUCKET, prefix: 'media_attachments/', start_after: after, max_keys: 1000)
    want = expected.select { |k| k.start_with?('media_attachments/') && k > after }
    check(resp.contents.map(&:key) == want, "start_after gave #{resp.contents.size} keys, expected #{want.size}")
  end
  step('Bucket#objects (auto-paging)') do
    got = bucket.objects(prefix: 'media_attachments/files/', max_keys: 4).map(&:key)
    want = expected.select { |k| k.start_with?('media_attachments/files/') }
    check(got == want, "Bucket#objects gave #{got.size} keys, expected #{want.size}")
  end
  step('list delimiter') do
    resp = CLIENT.list_objects_v2(bucket: BUCKET, delimiter: '/')
    prefixes = resp.common_prefixes.map(&:prefix).sort
    check(prefixes == %w[accounts/ cache/ media_attachments/], "common prefixes #{prefixes}")
  end
  { count: expected.size }
end

# Archive downloads / discarded media: presigned GET URLs fetched with a plain HTTP client.
def scenario_presign
  key = 'backups/dumps/000/000/001/original/archive-20240101.zip'
  data = SecureRandom.random_bytes(70_000)
  step('put private archive') { bucket.object(key).put(body: data, acl: 'private', content_type: 'application/zip') }
  url = nil
  step('presigned_url') { url = bucket.object(key).presigned_url(:get, expires_in: 3600) }
  step('Net::HTTP GET presigned') do
    uri = URI(url)
    resp = Net::HTTP.start(uri.host, uri.port, open_timeout: 5, read_timeout: 10) { |h| h.request(Net::HTTP::Get.new(uri)) }
    check(resp.code == '200', "presigned GET answered #{resp.code}: #{resp.body.to_s[0, 300]}")
    check(resp.body.b == data, 'presigned GET body differs')
    check(resp['Content-Type'] == 'application/zip', "Content-Type #{resp['Content-Type'].inspect}")
  end
  step('presigned with response-content-disposition') do
    u = bucket.object(key).presigned_url(:get, expires_in: 600,
                                               response_content_disposition: 'attachment; filename="archive.zip"')
    uri = URI(u)
    resp = Net::HTTP.start(uri.host, uri.port, open_timeout: 5, read_timeout: 10) { |h| h.request(Net::HTTP::Get.new(uri)) }
    check(resp.code == '200', "presigned GET answered #{resp.code}")
    check(resp['Content-Disposition'] == 'attachment; filename="archive.zip"',
          "Content-Disposition #{resp['Content-Disposition'].inspect}")
  end
  step('tampered presigned URL') do
    uri = URI(url.sub(/X-Amz-Signature=[0-9a-f]{4}/) { |m| m[0..-5] + (m[-4..] == '0000' ? '1111' : '0000') })
    resp = Net::HTTP.start(uri.host, uri.port, open_timeout: 5, read_timeout: 10) { |h| h.request(Net::HTTP::Get.new(uri)) }
    check(resp.code == '403', "tampered presigned GET answered #{resp.code}")
    check(resp.body.include?('SignatureDoesNotMatch'), "tampered presigned GET body #{resp.body[0, 300]}")
  end
  step('unsigned GET denied') do
    status = anonymous_get_status(key)
    check(status == 403, "anonymous GET of a private archive answered #{status}")
  end
  { url_host: URI(url).host }
end

# tootctl upgrade storage-schema: CopyObject to the new path, then DeleteObject of the old one.
def scenario_copy
  old_key = 'media_attachments/files/000/000/042/original/old.png'
  new_key = 'media_attachments/files/110/000/000/000/000/042/original/old.png'
  data = SecureRandom.random_bytes(40_000)
  step('put') { bucket.object(old_key).put(body: data, acl: 'public-read', content_type: 'image/png', cache_control: CACHE_CONTROL) }
  step('copy_to') { bucket.object(old_key).copy_to(bucket: BUCKET, key: new_key, acl: 'public-read') }
  step('delete old') { bucket.object(old_key).delete }
  step('get new') do
    resp = CLIENT.get_object(bucket: BUCKET, key: new_key)
    check(resp.body.read.b == data.b, 'copied body differs')
    check(resp.content_type == 'image/png', "copied Content-Type #{resp.content_type.inspect}")
  end
  step('old gone') do
    begin
      CLIENT.get_object(bucket: BUCKET, key: old_key)
      check(false, 'old key still readable')
    rescue Aws::S3::Errors::NoSuchKey
      nil
    end
  end
  {}
end

# kt-paperclip's flush_writes on a fresh install: upload_file, NoSuchBucket, create_bucket, retry.
# The 3 MB body goes with "Expect: 100-continue"; the error must come back at once, within the
# 5 s read timeout, without the body being sent or waited for.
def scenario_no_such_bucket
  name = "#{BUCKET}-late"
  path = write_random(File.join(WORKDIR, 'first.jpg'), 3_000_000, 4)
  key = media_key('original', 'jpg')
  attempts = 0
  t0 = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  step('upload_file to a missing bucket, then create it and retry') do
    begin
      attempts += 1
      RESOURCE.bucket(name).object(key).upload_file(path, content_type: 'image/jpeg', acl: 'public-read',
                                                          cache_control: CACHE_CONTROL,
                                                          multipart_threshold: MULTIPART_THRESHOLD)
    rescue Aws::S3::Errors::NoSuchBucket
      check(attempts == 1, 'NoSuchBucket after creating the bucket')
      CLIENT.create_bucket(bucket: name)
      retry
    end
  end
  $facts[:seconds_with_retry] = (Process.clock_gettime(Process::CLOCK_MONOTONIC) - t0).round(3)
  check(attempts == 2, "expected one NoSuchBucket then success, got #{attempts} attempt(s)")
  step('get') do
    got = CLIENT.get_object(bucket: name, key: key).body.read
    check(sha256(got) == file_sha256(path), 'body differs')
  end
  step('cleanup') do
    CLIENT.delete_object(bucket: name, key: key)
    CLIENT.delete_bucket(bucket: name)
  end
  { attempts: attempts }
end

# Uploads HERD_UPLOAD_FILE as HERD_KEY the way Paperclip stores an attachment (public-read), once.
def scenario_upload_file
  path = ENV.fetch('HERD_UPLOAD_FILE')
  key = ENV.fetch('HERD_KEY')
  step('upload') { paperclip_write(key, path, 'image/png') }
  head = step('head') { CLIENT.head_object(bucket: BUCKET, key: key) }
  { key: key, etag: head.etag, size: head.content_length }
end

SCENARIOS = {
  'upload_file' => -> { scenario_upload_file },
  'no_such_bucket' => -> { scenario_no_such_bucket },
  'small' => -> { scenario_small },
  'multipart' => -> { scenario_multipart },
  'multipart_crc32' => -> { scenario_multipart(checksum_algorithm: 'CRC32') },
  'acl' => -> { scenario_acl },
  'delete_objects' => -> { scenario_delete_objects },
  'list' => -> { scenario_list },
  'presign' => -> { scenario_presign },
  'copy' => -> { scenario_copy }
}.freeze

def main
  name = ARGV.fetch(0) { abort "usage: #{$PROGRAM_NAME} #{SCENARIOS.keys.join('|')}" }
  scenario = SCENARIOS.fetch(name) { abort "unknown scenario #{name}" }
  started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  out = { ok: true, scenario: name, sdk: Aws::S3::GEM_VERSION, core: Aws::CORE_GEM_VERSION }
  begin
    step('create bucket') { ensure_bucket }
    out[:result] = scenario.call
  rescue StandardError => e
    out[:ok] = false
    out[:step] = $step
    out[:class] = e.class.name
    out[:error] = e.message.to_s[0, 2000]
    if e.respond_to?(:context) && e.context.respond_to?(:http_response)
      out[:status] = e.context.http_response.status_code
      out[:code] = e.code if e.respond_to?(:code)
    end
    out[:backtrace] = (e.backtrace || []).first(8)
  end
  out[:facts] = $facts
  out[:seconds] = (Process.clock_gettime(Process::CLOCK_MONOTONIC) - started).round(3)
  puts JSON.generate(out)
  exit(out[:ok] ? 0 : 1)
end

main
