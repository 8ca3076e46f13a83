/**
 * What the importer owns in each table: the Stokt-sourced columns it compares and overwrites.
 * Columns not listed here (the server's own) are never written after a row is created.
 */
export type ColumnKind = 'text' | 'uuid' | 'integer' | 'real' | 'boolean' | 'json' | 'instant'

export type EntityName = 'gym' | 'face' | 'hold' | 'user' | 'climb'

export interface TableSpec {
  entity: EntityName
  table: string
  /** How a new row's `id` is made: a UUID here, or the database's own integer sequence. */
  id: 'uuid' | 'increments'
  /** Stokt's ids: UUID text, or integers (holds). */
  stoktId: 'text' | 'integer'
  /** Stokt-sourced columns, references (`face_id`…) included. */
  columns: Readonly<Record<string, ColumnKind>>
  /** Has a `synced_at`, set whenever the row is written from Stokt. */
  syncedAt: boolean
  /** Has a `source` column ('stokt'). */
  source: boolean
}

export const GYMS: TableSpec = {
  entity: 'gym',
  table: 'gyms',
  id: 'uuid',
  stoktId: 'text',
  columns: {display_name: 'text', location_string: 'text'},
  syncedAt: false,
  source: true,
}

export const FACES: TableSpec = {
  entity: 'face',
  table: 'faces',
  id: 'uuid',
  stoktId: 'text',
  columns: {
    gym_id: 'uuid',
    picture_path: 'text',
    picture_width: 'integer',
    picture_height: 'integer',
    feet_rules_options: 'json',
    has_symmetry: 'boolean',
  },
  syncedAt: true,
  source: true,
}

export const HOLDS: TableSpec = {
  entity: 'hold',
  table: 'holds',
  id: 'increments',
  stoktId: 'integer',
  columns: {
    face_id: 'uuid',
    polygon_str: 'text',
    touch_polygon_str: 'text',
    top_polygon_str: 'text',
    path_str: 'text',
    centroid_x: 'real',
    centroid_y: 'real',
    area: 'real',
    center_tape_str: 'text',
    right_tape_str: 'text',
    left_tape_str: 'text',
  },
  syncedAt: false,
  source: false,
}

export const USERS: TableSpec = {
  entity: 'user',
  table: 'users',
  id: 'uuid',
  stoktId: 'text',
  columns: {full_name: 'text', avatar_path: 'text'},
  syncedAt: false,
  source: true,
}

export const CLIMBS: TableSpec = {
  entity: 'climb',
  table: 'climbs',
  id: 'uuid',
  stoktId: 'text',
  columns: {
    face_id: 'uuid',
    setter_id: 'uuid',
    name: 'text',
    holds_list: 'text',
    mirror_holds_list: 'text',
    grade_font: 'text',
    grade_ircra: 'real',
    feet_rule: 'text',
    description: 'text',
    is_private: 'boolean',
    is_benchmark: 'boolean',
    climbed_by: 'integer',
    total_likes: 'integer',
    total_comments: 'integer',
    // Stokt's dateCreated: owned, unlike the other tables' created_at.
    created_at: 'instant',
  },
  syncedAt: true,
  source: true,
}

export interface Column {
  name: string
  kind: ColumnKind
}

const OWNED_COLUMNS = new WeakMap<TableSpec, readonly Column[]>()

/** The spec's owned columns as a list, made once per table: it is walked for every row. */
export function ownedColumns(spec: TableSpec): readonly Column[] {
  let columns = OWNED_COLUMNS.get(spec)
  if (!columns) OWNED_COLUMNS.set(spec, (columns = Object.entries(spec.columns).map(([name, kind]) => ({name, kind}))))
  return columns
}
