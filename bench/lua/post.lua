-- wrk script: POST the bodies in $BENCH_BODIES (one compact JSON document per line) to $BENCH_PATH,
-- cycling through them, and print one JSON summary line (prefixed "BENCH_JSON ") when done.
-- A line "PATH<TAB>BODY" posts that body to PATH instead (the soak mixes endpoints this way).
local path = os.getenv("BENCH_PATH") or "/"
local bodies = {}
for line in io.lines(os.getenv("BENCH_BODIES")) do
  if #line > 0 then bodies[#bodies + 1] = line end
end
local requests = {}
local n = 0

-- Formatted in init, once wrk has set the Host header from the URL: nginx (the proxied rows) refuses an
-- HTTP/1.1 request without one.
init = function(args)
  for i, line in ipairs(bodies) do
    local headers = { ["Content-Type"] = "application/json", ["Host"] = wrk.headers["Host"] }
    local p, body = line:match("^(/[^\t]*)\t(.*)$")
    if p then
      requests[i] = wrk.format("POST", p, headers, body)
    else
      requests[i] = wrk.format("POST", path, headers, line)
    end
  end
end

request = function()
  n = n + 1
  return requests[(n % #requests) + 1]
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"non_2xx_3xx":%d,' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"stdev":%.1f,"max":%d,"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
    summary.requests, summary.duration, summary.bytes, e.status, e.connect, e.read, e.write, e.timeout,
    latency.mean, latency.stdev, latency.max, latency:percentile(50), latency:percentile(75),
    latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end
