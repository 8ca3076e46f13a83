/** The server_layout migration's conversions: each column of one layout as SQL over a row of the other, per dialect. */
import type {Dialect} from '../../src/lib/db/target.js'
import type {ServerTable} from '../../src/lib/db/serverSchema.js'

/** Per table, the value of each column of the new layout, as SQL over the old row; a column left out is NULL. */
export type Columns = Record<ServerTable, Record<string, string>>

/** How each dialect turns a value into the target layout's encoding, as SQL. */
export interface Encoding {
  uuid(value: string): string
  instant(value: string): string
  json(value: string): string
  true: string
  false: string
}

/** The server's: native uuid and UTC `timestamp` on PostgreSQL; on SQLite, hex and `YYYY-MM-DD HH:MM:SS.ffffff`. */
export const SERVER_ENCODING: Record<Dialect, Encoding> = {
  postgres: {
    uuid: (value) => `${value}::uuid`,
    instant: (value) => `(${value} at time zone 'UTC')`,
    json: (value) => `${value}::json`,
    true: 'true',
    false: 'false',
  },
  sqlite: {
    uuid: (value) => `lower(replace(${value}, '-', ''))`,
    // From the canonical `YYYY-MM-DDTHH:MM:SS.ffffffZ` the importer kept.
    instant: (value) => `(substr(${value}, 1, 10) || ' ' || substr(${value}, 12, 15))`,
    json: (value) => value,
    true: '1',
    false: '0',
  },
}

/** The earlier layout's: `timestamptz` on PostgreSQL; on SQLite, dashed UUIDs and canonical ISO instants. */
export const EARLIER_ENCODING: Record<Dialect, Encoding> = {
  postgres: {
    uuid: (value) => value,
    instant: (value) => `(${value} at time zone 'UTC')`,
    json: (value) => `${value}::jsonb`,
    true: 'true',
    false: 'false',
  },
  sqlite: {
    uuid: (value) =>
      `(substr(${value}, 1, 8) || '-' || substr(${value}, 9, 4) || '-' || substr(${value}, 13, 4) || '-' || substr(${value}, 17, 4) || '-' || substr(${value}, 21, 12))`,
    instant: (value) => `(substr(${value}, 1, 10) || 'T' || substr(${value}, 12, 15) || 'Z')`,
    json: (value) => value,
    true: '1',
    false: '0',
  },
}

/** The rollback's instant, in the earlier layout's encoding (SQLite's %f: seconds with milliseconds). */
export const EARLIER_NOW: Record<Dialect, string> = {
  postgres: 'now()',
  sqlite: "strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')",
}

/**
 * The earlier layout's rows in the server's. Its own write stamps go (`updated_at`, holds' instants,
 * polygons the server has no column for); the server's columns new to these rows take the server's
 * values on create, else NULL. A user's `updated_at` is kept only where it moved since created, and a
 * climb's goes: for the server it is the last edit made in mastoc.
 */
export function toServerLayout(e: Encoding): Columns {
  return {
    gyms: sameGymColumns(e),
    users: {
      id: e.uuid('id'),
      stokt_id: e.uuid('stokt_id'),
      full_name: 'full_name',
      avatar_path: 'avatar_path',
      is_active: e.true,
      role: "'user'",
      source: 'source',
      created_at: e.instant('created_at'),
      updated_at: `case when updated_at = created_at then null else ${e.instant('updated_at')} end`,
    },
    faces: {
      id: e.uuid('id'),
      stokt_id: e.uuid('stokt_id'),
      gym_id: e.uuid('gym_id'),
      picture_path: "coalesce(picture_path, '')",
      picture_width: 'picture_width',
      picture_height: 'picture_height',
      feet_rules_options: e.json("coalesce(feet_rules_options, '[]')"),
      has_symmetry: 'has_symmetry',
      source: 'source',
      synced_at: e.instant('synced_at'),
      created_at: e.instant('created_at'),
    },
    holds: {
      id: 'id',
      stokt_id: 'stokt_id',
      face_id: e.uuid('face_id'),
      polygon_str: 'polygon_str',
      centroid_x: 'centroid_x',
      centroid_y: 'centroid_y',
      path_str: 'path_str',
      area: 'area',
      center_tape_str: 'center_tape_str',
      right_tape_str: 'right_tape_str',
      left_tape_str: 'left_tape_str',
    },
    climbs: {
      ...sameClimbColumns(e),
      synced_at: e.instant('synced_at'),
      is_project: e.false,
    },
  }
}

