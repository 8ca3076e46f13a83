/** The two ways of taking a gym's lock, tried again and again while it is busy: SQLite's and PostgreSQL's. */
import {createHash} from 'node:crypto'
import {hostname} from 'node:os'

import type {Knex} from 'knex'
import type pg from 'pg'

import {nowInstant} from '../common/instant.js'
import {LOCK_TIMEOUT_SETTING, loadPg} from './connection.js'
import type {AcquireImportLockOptions, ImportLock} from './importLock.js'

export const IMPORT_LOCKS = 'import_locks'

/** The advisory lock's two int4 keys: a hash of the gym id, prefixed to miss other applications' advisory locks. */
export function advisoryLockKeys(gymStoktId: string): [number, number] {
  const digest = createHash('sha256').update(`mastoc-import:${gymStoktId}`).digest()
  return [digest.readInt32BE(0), digest.readInt32BE(4)]
}

export type LockSettings = Required<Omit<AcquireImportLockOptions, 'signal' | 'onWait'>>

/** One way of taking the lock, tried again and again while it is busy. */
export interface LockCandidate {
  tryAcquire(): Promise<ImportLock | undefined>
  /** Frees what the attempts held, once they have given up. */
  abandon(): Promise<void>
}

export class SqliteLockCandidate implements LockCandidate {
  constructor(
    private readonly db: Knex,
    private readonly settings: LockSettings,
  ) {}

  async tryAcquire(): Promise<ImportLock | undefined> {
    const {db, settings} = this
    const now = nowInstant()
    // A holder on this host whose process is gone needs no 30 s wait for its heartbeat to go stale.
    const current = (await db(IMPORT_LOCKS).where('gym_stokt_id', settings.gymStoktId).first('run_id', 'host', 'pid')) as
      {run_id: string; host: string | null; pid: number | null} | undefined
    const deadRunId = current && current.host === hostname() && current.pid !== null && !processAlive(current.pid) ? current.run_id : ''
    // One statement, so that two processes cannot both see the lock free: inserted, or taken over from
    // a dead or stale holder, or left alone (nothing returned).
    const taken = (await db.raw(
      `insert into ${IMPORT_LOCKS} (gym_stokt_id, run_id, holder, host, pid, acquired_at, heartbeat_at) values (?, ?, ?, ?, ?, ?, ?)
        on conflict (gym_stokt_id) do update
          set run_id = excluded.run_id, holder = excluded.holder, host = excluded.host, pid = excluded.pid,
              acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at
          where ${IMPORT_LOCKS}.heartbeat_at < ? or ${IMPORT_LOCKS}.run_id = ?
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

    const ours = () => db(IMPORT_LOCKS).where({gym_stokt_id: settings.gymStoktId, run_id: settings.runId})
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

export class PostgresLockCandidate implements LockCandidate {
  private readonly keys: [number, number]
  private ended: Promise<void> | undefined

  private constructor(
    private readonly session: pg.Client,
    private readonly settings: LockSettings,
  ) {
    this.keys = advisoryLockKeys(settings.gymStoktId)
  }

  /** A connection of its own, not one of knex's pool: the import keeps the whole pool, and destroy() never waits on it. */
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
        `insert into ${IMPORT_LOCKS} (gym_stokt_id, run_id, holder, host, pid, acquired_at, heartbeat_at) values ($1, $2, $3, $4, $5, $6, $6)
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
      await session.query(`update ${IMPORT_LOCKS} set heartbeat_at = $3 where gym_stokt_id = $1 and run_id = $2`, [...ours, nowInstant()])
    })
    const lock = heldLock(async () => {
      await heartbeat.stop()
      try {
        await session.query(`delete from ${IMPORT_LOCKS} where gym_stokt_id = $1 and run_id = $2`, ours)
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
export function processAlive(pid: number): boolean {
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

export function instantAgo(ms: number): string {
  return nowInstant(() => new Date(Date.now() - ms))
}
