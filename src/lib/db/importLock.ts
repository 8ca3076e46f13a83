import {createHash} from 'node:crypto'
import {hostname} from 'node:os'
import {setTimeout as sleep} from 'node:timers/promises'

import type {Knex} from 'knex'
import type pg from 'pg'

import {nowInstant, toCanonicalInstant} from '../common/instant.js'
import {LOCK_TIMEOUT_SETTING, loadPg} from './connection.js'
import type {SqlReader} from './sqlReader.js'
import type {Dialect} from './target.js'

/**
 * One import per gym and database at a time. PostgreSQL: a session advisory lock on a connection of
 * its own, freed by the server when that session ends, however the process ends. SQLite: the
 * `import_locks` row itself, kept alive by a heartbeat; a row whose heartbeat stopped is taken over.
 * On both, the row names the holder, for the run that finds the lock busy and for `mastoc status`.
 */

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
  /**
   * Gives the lock up; later calls do nothing. Call it before destroying the knex handle. It never
   * throws (it runs in the import's `finally`): a lock it could not free is freed anyway, by its
   * session ending (PostgreSQL) or by its heartbeat going stale (SQLite).
   */
  release(): Promise<void>
  /**
   * Why the run no longer holds the lock, though it never gave it up — its PostgreSQL session ended
   * (a restart, a killed connection), or another run took a SQLite lock whose heartbeat had gone
   * stale — or undefined while it holds it. Another import of the gym may be running meanwhile.
   */
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

const TABLE = 'import_locks'

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
  if (!(await db.hasTable(TABLE))) return []
  if (db.dialect === 'sqlite') {
    const staleBefore = instantAgo(options.staleAfterMs ?? LOCK_DEFAULTS.staleAfterMs)
    const rows = await db.rows(`select * from ${TABLE} where heartbeat_at >= ? order by gym_stokt_id`, [staleBefore])
    return rows.filter((row) => row.host !== hostname() || row.pid === null || processAlive(Number(row.pid))).map(toLockHolder)
  }
  const locks = await db.rows(
    `select classid, objid from pg_locks
      where locktype = 'advisory' and objsubid = 2 and granted
        and database = (select oid from pg_database where datname = current_database())`,
  )
  const heldKeys = new Set(locks.map((lock) => `${lock.classid}:${lock.objid}`))
  const rows = await db.rows(`select * from ${TABLE} order by gym_stokt_id`)
  return rows.map(toLockHolder).filter((holder) => heldKeys.has(pgLocksKey(holder.gymStoktId)))
}

/**
 * The advisory lock's two int4 keys: a hash of the gym id, prefixed so that the keys do not meet
 * other applications' advisory locks on the same database.
 */
export function advisoryLockKeys(gymStoktId: string): [number, number] {
  const digest = createHash('sha256').update(`mastoc-import:${gymStoktId}`).digest()
  return [digest.readInt32BE(0), digest.readInt32BE(4)]
}

/** pg_locks shows the two keys as `classid` and `objid`, which are unsigned oids. */
function pgLocksKey(gymStoktId: string): string {
  const [first, second] = advisoryLockKeys(gymStoktId)
  return `${first >>> 0}:${second >>> 0}`
}

type LockSettings = Required<Omit<AcquireImportLockOptions, 'signal' | 'onWait'>>

/** One way of taking the lock, tried again and again while it is busy. */
interface LockCandidate {
  tryAcquire(): Promise<ImportLock | undefined>
  /** Frees what the attempts held, once they have given up. */
  abandon(): Promise<void>
}

class SqliteLockCandidate implements LockCandidate {
  constructor(
    private readonly db: Knex,
    private readonly settings: LockSettings,
  ) {}

  async tryAcquire(): Promise<ImportLock | undefined> {
    const {db, settings} = this
    const now = nowInstant()
    // A holder on this host whose process is gone needs no 30 s wait for its heartbeat to go stale.
    const current = (await db(TABLE).where('gym_stokt_id', settings.gymStoktId).first('run_id', 'host', 'pid')) as
      {run_id: string; host: string | null; pid: number | null} | undefined
    const deadRunId = current && current.host === hostname() && current.pid !== null && !processAlive(current.pid) ? current.run_id : ''
    // One statement, so that two processes cannot both see the lock free: the row is inserted, or
    // taken over when its holder is known dead or its heartbeat is stale, or left alone — and then
    // nothing is returned.
    const taken = (await db.raw(
      `insert into ${TABLE} (gym_stokt_id, run_id, holder, host, pid, acquired_at, heartbeat_at) values (?, ?, ?, ?, ?, ?, ?)
        on conflict (gym_stokt_id) do update
          set run_id = excluded.run_id, holder = excluded.holder, host = excluded.host, pid = excluded.pid,
              acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at
          where ${TABLE}.heartbeat_at < ? or ${TABLE}.run_id = ?
        returning run_id`,
      [
        settings.gymStoktId,
        settings.runId,
        settings.holder,
        hostname(),
        process.pid,
        now,
        now,
        instantAgo(settings.staleAfterMs),
        deadRunId,
      ],
    )) as {run_id: string}[]
    if (taken.length === 0) return undefined

    const ours = () => db(TABLE).where({gym_stokt_id: settings.gymStoktId, run_id: settings.runId})
    // Through the knex pool: while the import holds SQLite's one connection, a beat waits its turn.
    const heartbeat = startHeartbeat(settings.heartbeatMs, async () => {
      const beaten = await ours().update({heartbeat_at: nowInstant()})
      if (beaten === 0) lock.markLost(`another run took it over, this run's heartbeat having stopped for ${settings.staleAfterMs / 1000} s`)
    })
    const lock = heldLock(async () => {
      await heartbeat.stop()
      await ours().delete()
    })
    return lock
  }

