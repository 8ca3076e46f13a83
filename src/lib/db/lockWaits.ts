import type {Knex} from 'knex'

import {loadPg, LOCK_TIMEOUT_SETTING, POSTGRES_LOCK_TIMEOUT_MS, sessionPidsOf} from './connection.js'
import {lockSessionConfig} from './importLockCandidates.js'

/**
 * PostgreSQL: the import's sessions waiting for another session's lock, watched from a session of its
 * own. A wait is said (else a run looks hung) and remembered for lock_timeout's message; on a stop,
 * a waiting statement is cancelled, so that the stop does not wait for the holder.
 */

/** A wait this long is said on stderr. */
const SAY_AFTER_S = 2
const POLL_MS = 1000

export interface LockWait {
  /** `table climbs (RowExclusiveLock)` (the mode asked for), `a row of table users`, or `a row` when PostgreSQL does not say which. */
  what: string
  /** The session in the way: pid, application and state, e.g. `pid 4242 (psql, idle in transaction)`. */
  holder: string
}

export interface LockWaitWatch {
  /** The last wait seen, for the message of a lock timeout. */
  lastWait(): LockWait | undefined
  close(): Promise<void>
}

export async function watchLockWaits(
  db: Knex,
  options: {signal?: AbortSignal; onWait: (wait: LockWait, timeoutSeconds: number) => void},
): Promise<LockWaitWatch> {
  const session = new (loadPg().Client)({...lockSessionConfig(db), application_name: 'mastoc import watch'})
  session.on('error', () => {}) // a lost watch costs only its messages
  // Opened at the first check: a run that ends within a poll never needs the session.
  let opened: Promise<unknown> | undefined
  const open = () => (opened ??= session.connect().then(() => session.query(LOCK_TIMEOUT_SETTING)))
  let last: LockWait | undefined
  const said = new Set<string>()
  let inFlight: Promise<void> | undefined
  const check = () => {
    inFlight ??= (async () => {
      await open()
      const pids = [...sessionPidsOf(db)]
      if (options.signal?.aborted) await session.query(CANCEL_LOCK_WAITS, [pids])
      const {rows} = await session.query<WaitRow>(LOCK_WAITS, [pids])
      for (const row of rows) {
        last = toLockWait(row)
        const key = `${row.pid} ${row.query_start}`
        if (row.waited_s >= SAY_AFTER_S && !said.has(key)) {
          said.add(key)
          options.onWait(last, POSTGRES_LOCK_TIMEOUT_MS / 1000)
        }
      }
    })()
      .catch(() => {})
      .finally(() => (inFlight = undefined))
  }
  const timer = setInterval(check, POLL_MS)
  timer.unref()
  options.signal?.addEventListener('abort', check, {once: true})
  return {
    lastWait: () => last,
    async close() {
      clearInterval(timer)
      options.signal?.removeEventListener('abort', check)
      await inFlight
      if (opened) await session.end().catch(() => {})
    },
  }
}

/** A lock timeout (55P03), in words naming what was waited for and who held it. */
export function describeLockTimeout(error: unknown, wait: LockWait | undefined): string | undefined {
  if ((error as {code?: unknown})?.code !== '55P03') return undefined
  const seconds = POSTGRES_LOCK_TIMEOUT_MS / 1000
  // Without a wait seen (shorter than a poll), PostgreSQL's context may still name the table.
  const relation = /relation "([^"]+)"/.exec(String((error as {where?: unknown}).where ?? ''))?.[1]
  const what = wait ? `${wait.what}, held by ${wait.holder}` : relation ? `a row of table ${relation}` : 'a row or table'
  return `gave up waiting for a lock on ${what}, after ${seconds} s (lock_timeout): run the import again once that session has finished or been ended`
}

interface WaitRow {
  pid: number
  query_start: string
  waited_s: number
  locktype: string
  mode: string
  relation: string | null
  holder_pid: number | null
  holder_application: string | null
  holder_state: string | null
}

function toLockWait(row: WaitRow): LockWait {
  const what =
    row.locktype === 'relation' && row.relation
      ? `table ${row.relation} (${row.mode})`
      : row.relation
        ? `a row of table ${row.relation}`
        : 'a row'
  const application = row.holder_application ? `${row.holder_application}, ` : ''
  const holder =
    row.holder_pid === null ? 'another session' : `pid ${row.holder_pid} (${application}${row.holder_state ?? 'state unknown'})`
  return {what, holder}
}

/** The import's sessions waiting for a lock: what they wait for (a row lock: the holder's transaction) and who is in the way. */
const LOCK_WAITS = `
  select w.pid, w.query_start::text as query_start,
         floor(extract(epoch from clock_timestamp() - w.query_start))::int as waited_s,
         l.locktype, l.mode,
         coalesce(l.relation, (select t.relation from pg_locks t where t.pid = w.pid and t.locktype = 'tuple' limit 1))::regclass::text as relation,
         b.pid as holder_pid, b.application_name as holder_application, b.state as holder_state
    from pg_stat_activity w
    join pg_locks l on l.pid = w.pid and not l.granted
    left join lateral (
      select pid, nullif(application_name, '') as application_name, state from pg_stat_activity
       where pid = any(pg_blocking_pids(w.pid)) order by pid limit 1
    ) b on true
   where w.pid = any($1::int[]) and w.wait_event_type = 'Lock'`

const CANCEL_LOCK_WAITS = `
  select pg_cancel_backend(pid) from pg_stat_activity where pid = any($1::int[]) and wait_event_type = 'Lock'`
