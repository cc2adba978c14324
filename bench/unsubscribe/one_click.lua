-- wrk script for scripts/bench-unsubscribe: one-click unsubscribe POSTs
-- (RFC 8058 §3.1 body) over pre-generated tokens, stopping each thread after
-- its share of REQUESTS so the run is a fixed number of requests. wrk's
-- own duration is always the whole -d (its main thread sleeps that long), so
-- each thread also notes, with clock_gettime through LuaJIT's ffi, when it
-- sent its first request and got its last answer; throughput is computed
-- over that span.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } tayori_timespec;
int clock_gettime(int clk_id, tayori_timespec *tp);
]]
local function now_ms()
  local ts = ffi.new("tayori_timespec")
  ffi.C.clock_gettime(1, ts)  -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end
local tokens = {}
for line in io.lines(os.getenv("TOKENS")) do tokens[#tokens + 1] = line end
local per_thread = math.floor(tonumber(os.getenv("REQUESTS") or "10000") / tonumber(os.getenv("THREADS") or "2"))
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
local counter = 1
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local sent, answered, bad = 0, 0, 0

first_ms, last_ms = 0, 0

function request()
  if sent == 0 then first_ms = now_ms() end
  sent = sent + 1
  -- Threads take interleaved tokens, so no token is sent twice while there
  -- are fewer requests than tokens.
  local i = ((sent - 1) * tonumber(os.getenv("THREADS") or "2") + id - 1) % #tokens + 1
  return wrk.format("POST", "/u/" .. tokens[i], headers, "List-Unsubscribe=One-Click")
end

function response(status)
  answered = answered + 1
  if status ~= 200 then bad = bad + 1 end
  if answered == per_thread then
    last_ms = now_ms()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local from, to = math.huge, 0
  for _, t in ipairs(threads) do
    local f, l = t:get("first_ms"), t:get("last_ms")
    if f > 0 and f < from then from = f end
    if l > to then to = l end
  end
  local seconds = (to > from) and (to - from) / 1000 or summary.duration / 1e6
  io.write(string.format("bench-unsubscribe: %d requests in %.2f s = %.0f req/s; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; " ..
                         "errors connect %d read %d write %d timeout %d status %d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout, summary.errors.status))
end