  async abandon(): Promise<void> {}
}

class PostgresLockCandidate implements LockCandidate {
  private readonly keys: [number, number]
  private ended: Promise<void> | undefined

  private constructor(
    private readonly session: pg.Client,
    private readonly settings: LockSettings,
  ) {
    this.keys = advisoryLockKeys(settings.gymStoktId)
  }

  /**
   * A connection of its own rather than one of knex's pool: the import keeps the whole pool, and
   * knex's destroy() never waits on it.
   */
  static async open(db: Knex, settings: LockSettings): Promise<PostgresLockCandidate> {
    const session = new (loadPg().Client)({...lockSessionConfig(db), application_name: 'mastoc import lock', keepAlive: true})
    // A connection lost later fails the next beat; unhandled, its 'error' event would end the process.
    session.on('error', () => {})
    await session.connect()
    // Its beats and its release must not wait without end on a locked import_locks table.
    await session.query(LOCK_TIMEOUT_SETTING)
    return new PostgresLockCandidate(session, settings)
  }

  async tryAcquire(): Promise<ImportLock | undefined> {
    const {session, settings} = this
    const {rows} = await session.query<{acquired: boolean}>('select pg_try_advisory_lock($1, $2) as acquired', this.keys)
    if (!rows[0].acquired) return undefined

    const now = nowInstant()
    try {
      // A row left by a dead holder is simply overwritten: the advisory lock is the truth.
      await session.query(
        `insert into ${TABLE} (gym_stokt_id, run_id, holder, host, pid, acquired_at, heartbeat_at) values ($1, $2, $3, $4, $5, $6, $6)
          on conflict (gym_stokt_id) do update
            set run_id = excluded.run_id, holder = excluded.holder, host = excluded.host, pid = excluded.pid,
                acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at`,
        [settings.gymStoktId, settings.runId, settings.holder, hostname(), process.pid, now],
      )
    } catch (error) {
      await this.abandon()
      throw error
    }

    const ours = [settings.gymStoktId, settings.runId]
    // Not needed for the lock itself: the beat keeps `heartbeat_at` telling for `mastoc status`, and
    // the lock's connection from sitting idle for the whole run.
    const heartbeat = startHeartbeat(settings.heartbeatMs, async () => {
      await session.query(`update ${TABLE} set heartbeat_at = $3 where gym_stokt_id = $1 and run_id = $2`, [...ours, nowInstant()])
    })
    const lock = heldLock(async () => {
      await heartbeat.stop()
      try {
        await session.query(`delete from ${TABLE} where gym_stokt_id = $1 and run_id = $2`, ours)
      } finally {
        // Ending the session frees the advisory lock, whether or not the row could be deleted.
        await this.abandon()
      }
    })
    // The advisory lock lives and dies with the session: ended by anything but this run's release,
    // it is free for another run.
    session.once('end', () => lock.markLost('its PostgreSQL session ended'))
    return lock
  }

  async abandon(): Promise<void> {
    await (this.ended ??= this.session.end().catch(() => {}))
  }
}

/** Whether a process of this host is still running (signal 0 only checks it exists). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** knex's own connection settings, password included (knex keeps it as a hidden property). */
export function lockSessionConfig(db: Knex): pg.ClientConfig {
  const settings = db.client.connectionSettings as pg.ClientConfig | string | undefined
  if (typeof settings === 'string') return {connectionString: settings}
  if (!settings || typeof settings !== 'object') throw new Error('the import lock needs the PostgreSQL connection settings')
  return {...settings, password: settings.password}
}

interface Heartbeat {
  /** Stops the beats and waits for one in flight. */
  stop(): Promise<void>
}

/** Beats every `intervalMs`, one at a time; the timer is unref'd so it never keeps the process alive. */
function startHeartbeat(intervalMs: number, beat: () => Promise<void>): Heartbeat {
  let inFlight: Promise<void> | undefined
  const timer = setInterval(() => {
    // A failed beat is not fatal here: the next one tries again, and staleness is judged by others.
    inFlight ??= beat()
      .catch(() => {})
      .finally(() => {
        inFlight = undefined
      })
  }, intervalMs)
  timer.unref()
  return {
    async stop() {
      clearInterval(timer)
      await inFlight
    },
  }
}

/** A lock held: released once; marked lost only while not given up. */
function heldLock(release: () => Promise<void>): ImportLock & {markLost(reason: string): void} {
  let released: Promise<void> | undefined
  let lostReason: string | undefined
  return {
    release: () => (released ??= release().catch(() => {})),
    lost: () => lostReason,
    markLost(reason) {
      if (released === undefined) lostReason ??= reason
    },
  }
}

async function readLockRow(db: Knex, gymStoktId: string): Promise<LockHolder | undefined> {
  const row = await db(TABLE).where('gym_stokt_id', gymStoktId).first()
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

function instantAgo(ms: number): string {
  return nowInstant(() => new Date(Date.now() - ms))
}
