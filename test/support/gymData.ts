import type {Knex} from 'knex'

import {canonicalFromStored, dashedUuid} from '../../src/lib/db/encodings.js'
import type {GeneratedGym} from './gymGenerator.js'

/**
 * The imported data as a person would check it: every table's rows keyed by Stokt id, references
 * shown as the Stokt id they point to, without the ids and write times that differ between runs.
 */
export type Row = Record<string, unknown>
export interface GymData {
  gyms: Row[]
  faces: Row[]
  holds: Row[]
  users: Row[]
  climbs: Row[]
}

export async function readGymData(db: Knex): Promise<GymData> {
  const rows = async (sql: string): Promise<Row[]> => {
    const result = await db.raw(sql)
    return (Array.isArray(result) ? result : result.rows).sort(byStoktId)
  }
  const gyms = await rows('select stokt_id, display_name, location_string, source from gyms order by stokt_id')
  const faces = await rows(`select f.stokt_id, g.stokt_id as gym, f.picture_path, f.picture_width, f.picture_height,
      f.feet_rules_options, f.has_symmetry, f.source
    from faces f join gyms g on g.id = f.gym_id order by f.stokt_id`)
  const holds = await rows(`select h.stokt_id, f.stokt_id as face, h.polygon_str, h.path_str,
      h.centroid_x, h.centroid_y, h.area, h.center_tape_str, h.right_tape_str, h.left_tape_str
    from holds h join faces f on f.id = h.face_id order by h.stokt_id`)
  const users = await rows('select stokt_id, full_name, avatar_path, source from users order by stokt_id')
  const climbs = await rows(`select c.stokt_id, f.stokt_id as face, u.stokt_id as setter, c.name, c.holds_list, c.mirror_holds_list,
      c.grade_font, c.grade_ircra, c.feet_rule, c.description, c.is_private, c.is_benchmark, c.climbed_by, c.total_likes,
      c.total_comments, c.source, c.created_at
    from climbs c join faces f on f.id = c.face_id left join users u on u.id = c.setter_id order by c.stokt_id`)
  return {
    gyms: gyms.map((gym: Row) => ({...gym, stokt_id: uuidOf(gym.stokt_id)})),
    faces: faces.map((face: Row) => ({
      ...face,
      stokt_id: uuidOf(face.stokt_id),
      gym: uuidOf(face.gym),
      has_symmetry: Boolean(face.has_symmetry),
      feet_rules_options: typeof face.feet_rules_options === 'string' ? JSON.parse(face.feet_rules_options) : face.feet_rules_options,
    })),
    holds: holds.map((hold: Row) => ({...hold, stokt_id: Number(hold.stokt_id), face: uuidOf(hold.face)})).sort(byNumericStoktId),
    users: users.map((user: Row) => ({...user, stokt_id: uuidOf(user.stokt_id)})).sort(byStoktId),
    climbs: climbs.map((climb: Row) => ({
      ...climb,
      stokt_id: uuidOf(climb.stokt_id),
      face: uuidOf(climb.face),
      setter: uuidOf(climb.setter),
      is_private: Boolean(climb.is_private),
      is_benchmark: Boolean(climb.is_benchmark),
      created_at: utcMicros(climb.created_at),
    })),
  }
}

function byStoktId(a: Row, b: Row): number {
  return String(a.stokt_id) < String(b.stokt_id) ? -1 : String(a.stokt_id) > String(b.stokt_id) ? 1 : 0
}

function byNumericStoktId(a: Row, b: Row): number {
  return Number(a.stokt_id) - Number(b.stokt_id)
}

/** A stored instant as `YYYY-MM-DDTHH:MM:SS.ffffffZ`, whichever way the database returns it. */
function utcMicros(value: unknown): string {
  return canonicalFromStored(String(value))
}

/** A stored UUID (32 hex digits on SQLite, as the server keeps them) in its dashed form. */
function uuidOf(value: unknown): unknown {
  return value === null || value === undefined ? null : dashedUuid(String(value))
}

/** The `users` row of a setter as served. */
export function expectedUserRow(setter: {id: string; fullName: string; avatar?: string | null}): Row {
  // "" is no avatar, as null is.
  return {stokt_id: setter.id, full_name: setter.fullName, avatar_path: setter.avatar || null, source: 'stokt'}
}

