-- Load client of bench/exam-load.sh run by wrk (C, LuaJIT): POSTs registrations, each with a fresh, valid GB 11643
-- ID number and a unique Chinese name (the same as load.mjs makes), to a school node's /api/v1/exam/registrations,
-- and writes the ids of the acknowledged (201) ones, one a line, for the durability check.
--   wrk -t<threads> -c<connections> -d<seconds>s --timeout 10s -s load.lua <base-url>/api/v1/exam/registrations \
--       -- <password> <first-index> <acked-file> <result-file>
-- Thread k of n sends the indexes first + k, first + k + n, …; each thread appends to <acked-file>.<k>, and the
-- status and body of its first few answers other than 201 to <result-file>.refused.<k>. The result names the first
-- index no thread used ("next"), where the caller's next run starts.
local threads = {}
local W = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
local CHECK = "10X98765432"
local HAN = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥金木水火土日月山川风云雨雪春夏秋冬松竹梅兰"
local NHAN = #HAN / 3 -- UTF-8: three bytes a character
local DAY0 = 1283299200 -- 2010-09-01T00:00:00Z; eligibility for 1,095 days from it
-- districts of Sichuan (GB/T 2260): 20 x 1,095 days x 1,000 sequences = 21,900,000 distinct ID numbers (the
-- demo's own student is from 510185, not one of them). wrk asks thread 0 for one request it does not send (to see
-- whether requests are pipelined): that index is skipped.
local REGIONS = {"510104", "510105", "510106", "510107", "510108", "510112", "510113", "510114", "510115", "510116",
  "510117", "510118", "510121", "510129", "510131", "510132", "510181", "510182", "510183", "510184"}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  password, first, ackedFile, resultFile = args[1], tonumber(args[2]), args[3], args[4]
  nthreads = tonumber(args[5])
  auth = "Basic " .. base64("admin:" .. password)
  nextIndex = first + tid
  acked = 0
  refused = 0
  out = io.open(ackedFile .. "." .. tid, "w")
  out:setvbuf("line")
  refusals = io.open(resultFile .. ".refused." .. tid, "w")
end

function base64(s)
  local b = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
  return ((s:gsub(".", function(x)
    local r, byte = "", x:byte()
    for i = 8, 1, -1 do r = r .. (byte % 2 ^ i - byte % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return b:sub(c + 1, c + 1)
  end) .. ({"", "==", "="})[#s % 3 + 1])
end

-- registration number i: a district, a birth day and a sequence unique to i
local function idNumber(i)
  local head = REGIONS[math.floor(i / 1095000) % #REGIONS + 1] .. os.date("!%Y%m%d", DAY0 + (i % 1095) * 86400)
      .. string.format("%03d", math.floor(i / 1095) % 1000)
  local sum = 0
  for k = 1, 17 do sum = sum + (head:byte(k) - 48) * W[k] end
  local m = sum % 11 + 1
  return head .. CHECK:sub(m, m)
end

-- a unique name for i: 考生 and i in base 48 written with Han characters
local function name(i)
  local s, n = "", i
  repeat
    local d = n % NHAN
    s = HAN:sub(3 * d + 1, 3 * d + 3) .. s
    n = math.floor(n / NHAN)
  until n == 0
  return "考生" .. s
end

function request()
  local i = nextIndex
  nextIndex = nextIndex + nthreads
  local body = '{"year":"2027","name":"' .. name(i) .. '","idNumber":"' .. idNumber(i)
      .. '","guardianPhone":"13800138000","preferences":{"1":["5101040001","5101040002"],"2":["5101040002"]}}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Authorization"] = auth}, body)
end

function response(status, headers, body)
  if status == 201 then
    acked = acked + 1
    out:write(body:match('"id":"([^"]+)"'), "\n")
  else
    refused = refused + 1
    if refused <= 5 then
      refusals:write(status, " ", body, "\n")
      refusals:flush()
    end
  end
end

function done(summary, latency, requests)
  local acked, sent, next = 0, 0, 0
  for _, t in ipairs(threads) do
    acked = acked + t:get("acked")
    sent = sent + (t:get("nextIndex") - t:get("first") - t:get("tid")) / t:get("nthreads")
    next = math.max(next, t:get("nextIndex"))
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  local f = io.open(threads[1]:get("resultFile"), "w")
  f:write(string.format('{"sent":%d,"next":%d,"acked":%d,"non2xx":%d,"errors":%d,"timeouts":%d,"seconds":%.2f,'
      .. '"rps":%.1f,"p50_ms":%.1f,"p99_ms":%.1f,"max_ms":%.1f}\n', sent, next, acked, e.status,
      e.connect + e.read + e.write, e.timeout, seconds, acked / seconds,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  f:close()
end
