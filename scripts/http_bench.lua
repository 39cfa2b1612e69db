-- The wrk script of `vardterm bench --suite http` (scripts/http_bench.py writes its pool and reads its output).
--
-- Every request is drawn at random from a pool file given after `--` on the wrk command line: one request a
-- line, "METHOD<TAB>PATH<TAB>BODY" (BODY empty for a GET; JSON never holds a raw tab or newline). The requests
-- are formatted once per thread, so sending one costs a table lookup. Answers are counted by HTTP status, and
-- `done` prints one line "VARDTERM_WRK {json}" with the counts, the transport errors and latency percentiles
-- (microseconds), which the Python side turns into the report.

local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("id", counter)
   table.insert(threads, thread)
end

local requests = {}
statuses = {}

function init(args)
   local file = assert(io.open(args[1], "r"), "cannot read the pool file " .. tostring(args[1]))
   for line in file:lines() do
      local method, path, body = line:match("^([A-Z]+)\t([^\t]+)\t(.*)$")
      if method then
         local headers = {["Accept"] = "application/fhir+json"}
         if body == "" then
            body = nil
         else
            headers["Content-Type"] = "application/fhir+json"
         end
         table.insert(requests, wrk.format(method, path, headers, body))
      end
   end
   file:close()
   assert(#requests > 0, "the pool file " .. args[1] .. " holds no request")
   math.randomseed(os.time() * 1000 + id)
end

function request()
   return requests[math.random(#requests)]
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local counts = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses")) do
         counts[status] = (counts[status] or 0) + n
      end
   end
   local parts = {}
   for status, n in pairs(counts) do
      table.insert(parts, string.format('"%d": %d', status, n))
   end
   local e = summary.errors
   io.write(string.format(
      'VARDTERM_WRK {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, ' ..
      '"p50_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, "statuses": {%s}}\n',
      summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout,
      latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean,
      table.concat(parts, ", ")))
end
