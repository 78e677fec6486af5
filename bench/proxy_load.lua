-- wrk's script for bench/proxy_throughput.py: which path each request asks for.
--   wrk ... -s proxy_load.lua URL -- MODE N PREFIX [browsers]
-- MODE "zipf": notice ids by Zipf's law over recency (s = 1), rank = N ^ u for uniform u, the newest
--   (id 1 in bench/fill.py) most often, as bench/notices_throughput.py draws them;
-- MODE "uniform": any of the N ids alike;
-- MODE "fixed": PREFIX itself every time.
-- "browsers": each request's Accept-Language drawn from BROWSERS (every one choosing Chinese), instead
--   of the same header every time; "visitors": each request's headers drawn from VISITORS (crawlers and
--   webviews with no Accept-Language, readers who chose a language by its cookie, other browsers).
-- done() prints one line "RESULT {json}" for the Python side.
local threads = 0
-- What browsers set to Chinese send (Chrome, Edge, Firefox, Safari, with and without English added).
local BROWSERS = {"zh-CN,zh;q=0.9", "zh-CN,zh;q=0.9,en;q=0.8", "zh-CN", "zh-CN,zh;q=0.9,en-US;q=0.8,en;q=0.7",
                  "zh-CN,zh-TW;q=0.9,zh;q=0.8,en-US;q=0.7,en;q=0.6", "zh-cn", "zh,en-US;q=0.9,en;q=0.8",
                  "zh-Hans-CN,zh-Hans;q=0.9"}

-- One of the three languages each: what the VCL must land on the three copies portal-warm-proxy fills.
local VISITORS = {{}, {["Accept-Language"] = "fr-FR,fr;q=0.9"}, {["Cookie"] = "lang=en"},
                  {["Cookie"] = "_ga=GA1.2.345; lang=ug"}, {["Cookie"] = "lang=zh_CN", ["Accept-Language"] = "en"},
                  {["Accept-Language"] = "en-US,en;q=0.9"}, {["Accept-Language"] = "zh-CN,zh;q=0.9"},
                  {["Accept-Language"] = "ug-CN,ug;q=0.9,zh;q=0.8"}}

function setup(thread)
  thread:set("index", threads)
  threads = threads + 1
end

function init(args)
  mode, total, prefix, browsers, visitors = args[1], tonumber(args[2]), args[3], args[4] == "browsers",
    args[4] == "visitors"
  -- Each thread has a Lua state of its own: its own seed, or all would draw the same ids.
  math.randomseed(os.time() * 1000 + wrk.thread:get("index") * 7919)
  wrk.headers["Accept-Language"] = "zh-CN,zh;q=0.9"
end

function request()
  if mode == "fixed" then
    return wrk.format("GET", prefix)
  end
  local id
  if mode == "zipf" then
    id = math.min(total, math.floor(total ^ math.random()))
  else
    id = math.random(1, total)
  end
  if visitors then  -- a table of its own: wrk.format adds Host to it
    local headers = {}
    for name, value in pairs(VISITORS[math.random(#VISITORS)]) do headers[name] = value end
    return wrk.format("GET", prefix .. id, headers)
  end
  if browsers then
    return wrk.format("GET", prefix .. id, {["Accept-Language"] = BROWSERS[math.random(#BROWSERS)]})
  end
  return wrk.format("GET", prefix .. id)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"mean_us": %.1f, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(99),
    latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