/** What the server's tables must hold for a generated gym, worked out from Stokt's payloads alone. */
export function expectedGymData(gym: GeneratedGym): GymData {
  const summary = gym.summary as {id: string; displayName: string; locationString: string | null}
  const setups = [...gym.setups.values()] as Array<Record<string, any>>
  const setters = new Map<string, Row>()
  for (const climb of gym.climbs as Array<Record<string, any>>) {
    const setter = climb.climbSetters
    if (setter && !setters.has(setter.id)) setters.set(setter.id, expectedUserRow(setter))
  }
  return {
    gyms: [{stokt_id: summary.id, display_name: summary.displayName, location_string: summary.locationString ?? null, source: 'stokt'}],
    faces: setups
      .map((setup) => ({
        stokt_id: setup.id,
        gym: summary.id,
        picture_path: setup.picture.name,
        picture_width: setup.picture.width,
        picture_height: setup.picture.height,
        feet_rules_options: setup.feetRulesOptions,
        has_symmetry: setup.hasSymmetry,
        source: 'stokt',
      }))
      .sort(byStoktId),
    holds: setups
      .flatMap((setup) =>
        (setup.holds as Array<Record<string, any>>).map((hold) => {
          const [x, y] = String(hold.centroidStr).split(' ').map(Number)
          return {
            stokt_id: hold.id,
            face: setup.id,
            polygon_str: hold.polygonStr,
            path_str: hold.pathStr,
            centroid_x: x,
            centroid_y: y,
            area: Number(hold.area),
            center_tape_str: hold.centerTapeStr,
            right_tape_str: hold.rightTapeStr,
            left_tape_str: hold.leftTapeStr,
          }
        }),
      )
      .sort(byNumericStoktId),
    users: [...setters.values()].sort(byStoktId),
    climbs: (gym.climbs as Array<Record<string, any>>)
      .map((climb) => ({
        stokt_id: climb.id,
        face: climb.faceId,
        setter: climb.climbSetters?.id ?? null,
        name: climb.name,
        holds_list: climb.holdsList,
        mirror_holds_list: climb.mirrorHoldsList ?? null,
        grade_font: climb.crowdGrade.font,
        grade_ircra: climb.crowdGrade.ircra,
        feet_rule: climb.feetRule,
        // Stokt serves none; the server's column stays NULL.
        description: null,
        is_private: climb.isPrivate,
        is_benchmark: climb.isBenchmark,
        climbed_by: climb.climbedBy,
        total_likes: climb.totalLikes,
        total_comments: climb.totalComments,
        source: 'stokt',
        created_at: utcMicros(climb.dateCreated),
      }))
      .sort(byStoktId),
  }
}

/** The whole gym as Stokt serves it, but only its first `count` climbs and the setters of those. */
export function expectedWithFirstClimbs(gym: GeneratedGym, count: number): GymData {
  const full = expectedGymData(gym)
  const kept = gym.climbs.slice(0, count) as Array<{id: string; climbSetters?: {id: string} | null}>
  const climbIds = new Set(kept.map((climb) => climb.id))
  const setterIds = new Set(kept.flatMap((climb) => (climb.climbSetters ? [climb.climbSetters.id] : [])))
  return {
    ...full,
    climbs: full.climbs.filter((climb) => climbIds.has(String(climb.stokt_id))),
    users: full.users.filter((user) => setterIds.has(String(user.stokt_id))),
  }
}

/**
 * How many times each of the server's tables has had a row inserted, updated or deleted since the
 * first call (a trigger per table counts them): equal before and after a run, the run wrote no row.
 */
export async function writeCounts(db: Knex): Promise<Record<string, number>> {
  const postgres = db.client.config.client === 'pg'
  if (!(await db.schema.hasTable(WRITE_LOG))) {
    await db.schema.createTable(WRITE_LOG, (table) => table.string('table_name', 32))
    if (postgres) {
      await db.raw(`create function ${WRITE_LOG}_row() returns trigger language plpgsql as $$
        begin insert into ${WRITE_LOG} values (tg_table_name); return null; end $$`)
    }
    for (const table of SERVER_TABLES) {
      if (postgres) {
        await db.raw(
          `create trigger ${WRITE_LOG}_${table} after insert or update or delete on ${table} for each row execute function ${WRITE_LOG}_row()`,
        )
        continue
      }
      for (const event of ['insert', 'update', 'delete']) {
        await db.raw(
          `create trigger ${WRITE_LOG}_${table}_${event} after ${event} on ${table} begin insert into ${WRITE_LOG} values ('${table}'); end`,
        )
      }
    }
  }
  const counts: Record<string, number> = Object.fromEntries(SERVER_TABLES.map((table) => [table, 0]))
  const rows: {table_name: string; writes: unknown}[] = await db(WRITE_LOG).select('table_name').count({writes: '*'}).groupBy('table_name')
  for (const row of rows) counts[row.table_name] = Number(row.writes)
  return counts
}

const WRITE_LOG = 'test_write_log'
const SERVER_TABLES = ['gyms', 'faces', 'holds', 'users', 'climbs']

/** The name of the wall a face is on, as the walls list serves it: how the importer names a face. */
export function wallNameOf(gym: GeneratedGym, faceId: unknown): string {
  const wall = gym.walls.find((candidate) => (candidate.faces as {id: string}[]).some((face) => face.id === faceId))
  if (wall === undefined) throw new Error(`no wall has face ${String(faceId)}`)
  return String(wall.name)
}
