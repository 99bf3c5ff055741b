-- wrk script: GETs of random URLs from a list, optionally with a random Range.
--   wrk ... -s random_get.lua URL -- LIST MODE
-- LIST: lines "<path> <size>"; MODE: "whole" (GET the file) or "range" (a random 1 MB range).
-- Each thread seeds its own generator from its number, so runs are repeatable.
-- done() prints one machine-readable line:
--   RESULT requests=N bytes=N duration_us=N connect=N read=N write=N status=N timeout=N

local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local paths, sizes, prepared = {}, {}, {}
local mode = "whole"
local RANGE = 1048576

function init(args)
  local list = args[1]
  mode = args[2] or "whole"
  for line in io.lines(list) do
    local p, s = line:match("^(%S+)%s+(%d+)")
    if p then
      paths[#paths + 1] = p
      sizes[#sizes + 1] = tonumber(s)
    end
  end
  if #paths == 0 then error("no URLs in " .. list) end
  if mode == "whole" then
    for i, p in ipairs(paths) do prepared[i] = wrk.format("GET", p) end
  end
  math.randomseed(1000 + (id or 0))
end

function request()
  local i = math.random(#paths)
  if mode == "range" then
    local size = sizes[i]
    local first = math.random(0, math.max(0, size - RANGE))
    local last = math.min(size - 1, first + RANGE - 1)
    return wrk.format("GET", paths[i], { ["Range"] = "bytes=" .. first .. "-" .. last })
  end
  return prepared[i]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d bytes=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.status, e.timeout))
end
