import {randomUUID} from 'node:crypto'

import type {Knex} from 'knex'

import {toCanonicalInstant} from '../../src/lib/common/instant.js'
import type {GeneratedGym} from './gymGenerator.js'

/**
 * A generated gym as the importer's earlier layout held it (migrations/20261126000000_initial.ts,
 * before the mastoc server's schema was the target): dashed text UUIDs, ISO instants, the extra
 * columns, in values both databases take as they are (booleans as 0/1, JSON as text).
 */
type Value = string | number | null

interface TableRows {
  table: 'gyms' | 'faces' | 'holds' | 'users' | 'climbs'
  columns: string[]
  rows: Value[][]
}

type Json = Record<string, unknown>

/** In insertion order: each table after the ones it references. */
function rowsOfGym(gym: GeneratedGym, now = new Date().toISOString()): TableRows[] {
  const gymId = randomUUID()
  const summary = gym.summary
  const gyms: TableRows = {
    table: 'gyms',
    columns: ['id', 'stokt_id', 'display_name', 'location_string', 'source', 'created_at', 'updated_at'],
    rows: [[gymId, gym.gymId, text(summary.displayName), text(summary.locationString), 'stokt', now, now]],
  }

  const faces: TableRows = {
    table: 'faces',
    columns: [
      'id',
      'stokt_id',
      'gym_id',
      'picture_path',
      'picture_width',
      'picture_height',
      'feet_rules_options',
      'has_symmetry',
      'source',
      'synced_at',
      'created_at',
      'updated_at',
    ],
    rows: [],
  }
  const holds: TableRows = {
    table: 'holds',
    columns: [
      'stokt_id',
      'face_id',
      'polygon_str',
      'touch_polygon_str',
      'top_polygon_str',
      'path_str',
      'centroid_x',
      'centroid_y',
      'area',
      'center_tape_str',
      'right_tape_str',
      'left_tape_str',
      'created_at',
      'updated_at',
    ],
    rows: [],
  }
  const faceIds = new Map<string, string>()
  for (const [faceStoktId, setup] of gym.setups) {
    const faceId = randomUUID()
    faceIds.set(faceStoktId, faceId)
    const picture = setup.picture as Json
    faces.rows.push([
      faceId,
      faceStoktId,
      gymId,
      text(picture.name),
      num(picture.width),
      num(picture.height),
      JSON.stringify(setup.feetRulesOptions),
      setup.hasSymmetry ? 1 : 0,
      'stokt',
      now,
      now,
      now,
    ])
    for (const hold of setup.holds as Json[]) {
      const [x, y] = String(hold.centroidStr).split(' ').map(Number)
      holds.rows.push([
        num(hold.id),
        faceId,
        text(hold.polygonStr),
        text(hold.touchPolygonStr),
        text(hold.topPolygonStr),
        text(hold.pathStr),
        x,
        y,
        Number(hold.area),
        text(hold.centerTapeStr),
        text(hold.rightTapeStr),
        text(hold.leftTapeStr),
        now,
        now,
      ])
    }
  }

  const users: TableRows = {
    table: 'users',
    columns: ['id', 'stokt_id', 'full_name', 'avatar_path', 'source', 'created_at', 'updated_at'],
    rows: [],
  }
  const climbs: TableRows = {
    table: 'climbs',
    columns: [
      'id',
      'stokt_id',
      'face_id',
      'setter_id',
      'name',
      'holds_list',
      'mirror_holds_list',
      'grade_font',
      'grade_ircra',
      'feet_rule',
      'description',
      'is_private',
      'is_benchmark',
      'climbed_by',
      'total_likes',
      'total_comments',
      'source',
      'created_at',
      'synced_at',
      'updated_at',
    ],
    rows: [],
  }
  const userIds = new Map<string, string>()
  for (const climb of gym.climbs) {
    const setter = (climb.climbSetters ?? null) as Json | null
    let setterId: string | null = null
    if (setter !== null) {
      const setterStoktId = String(setter.id)
      setterId = userIds.get(setterStoktId) ?? null
      if (setterId === null) {
        setterId = randomUUID()
        userIds.set(setterStoktId, setterId)
        users.rows.push([setterId, setterStoktId, text(setter.fullName), text(setter.avatar) || null, 'stokt', now, now])
      }
    }
    const grade = (climb.crowdGrade ?? null) as Json | null
    climbs.rows.push([
      randomUUID(),
      String(climb.id),
      faceIds.get(String(climb.faceId)) ?? null,
      setterId,
      text(climb.name),
      text(climb.holdsList),
      text(climb.mirrorHoldsList) ?? '',
      text(grade?.font),
      num(grade?.ircra),
      text(climb.feetRule),
      text(climb.description),
      climb.isPrivate ? 1 : 0,
      climb.isBenchmark ? 1 : 0,
      num(climb.climbedBy),
      num(climb.totalLikes),
      num(climb.totalComments),
      'stokt',
      toCanonicalInstant(String(climb.dateCreated)) ?? now,
      now,
      now,
    ])
  }

  return [gyms, faces, holds, users, climbs]
}

/** Writes the gym into a database migrated by the earlier version, as that version's import left it. */
export async function writeEarlierLayoutGym(db: Knex, gym: GeneratedGym): Promise<void> {
  for (const {table, columns, rows} of rowsOfGym(gym)) {
    const records = rows.map((row) => Object.fromEntries(columns.map((column, index) => [column, row[index]])))
    await db.batchInsert(table, records, 200)
  }
}

function text(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value)
}

function num(value: unknown): number | null {
  return typeof value === 'number' ? value : null
}
