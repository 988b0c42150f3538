-- wrk script: GET /<key> for keys drawn at random from the file named after "--" (one
-- key per line), with the Host named after it (and "close" after that: one request per connection) (the domain the QR Codes were made on). Prints one JSON line of counts when done (read by redirect.py).
local keys = {}
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  host = args[2]
  close = args[3] == "close"  -- a new connection for every request, as a phone's scan makes
  for line in io.lines(args[1]) do
    keys[#keys + 1] = line
  end
  math.randomseed(os.time() * 1000 + (id or 0))
end

-- What phones send: the user agent and language a scan records (analytics on).
local agents = {
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
  "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
}

function request()
  local headers = {["Host"] = host, ["User-Agent"] = agents[math.random(#agents)],
                   ["Accept-Language"] = "de-DE,de;q=0.9,en;q=0.8"}
  if close then
    headers["Connection"] = "close"
  end
  return wrk.format("GET", "/" .. keys[math.random(#keys)], headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, '
      .. '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
