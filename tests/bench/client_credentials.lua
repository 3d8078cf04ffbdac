-- wrk script for scripts/bench: POST client-credentials token requests with HTTP Basic client
-- authentication, the way machine-to-machine clients (CI jobs) fetch tokens.
--   CLIENT_BASIC  base64 of "client_id:client_secret"
--   TOKEN_BODY    the form body, e.g. grant_type=client_credentials&audience=organize
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("CLIENT_BASIC")
wrk.body = os.getenv("TOKEN_BODY")
