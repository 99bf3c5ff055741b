-- wrk script: PUTs a body of SIZE bytes, unique per request, to URLs read from a list, one URL
-- per request (no URL is used twice).
--   wrk -tT ... -s put_unique.lua http://127.0.0.1:PORT -- LIST T SIZE TAG
-- LIST: one URL path per line ("/bucket/key" or a presigned "/bucket/key?X-Amz-..."); thread i
--   of T takes lines i, i+T, i+2T, ... (T must equal wrk's -t). wrk calls request() once on
--   thread 1 before the run to check the script, so thread 1's first URL is never sent.
-- Bodies: a random SIZE-byte base built once per thread (seeded from the thread number), with
--   "TAG:thread:counter:" written over its first bytes, so no two requests of any run carry the
--   same content (TAG must differ between runs) and a deduplicating server cannot skip the write.
-- When a thread has used all its URLs it stops issuing requests (wrk.thread:stop()) and the run is
--   reported as exhausted: wrk still divides by the full -d duration, so the rate is then too low
--   and the harness must not use it.
-- done() prints one machine-readable line (latencies in microseconds; statuses "code=count,..."):
--   RESULT requests=N bytes=N duration_us=N connect=N read=N write=N status=N timeout=N
--          p50_us=N p99_us=N exhausted=N statuses=...

local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local paths = {}
local base = ""
local tag = "run"
local n = 0
exhausted = 0   -- globals: read by done() through thread:get()
statuses = {}

function init(args)
  local list, nthreads, size = args[1], tonumber(args[2]), tonumber(args[3])
  tag = args[4] or tag
  if not list or not nthreads or not size then error("usage: -- LIST THREADS SIZE TAG") end
  local me = (id or 1) - 1
  local line_no = 0
  for line in io.lines(list) do
    if line ~= "" then
      if line_no % nthreads == me then paths[#paths + 1] = line end
      line_no = line_no + 1
    end
  end
  if #paths == 0 then error("no URLs for thread " .. (me + 1) .. " in " .. list) end
  math.randomseed(7919 * (id or 1) + 17)
  local chunk = {}
  for i = 1, size do chunk[i] = string.char(math.random(0, 255)) end
  base = table.concat(chunk)
end

function request()
  n = n + 1
  local i = n
  if i > #paths then  -- out of URLs: stop this thread (the last URL is rewritten at most once per connection)
    if exhausted == 0 then
      exhausted = 1
      wrk.thread:stop()
    end
    i = #paths
  end
  local stamp = tag .. ":" .. (id or 1) .. ":" .. n .. ":"
  return wrk.format("PUT", paths[i], nil, stamp .. base:sub(#stamp + 1))
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local e = summary.errors
  local ex, merged = 0, {}
  for _, t in ipairs(threads) do
    ex = ex + (t:get("exhausted") or 0)
    for code, count in pairs(t:get("statuses") or {}) do merged[code] = (merged[code] or 0) + count end
  end
  local parts = {}
  for code, count in pairs(merged) do parts[#parts + 1] = code .. "=" .. count end
  table.sort(parts)
  io.write(string.format("RESULT requests=%d bytes=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d p50_us=%d p99_us=%d exhausted=%d statuses=%s\n",
    summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), ex, #parts > 0 and table.concat(parts, ",") or "none"))
end
