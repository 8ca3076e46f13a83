/**
 * One import per gym and database at a time: a PostgreSQL session advisory lock (freed when its
 * session ends, however), or SQLite's `import_locks` row kept by a heartbeat (importLockCandidates.ts).
 * On both, the row names the holder, for the run that finds the lock busy and for `mastoc status`.
 */
import {hostname} from 'node:os'
import {setTimeout as sleep} from 'node:timers/promises'

import type {Knex} from 'knex'

import {toCanonicalInstant} from '../common/instant.js'
import {
  advisoryLockKeys,
  IMPORT_LOCKS,
  instantAgo,
  PostgresLockCandidate,
  processAlive,
  SqliteLockCandidate,
  type LockSettings,
} from './importLockCandidates.js'
import type {SqlReader} from './sqlReader.js'
import type {Dialect} from './target.js'

export interface LockHolder {
  gymStoktId: string
  runId: string
  /** Who, for a person: e.g. "pid 1234 on host ops-1, import all". */
  holder: string
  acquiredAt: string
  heartbeatAt: string
}

export class LockBusyError extends Error {
  constructor(
    readonly holder: LockHolder,
    readonly waitedSeconds: number,
  ) {
    super(
      `another import of gym ${holder.gymStoktId} holds the lock: ${holder.holder}, since ${holder.acquiredAt} (waited ${waitedSeconds} s)`,
    )
    this.name = 'LockBusyError'
  }
}

export interface ImportLock {
  /** Gives the lock up, once, before the knex handle is destroyed. Never throws: a lock not freed goes with its session or heartbeat. */
  release(): Promise<void>
  /** Why the run lost the lock it never gave up (its session ended, its stale heartbeat taken over); undefined while held. */
  lost(): string | undefined
}

export interface AcquireImportLockOptions {
  gymStoktId: string
  runId: string
  holder: string
  /** How long to wait for a busy lock; 0 tries once. */
  waitSeconds: number
  /** Ends the wait early (SIGINT/SIGTERM): the lock is then reported busy. */
  signal?: AbortSignal
  /** Called once, as the wait begins (the lock busy and `waitSeconds` > 0), with who holds the lock. */
  onWait?: (holder: LockHolder) => void
  /** SQLite: a lock whose heartbeat is older than this belongs to a dead process. */
  staleAfterMs?: number
  heartbeatMs?: number
  pollMs?: number
}

export const LOCK_DEFAULTS = {staleAfterMs: 30_000, heartbeatMs: 5_000, pollMs: 500} as const

export async function acquireImportLock(db: Knex, dialect: Dialect, options: AcquireImportLockOptions): Promise<ImportLock> {
  const {waitSeconds} = options
  if (!Number.isFinite(waitSeconds) || waitSeconds < 0) throw new Error(`the lock wait must be 0 or more seconds, not ${waitSeconds}`)
  const settings: LockSettings = {
    ...options,
    staleAfterMs: options.staleAfterMs ?? LOCK_DEFAULTS.staleAfterMs,
    heartbeatMs: options.heartbeatMs ?? LOCK_DEFAULTS.heartbeatMs,
    pollMs: options.pollMs ?? LOCK_DEFAULTS.pollMs,
  }
  const candidate = dialect === 'postgres' ? await PostgresLockCandidate.open(db, settings) : new SqliteLockCandidate(db, settings)
  const deadline = Date.now() + waitSeconds * 1000
  let waiting = false
  try {
    for (;;) {
      const lock = await candidate.tryAcquire()
      if (lock) return lock
      const remainingMs = deadline - Date.now()
      if (remainingMs <= 0 || options.signal?.aborted) break
      if (!waiting && options.onWait) options.onWait((await readLockRow(db, options.gymStoktId)) ?? unidentifiedHolder(options.gymStoktId))
      waiting = true
      await sleep(Math.min(settings.pollMs, remainingMs), undefined, {signal: options.signal}).catch(() => {})
    }
  } catch (error) {
    await candidate.abandon()
    throw error
  }
  await candidate.abandon()
  const holder = (await readLockRow(db, options.gymStoktId)) ?? unidentifiedHolder(options.gymStoktId)
  throw new LockBusyError(holder, waitSeconds)
}

/** The live holders, gym by gym: rows left behind by dead processes are not listed. */
export async function currentLockHolders(db: SqlReader, options: {staleAfterMs?: number} = {}): Promise<LockHolder[]> {
  // A database not yet migrated to the lock table has no holder.
  if (!(await db.hasTable(IMPORT_LOCKS))) return []
  if (db.dialect === 'sqlite') {
    const staleBefore = instantAgo(options.staleAfterMs ?? LOCK_DEFAULTS.staleAfterMs)
    const rows = await db.rows(`select * from ${IMPORT_LOCKS} where heartbeat_at >= ? order by gym_stokt_id`, [staleBefore])
    return rows.filter((row) => row.host !== hostname() || row.pid === null || processAlive(Number(row.pid))).map(toLockHolder)
  }
  const locks = await db.rows(
    `select classid, objid from pg_locks
      where locktype = 'advisory' and objsubid = 2 and granted
        and database = (select oid from pg_database where datname = current_database())`,
  )
  const heldKeys = new Set(locks.map((lock) => `${lock.classid}:${lock.objid}`))
  const rows = await db.rows(`select * from ${IMPORT_LOCKS} order by gym_stokt_id`)
  return rows.map(toLockHolder).filter((holder) => heldKeys.has(pgLocksKey(holder.gymStoktId)))
}

/** pg_locks shows the two keys as `classid` and `objid`, which are unsigned oids. */
function pgLocksKey(gymStoktId: string): string {
  const [first, second] = advisoryLockKeys(gymStoktId)
  return `${first >>> 0}:${second >>> 0}`
}

async function readLockRow(db: Knex, gymStoktId: string): Promise<LockHolder | undefined> {
  const row = await db(IMPORT_LOCKS).where('gym_stokt_id', gymStoktId).first()
  return row ? toLockHolder(row) : undefined
}

/** Between the holder taking the lock and writing its row, or after it left: the lock has no name. */
function unidentifiedHolder(gymStoktId: string): LockHolder {
  const unknown = 'an unknown time'
  return {gymStoktId, runId: '', holder: 'an unidentified run', acquiredAt: unknown, heartbeatAt: unknown}
}

function toLockHolder(row: Record<string, unknown>): LockHolder {
  const instant = (value: unknown) => toCanonicalInstant(String(value)) ?? String(value)
  return {
    gymStoktId: String(row.gym_stokt_id),
    runId: String(row.run_id),
    holder: String(row.holder),
    acquiredAt: instant(row.acquired_at),
    heartbeatAt: instant(row.heartbeat_at),
  }
}
