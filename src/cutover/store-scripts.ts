/**
 * The Lua scripts of CutoverStore (src/store/cutover-store.ts). Each mutation is one script,
 * so a change and its audit event are written together or not at all, and the four-eyes rules
 * (not the requester, one approval per person, `min` distinct approvals, expiry, plan version)
 * are enforced where concurrent clicks cannot interleave.
 *
 * Requests and steps are Redis hashes of scalar fields rather than JSON strings: Redis 7.0's
 * cjson turns an empty array into `{}` on re-encoding, so only the approvals list (re-encoded
 * only after an append, hence never empty) and the audit events go through cjson here.
 */

/** Appends an audit event built from the caller's base JSON (actor, pipeline, at). */
const AUDIT = `
local function audit(stream, base, action, subject, before, after, detail, system)
  local e = cjson.decode(base)
  if system then e.actor = 'cutover'; e.actorName = nil end
  e.action = action; e.subject = subject; e.before = before; e.after = after; e.detail = detail
  redis.call('XADD', stream, '*', 'event', cjson.encode(e))
end
`;

/**
 * Shared by every script that decides on a request; they all take the same keys:
 * KEYS: 1 request hash, 2 step hash, 3 pipeline's pending zset, 4 all-pending zset, 5 audit stream,
 * 6 intake stream, and return `{outcome, HGETALL of the request}`.
 */
const PRELUDE = `${AUDIT}local function field(key, name) return redis.call('HGET', key, name) or '' end
local function snapshot() return redis.call('HGETALL', KEYS[1]) end
local function detailOf(extra)
  local d = { requestId = field(KEYS[1], 'id'), kind = field(KEYS[1], 'kind'), planVersion = field(KEYS[1], 'planVersion') }
  for k, v in pairs(extra or {}) do d[k] = v end
  return d
end
-- Ends a pending request without approval; the step goes back to where it was before it.
local function close(state, now, base, action, extra, system, detail)
  local id = field(KEYS[1], 'id')
  redis.call('HSET', KEYS[1], 'state', state, 'decidedAt', now)
  for k, v in pairs(extra or {}) do redis.call('HSET', KEYS[1], k, v) end
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZREM', KEYS[4], id)
  local before = field(KEYS[2], 'state')
  local after = before
  if field(KEYS[2], 'requestId') == id and before == 'awaiting_approval' then
    after = redis.call('HGET', KEYS[2], 'idleState') or 'ready'
    redis.call('HSET', KEYS[2], 'state', after, 'updatedAt', now)
  end
  audit(KEYS[5], base, action, field(KEYS[1], 'step'), { state = before }, { state = after }, detailOf(detail), system)
  return after
end
local function expired(now)
  return now >= tonumber(field(KEYS[1], 'expiresAt'))
end
-- For a click: nil while the request is pending and in time, else the outcome to return
-- (a request found out of time is marked expired here, and audited, once).
local function notOpen(now, base)
  if redis.call('EXISTS', KEYS[1]) == 0 then return {'not-found', {}} end
  if field(KEYS[1], 'state') ~= 'pending' then return {'decided', snapshot()} end
  if expired(now) then
    close('expired', now, base, 'cutover.expire', nil, true)
    return {'expired', snapshot()}
  end
  return nil
end
`;

/**
 * KEYS: 1 step hash, 2 new request hash, 3 the step's current request hash (or the new one's
 * key when it has none), 4 pending zset, 5 all-pending zset, 6 audit stream.
 * ARGV: 1 the step's requestId as the caller read it ('' none), 2 allowed step states
 * (space-separated), 3 now, 4 audit base JSON, 5 id, 6 pipeline, 7 step, 8 kind,
 * 9 planVersion, 10 min, 11 expiresAt, 12 requestedBy, 13 requestedByName, 14 the actions
 * approvers are asked to approve (JSON, a snapshot: execution runs these, not the catalog's later ones).
 * Returns {'created'} | {'pending', id} | {'state', state} | {'retry'} | {'exists'}.
 */
