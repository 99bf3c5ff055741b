// PutObject: answered at once when the pool already holds the body's bytes publicly (upload_skip.h);
// otherwise streams the body into the pool (hashing as it goes), verifies what the client
// promised, then commits the deduplicated object.
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include "s3/body.h"
#include "s3/error.h"
#include "s3/object_meta.h"
#include "s3/operations.h"
#include "s3/upload_skip.h"

namespace herd::s3 {

namespace {

namespace asio = boost::asio;

// Pool::put_async as an awaitable: the coroutine resumes on its own executor once the commit is
// durable, without holding a thread meanwhile.
asio::awaitable<ObjectRecord> commit_in_background(Pool& pool, Upload& upload, int64_t bucket_id,
                                                   const std::string& key, ObjectMeta& meta) {
  auto initiate = [&](auto handler) {
    auto executor = asio::get_associated_executor(handler);
    auto work = asio::make_work_guard(executor);
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    pool.put_async(upload, bucket_id, key, std::move(meta),
                   [shared, work](ObjectRecord stored, std::exception_ptr error) mutable {
                     auto executor = work.get_executor();
                     asio::post(executor, [shared, error, stored = std::move(stored)]() mutable {
                       (*shared)(error, std::move(stored));
                     });
                     work.reset();
                   });
  };
  auto op = asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, ObjectRecord)>(
      initiate, asio::use_awaitable);
  co_return co_await std::move(op);
}

}  // namespace

Op put_object(Context& ctx) {
  Bucket bucket = ctx.owned_bucket();
  ObjectMeta meta = object_meta_from_request(ctx.ex);
  std::optional<SkippedUpload> skipped;
  try {
    skipped = co_await skip_upload_if_known(ctx, bucket, meta);
  } catch (const NoSuchBucketError&) {
    throw no_such_bucket();
  }
  if (skipped) {  // answered without 100 Continue: the client never sends the body
    auto h = s3_headers(ctx, false);
    h.emplace_back("ETag", "\"" + skipped->object.etag + "\"");
    if (skipped->checksum_sha256) h.emplace_back("x-amz-checksum-sha256", *skipped->checksum_sha256);
    http::Response response{200, std::move(h), ""};
    co_await ctx.ex.respond(response);
    co_return;
  }
  auto upload = ctx.pool.begin_upload(ctx.options.max_object_size, /*may_pack=*/true);
  // The slot stays held until the commit is done: a body in memory is bounded by the slots too.
  std::optional<UploadSlots::Slot> slot;
  auto checksum = co_await receive_body(ctx, *upload, &slot);
  if (checksum) {
    meta.checksum_algorithm = std::string(checksum_name(checksum->algorithm));
    meta.checksum = checksum->value;
  }
  ObjectRecord stored;
  try {
    if (upload->in_memory()) {
      // Nothing to sync before the group commit: hand it over without taking a blocking thread.
      auto commit = commit_in_background(ctx.pool, *upload, bucket.id, ctx.key, meta);
      stored = co_await std::move(commit);
    } else {
      auto commit = [&] { return ctx.pool.put(*upload, bucket.id, ctx.key, std::move(meta)); };
      stored = co_await ctx.blocking.run(commit);
    }
  } catch (const NoSuchBucketError&) {
    throw no_such_bucket();
  }
  slot.reset();
  auto h = s3_headers(ctx, false);
  h.emplace_back("ETag", "\"" + stored.etag + "\"");
  if (checksum) h.emplace_back(checksum_header(checksum->algorithm), checksum->value);
  http::Response response{200, std::move(h), ""};
  co_await ctx.ex.respond(response);
}

}  // namespace herd::s3