/**
 * The server's rows in the earlier layout. Its write stamps come back: a face's or climb's
 * `updated_at` is its `synced_at` (else `created_at`), a gym's its `created_at`, a user's its
 * `updated_at` (else `created_at`); holds had their own, which are now the rollback's instant.
 */
export function toEarlierLayout(e: Encoding, now: string): Columns {
  return {
    gyms: {...sameGymColumns(e), updated_at: e.instant('created_at')},
    users: {
      id: e.uuid('id'),
      stokt_id: e.uuid('stokt_id'),
      full_name: 'full_name',
      avatar_path: 'avatar_path',
      source: 'source',
      created_at: e.instant('created_at'),
      updated_at: e.instant('coalesce(updated_at, created_at)'),
    },
    faces: {
      id: e.uuid('id'),
      stokt_id: e.uuid('stokt_id'),
      gym_id: e.uuid('gym_id'),
      picture_path: 'picture_path',
      picture_width: 'picture_width',
      picture_height: 'picture_height',
      feet_rules_options: e.json('feet_rules_options'),
      has_symmetry: 'has_symmetry',
      source: 'source',
      synced_at: e.instant('coalesce(synced_at, created_at)'),
      created_at: e.instant('created_at'),
      updated_at: e.instant('coalesce(synced_at, created_at)'),
    },
    holds: {
      id: 'id',
      stokt_id: 'stokt_id',
      face_id: e.uuid('face_id'),
      polygon_str: 'polygon_str',
      path_str: 'path_str',
      centroid_x: 'centroid_x',
      centroid_y: 'centroid_y',
      area: 'area',
      center_tape_str: 'center_tape_str',
      right_tape_str: 'right_tape_str',
      left_tape_str: 'left_tape_str',
      created_at: now,
      updated_at: now,
    },
    climbs: {
      ...sameClimbColumns(e),
      mirror_holds_list: "coalesce(mirror_holds_list, '')",
      synced_at: e.instant('coalesce(synced_at, created_at)'),
      updated_at: e.instant('coalesce(synced_at, created_at)'),
    },
  }
}

/** A gym's columns both layouts have, converted alike both ways. */
function sameGymColumns(e: Encoding): Record<string, string> {
  return {
    id: e.uuid('id'),
    stokt_id: e.uuid('stokt_id'),
    display_name: 'display_name',
    location_string: 'location_string',
    source: 'source',
    created_at: e.instant('created_at'),
  }
}

/** A climb's columns both layouts have, converted alike both ways. */
function sameClimbColumns(e: Encoding): Record<string, string> {
  return {
    id: e.uuid('id'),
    stokt_id: e.uuid('stokt_id'),
    face_id: e.uuid('face_id'),
    setter_id: e.uuid('setter_id'),
    name: 'name',
    holds_list: 'holds_list',
    mirror_holds_list: 'mirror_holds_list',
    grade_font: 'grade_font',
    grade_ircra: 'grade_ircra',
    feet_rule: 'feet_rule',
    description: 'description',
    is_private: 'is_private',
    is_benchmark: 'is_benchmark',
    climbed_by: 'climbed_by',
    total_likes: 'total_likes',
    total_comments: 'total_comments',
    source: 'source',
    created_at: e.instant('created_at'),
  }
}