export const CREATE_REQUEST = `${AUDIT}local now = tonumber(ARGV[3])
local state = redis.call('HGET', KEYS[1], 'state') or 'ready'
local current = redis.call('HGET', KEYS[1], 'requestId') or ''
if current ~= ARGV[1] then return {'retry'} end
if state == 'awaiting_approval' then
  local idle = redis.call('HGET', KEYS[1], 'idleState') or 'ready'
  if redis.call('HGET', KEYS[3], 'state') == 'pending' then
    if tonumber(redis.call('HGET', KEYS[3], 'expiresAt')) > now then return {'pending', current} end
    -- The old request ran out without anyone noticing: expire it (audited) and go on.
    redis.call('HSET', KEYS[3], 'state', 'expired', 'decidedAt', now)
    redis.call('ZREM', KEYS[4], current)
    redis.call('ZREM', KEYS[5], current)
    local d = { requestId = current, kind = redis.call('HGET', KEYS[3], 'kind'), planVersion = redis.call('HGET', KEYS[3], 'planVersion') }
    audit(KEYS[6], ARGV[4], 'cutover.expire', ARGV[7], { state = state }, { state = idle }, d, true)
  end
  state = idle
  redis.call('HSET', KEYS[1], 'state', state, 'updatedAt', now)
end
local allowed = false
for s in string.gmatch(ARGV[2], '%S+') do if s == state then allowed = true end end
if not allowed then return {'state', state} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {'exists'} end
redis.call('HSET', KEYS[2], 'id', ARGV[5], 'pipeline', ARGV[6], 'step', ARGV[7], 'kind', ARGV[8], 'planVersion', ARGV[9],
  'min', ARGV[10], 'expiresAt', ARGV[11], 'requestedBy', ARGV[12], 'requestedByName', ARGV[13], 'approvals', '[]',
  'actions', ARGV[14], 'state', 'pending', 'createdAt', ARGV[3])
redis.call('ZADD', KEYS[4], now, ARGV[5])
redis.call('ZADD', KEYS[5], now, ARGV[5])
redis.call('HSET', KEYS[1], 'state', 'awaiting_approval', 'requestId', ARGV[5], 'requestKind', ARGV[8],
  'planVersion', ARGV[9], 'idleState', state, 'updatedAt', ARGV[3])
local d = { requestId = ARGV[5], kind = ARGV[8], planVersion = ARGV[9], min = tonumber(ARGV[10]), expiresAt = tonumber(ARGV[11]) }
audit(KEYS[6], ARGV[4], 'cutover.request', ARGV[7], { state = state }, { state = 'awaiting_approval' }, d, false)
return {'created'}
`;

/**
 * ARGV: 1 user, 2 name ('' none), 3 the plan version now, 4 now, 5 audit base JSON.
 * Outcomes: counted | approved | duplicate | own-request | expired | void | decided | not-found.
 */
export const APPROVE = `${PRELUDE}
local now = tonumber(ARGV[4])
local closed = notOpen(now, ARGV[5])
if closed then return closed end
if field(KEYS[1], 'planVersion') ~= ARGV[3] then
  close('void', now, ARGV[5], 'cutover.void', { voidedFor = ARGV[3] }, false, { currentPlanVersion = ARGV[3] })
  return {'void', snapshot()}
end
if field(KEYS[1], 'requestedBy') == ARGV[1] then return {'own-request', snapshot()} end
local approvals = cjson.decode(field(KEYS[1], 'approvals'))
for _, a in ipairs(approvals) do
  if a.user == ARGV[1] then return {'duplicate', snapshot()} end
end
local entry = { user = ARGV[1], at = now }
if ARGV[2] ~= '' then entry.name = ARGV[2] end
table.insert(approvals, entry)
local n = #approvals
local min = tonumber(field(KEYS[1], 'min'))
redis.call('HSET', KEYS[1], 'approvals', cjson.encode(approvals))
local stepId = field(KEYS[1], 'step')
audit(KEYS[5], ARGV[5], 'cutover.approve', stepId, { approvals = n - 1 }, { approvals = n }, detailOf({ min = min }), false)
if n < min then return {'counted', snapshot()} end
local id = field(KEYS[1], 'id')
redis.call('HSET', KEYS[1], 'state', 'approved', 'decidedAt', now)
redis.call('ZREM', KEYS[3], id)
redis.call('ZREM', KEYS[4], id)
local before = field(KEYS[2], 'state')
if field(KEYS[2], 'requestId') == id and before == 'awaiting_approval' then
  redis.call('HSET', KEYS[2], 'state', 'approved', 'updatedAt', now)
  local users = {}
  for _, a in ipairs(approvals) do table.insert(users, a.user) end
  audit(KEYS[5], ARGV[5], 'cutover.step', stepId, { state = before }, { state = 'approved' }, detailOf({ approvedBy = users }), false)
  -- The execution is handed to the workers in the same write (src/jobs/intake.ts): an approved
  -- step can never be left waiting for a job that a crash kept from being enqueued.
  redis.call('XADD', KEYS[6], '*', 'cutover', id)
end
return {'approved', snapshot()}
`;

