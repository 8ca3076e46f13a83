/** The mastoc server's five tables as the importer writes them, column by owner: columns not named here are the server's. */
export type ColumnKind = 'text' | 'uuid' | 'integer' | 'real' | 'boolean' | 'json' | 'instant'

export type EntityName = 'gym' | 'face' | 'hold' | 'user' | 'climb'

/** A value written once, when the importer creates the row: a constant, or the write's instant. */
export type CreateValue = {kind: ColumnKind; value: string | boolean | null} | {kind: 'instant'; value: 'now'}

/** A row as the importer compares it: Stokt-owned columns in canonical JS values. */
export type OwnedValues = Record<string, unknown>

/** Each table's Stokt-owned columns, canonical (a reference: its mastoc id). Types, not interfaces: each is an `OwnedValues`. */
export type GymValues = {display_name: string; location_string: string | null}

export type FaceValues = {
  gym_id: string
  picture_path: string
  picture_width: number | null
  picture_height: number | null
  feet_rules_options: string[]
  has_symmetry: boolean
}

export type HoldValues = {
  face_id: string
  polygon_str: string
  centroid_x: number | null
  centroid_y: number | null
  path_str: string | null
  area: number | null
  center_tape_str: string | null
  right_tape_str: string | null
  left_tape_str: string | null
}

export type UserValues = {full_name: string; avatar_path: string | null}

export type ClimbValues = {
  face_id: string
  setter_id: string | null
  name: string
  holds_list: string
  mirror_holds_list: string | null
  grade_font: string | null
  grade_ircra: number | null
  feet_rule: string | null
  is_private: boolean
  is_benchmark: boolean
  climbed_by: number
  total_likes: number
  total_comments: number
  created_at: string
}

/** One table as the importer writes it. `V`: its Stokt-owned columns, each named once in `columns` and `fields`. */
export interface TableSpec<V extends OwnedValues = OwnedValues> {
  entity: EntityName
  table: string
  /** How a new row's `id` is made: a UUID here, or the database's own integer sequence. */
  id: 'uuid' | 'increments'
  /** Stokt's ids: UUIDs, or integers (holds). */
  stoktId: 'uuid' | 'integer'
  /** Stokt-sourced columns, references (`face_id`…) included: written on create and when they change. */
  columns: Readonly<Record<keyof V & string, ColumnKind>>
  /** The Stokt field each column comes from, for the reason of a rejected record. */
  fields: Readonly<Record<keyof V & string, string>>
  /** Written on create only, with the server's own defaults (most have none in the database). */
  onCreate: Readonly<Record<string, CreateValue>>
  /** Stamped with the write's instant whenever the importer writes the row (`synced_at`). */
  stampOnWrite: readonly string[]
  /** Stamped with the write's instant when the importer changes a row, never on create (`users.updated_at`). */
  stampOnUpdate: readonly string[]
  /** Stokt columns whose stored value the server set and Stokt's never replaces. */
  serverValues?: Readonly<Record<string, (stored: unknown) => boolean>>
}

const STOKT_SOURCE: CreateValue = {kind: 'text', value: 'stokt'}
const CREATED_NOW: CreateValue = {kind: 'instant', value: 'now'}

export const GYMS: TableSpec<GymValues> = {
  entity: 'gym',
  table: 'gyms',
  id: 'uuid',
  stoktId: 'uuid',
  columns: {display_name: 'text', location_string: 'text'},
  fields: {display_name: 'displayName', location_string: 'locationString'},
  onCreate: {source: STOKT_SOURCE, created_at: CREATED_NOW},
  stampOnWrite: [],
  stampOnUpdate: [],
}

export const FACES: TableSpec<FaceValues> = {
  entity: 'face',
  table: 'faces',
  id: 'uuid',
  stoktId: 'uuid',
  columns: {
    gym_id: 'uuid',
    picture_path: 'text',
    picture_width: 'integer',
    picture_height: 'integer',
    feet_rules_options: 'json',
    has_symmetry: 'boolean',
  },
  fields: {
    gym_id: 'gym',
    picture_path: 'picture.name',
    picture_width: 'picture.width',
    picture_height: 'picture.height',
    feet_rules_options: 'feetRulesOptions',
    has_symmetry: 'hasSymmetry',
  },
  onCreate: {source: STOKT_SOURCE, created_at: CREATED_NOW},
  stampOnWrite: ['synced_at'],
  stampOnUpdate: [],
}

