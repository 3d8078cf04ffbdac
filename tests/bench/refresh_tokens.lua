-- wrk script for scripts/bench: refresh-token grants with rotation, as a fleet of desktop apps renewing
-- their access tokens. Every response carries the family's next refresh token, which goes back into the
-- thread's pool; a token is never presented twice (that would revoke its family, RFC 9700 §4.14.2).
--   TOKENS_FILE  refresh tokens, one per line (tests/bench/refresh_tokens.cpp); at least as many as connections
--   THREADS      wrk's -t, so that each thread takes its own share of the file
--   CLIENT_ID    the public client the tokens were issued to
local threads = 0
function setup(thread)
    thread:set("index", threads)
    threads = threads + 1
end

local pool = {}
local body_prefix
function init(args)
    local count = tonumber(os.getenv("THREADS"))
    local line = 0
    for token in io.lines(os.getenv("TOKENS_FILE")) do
        if line % count == index then table.insert(pool, token) end
        line = line + 1
    end
    body_prefix = "grant_type=refresh_token&client_id=" .. os.getenv("CLIENT_ID") .. "&refresh_token="
end

local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
function request()
    -- First in, first out, so every family keeps rotating. An empty pool means answers without a next
    -- token: the request then fails visibly (non-2xx).
    local token = table.remove(pool, 1) or "exhausted"
    return wrk.format("POST", nil, headers, body_prefix .. token)
end

function response(status, _, body)
    local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
    if token then table.insert(pool, token) end
end