/** ARGV: 1 user, 2 name, 3 reason, 4 now, 5 audit base JSON. Outcomes: rejected | own-request | expired | decided | not-found | no-reason. */
export const REJECT = `${PRELUDE}
local now = tonumber(ARGV[4])
local closed = notOpen(now, ARGV[5])
if closed then return closed end
if field(KEYS[1], 'requestedBy') == ARGV[1] then return {'own-request', snapshot()} end
if not string.find(ARGV[3], '%S') then return {'no-reason', snapshot()} end
local r = { user = ARGV[1], reason = ARGV[3], at = now }
if ARGV[2] ~= '' then r.name = ARGV[2] end
close('rejected', now, ARGV[5], 'cutover.reject', { rejection = cjson.encode(r) }, false, { reason = ARGV[3] })
return {'rejected', snapshot()}
`;

/** ARGV: 1 now, 2 audit base JSON. Expires a pending request whose time is up. Outcomes: expired | not-due | decided | not-found. */
export const EXPIRE = `${PRELUDE}
if redis.call('EXISTS', KEYS[1]) == 0 then return {'not-found', {}} end
local now = tonumber(ARGV[1])
if field(KEYS[1], 'state') ~= 'pending' then return {'decided', snapshot()} end
if not expired(now) then return {'not-due', snapshot()} end
close('expired', now, ARGV[2], 'cutover.expire', nil, true)
return {'expired', snapshot()}
`;

/** ARGV: 1 the plan version now, 2 now, 3 audit base JSON. Voids a pending request made for another plan version. Outcomes: void | current | decided | not-found. */
export const VOID_IF_STALE = `${PRELUDE}
if redis.call('EXISTS', KEYS[1]) == 0 then return {'not-found', {}} end
if field(KEYS[1], 'state') ~= 'pending' then return {'decided', snapshot()} end
if field(KEYS[1], 'planVersion') == ARGV[1] then return {'current', snapshot()} end
close('void', tonumber(ARGV[2]), ARGV[3], 'cutover.void', { voidedFor = ARGV[1] }, false, { currentPlanVersion = ARGV[1] })
return {'void', snapshot()}
`;

/**
 * Compare-and-set of a step's state. KEYS: 1 step hash, 2 audit stream.
 * ARGV: 1 expected state, 2 expected requestId, 3 new state, 4 now, 5 audit event JSON,
 * 6 lastError JSON ('' keeps it; a successful `done`/`rolled_back` clears it). Returns 1, or 0 on a conflict.
 */
export const SET_STEP_STATE = `
if (redis.call('HGET', KEYS[1], 'state') or 'ready') ~= ARGV[1] then return 0 end
if (redis.call('HGET', KEYS[1], 'requestId') or '') ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[3], 'updatedAt', ARGV[4])
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'lastError', ARGV[6])
elseif ARGV[3] == 'done' or ARGV[3] == 'rolled_back' then redis.call('HDEL', KEYS[1], 'lastError') end
redis.call('XADD', KEYS[2], '*', 'event', ARGV[5])
return 1
`;

/** KEYS: 1 request hash. ARGV: 1 message JSON. Bookkeeping (where the message is), so not audited. */
export const SET_MESSAGE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'message', ARGV[1])
return 1
`;