export const HOLDS: TableSpec<HoldValues> = {
  entity: 'hold',
  table: 'holds',
  id: 'increments',
  stoktId: 'integer',
  columns: {
    face_id: 'uuid',
    polygon_str: 'text',
    centroid_x: 'real',
    centroid_y: 'real',
    path_str: 'text',
    area: 'real',
    center_tape_str: 'text',
    right_tape_str: 'text',
    left_tape_str: 'text',
  },
  fields: {
    face_id: 'faceId',
    polygon_str: 'polygonStr',
    centroid_x: 'centroidStr',
    centroid_y: 'centroidStr',
    path_str: 'pathStr',
    area: 'area',
    center_tape_str: 'centerTapeStr',
    right_tape_str: 'rightTapeStr',
    left_tape_str: 'leftTapeStr',
  },
  onCreate: {},
  stampOnWrite: [],
  stampOnUpdate: [],
}

/** An avatar a mastoc user uploaded: the server serves it from its own path. */
const SERVER_AVATAR_PREFIX = '/api/users/'

export const USERS: TableSpec<UserValues> = {
  entity: 'user',
  table: 'users',
  id: 'uuid',
  stoktId: 'uuid',
  columns: {full_name: 'text', avatar_path: 'text'},
  fields: {full_name: 'climbSetters.fullName', avatar_path: 'climbSetters.avatar'},
  onCreate: {source: STOKT_SOURCE, is_active: {kind: 'boolean', value: true}, role: {kind: 'text', value: 'user'}, created_at: CREATED_NOW},
  stampOnWrite: [],
  stampOnUpdate: ['updated_at'],
  serverValues: {avatar_path: (stored) => typeof stored === 'string' && stored.startsWith(SERVER_AVATAR_PREFIX)},
}

export const CLIMBS: TableSpec<ClimbValues> = {
  entity: 'climb',
  table: 'climbs',
  id: 'uuid',
  stoktId: 'uuid',
  columns: {
    face_id: 'uuid',
    setter_id: 'uuid',
    name: 'text',
    holds_list: 'text',
    mirror_holds_list: 'text',
    grade_font: 'text',
    grade_ircra: 'real',
    feet_rule: 'text',
    is_private: 'boolean',
    is_benchmark: 'boolean',
    climbed_by: 'integer',
    total_likes: 'integer',
    total_comments: 'integer',
    // Stokt's dateCreated: owned, unlike the other tables' created_at.
    created_at: 'instant',
  },
  fields: {
    face_id: 'faceId',
    setter_id: 'climbSetters.id',
    name: 'name',
    holds_list: 'holdsList',
    mirror_holds_list: 'mirrorHoldsList',
    grade_font: 'crowdGrade.font',
    grade_ircra: 'crowdGrade.ircra',
    feet_rule: 'feetRule',
    is_private: 'isPrivate',
    is_benchmark: 'isBenchmark',
    climbed_by: 'climbedBy',
    total_likes: 'totalLikes',
    total_comments: 'totalComments',
    created_at: 'dateCreated',
  },
  // `description` is left NULL: Stokt serves none, and the server's own import writes none.
  onCreate: {source: STOKT_SOURCE, is_project: {kind: 'boolean', value: false}},
  stampOnWrite: ['synced_at'],
  stampOnUpdate: [],
}

export const SERVER_TABLES: readonly TableSpec[] = [GYMS, FACES, HOLDS, USERS, CLIMBS]

export interface Column {
  name: string
  kind: ColumnKind
}

const OWNED_COLUMNS = new WeakMap<TableSpec, readonly Column[]>()

/** The spec's Stokt columns as a list, made once per table: it is walked for every row. */
export function ownedColumns(spec: TableSpec): readonly Column[] {
  let columns = OWNED_COLUMNS.get(spec)
  if (!columns) OWNED_COLUMNS.set(spec, (columns = Object.entries(spec.columns).map(([name, kind]) => ({name, kind}))))
  return columns
}

/** Every column a new row is written with, in one order: id, stokt_id, Stokt's, create-only, stamps. */
export function insertedColumns(spec: TableSpec): Column[] {
  return [
    ...(spec.id === 'uuid' ? [{name: 'id', kind: 'uuid' as const}] : []),
    {name: 'stokt_id', kind: spec.stoktId},
    ...ownedColumns(spec),
    ...Object.entries(spec.onCreate).map(([name, {kind}]) => ({name, kind})),
    ...spec.stampOnWrite.map((name) => ({name, kind: 'instant' as const})),
  ]
}

/** Every column the importer writes into this table, with its kind: what the table must have. */
export function writtenColumns(spec: TableSpec): Column[] {
  return [...insertedColumns(spec), ...spec.stampOnUpdate.map((name) => ({name, kind: 'instant' as const}))]
}
