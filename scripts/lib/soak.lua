-- wrk script for scripts/soak: a mix of valid, invalid and forbidden requests, each with the status it must get.
local valid, forbidden = os.getenv("SOAK_VALID"), os.getenv("SOAK_FORBIDDEN")
local requests = {
  { path = "/api/contacts",      auth = "Bearer " .. valid,     expect = 200 },
  { path = "/api/appointments",  auth = "Bearer " .. valid,     expect = 200 },
  { path = "/api/appointments",  auth = "Bearer " .. forbidden, expect = 403 },
  { path = "/api/contacts",      auth = "Bearer not-a-token",   expect = 401 },
  { path = "/api/contacts",      auth = nil,                    expect = 401 },
  { path = "/api/contacts",      auth = "Bearer a b",           expect = 400 },
  { path = "/api/notes",         auth = "Bearer " .. valid,     expect = 404 },
  { path = "/healthz",           auth = nil,                    expect = 200 },
}
local counter = 0

request = function()
  counter = counter % #requests + 1
  local r = requests[counter]
  local headers = {}
  if r.auth then headers["Authorization"] = r.auth end
  return wrk.format("GET", r.path, headers)
end

done = function(summary)
  io.write(string.format("soak: %d requests, %d socket errors, %d timeouts\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write, summary.errors.timeout))
end
