import type {ClimbSetter, Climb} from '../stokt/schema/climb.js'
import type {GymSummary} from '../stokt/schema/gym.js'
import type {FaceSetup, Hold} from '../stokt/schema/setup.js'
import type {ClimbRow, FaceRow, GymRow, HoldRow, UserRow} from './upsert.js'

/**
 * Stokt → the mastoc server's rows (tables.ts). A missing optional field is stored as null, as a null
 * one: a stored NULL must compare equal to the fresh value, or every re-run would rewrite the row.
 */

export function gymRow(summary: GymSummary, raw?: unknown): GymRow {
  return {
    stoktId: summary.id,
    values: {display_name: summary.displayName, location_string: summary.locationString ?? null},
    raw,
  }
}

export function faceRow(gymStoktId: string, setup: FaceSetup, raw?: unknown): FaceRow {
  return {
    stoktId: setup.id,
    values: {
      // NOT NULL in the server's schema: a face without a picture has '', as the server's own import writes.
      picture_path: setup.picture?.name ?? '',
      picture_width: setup.picture?.width ?? null,
      picture_height: setup.picture?.height ?? null,
      feet_rules_options: setup.feetRulesOptions ?? [],
      has_symmetry: setup.hasSymmetry ?? false,
    },
    refs: {gym_id: {entity: 'gym', stoktId: gymStoktId, field: 'gym'}},
    raw,
  }
}

export function holdRow(faceStoktId: string, hold: Hold, raw?: unknown): HoldRow {
  return {
    stoktId: hold.id,
    values: {
      polygon_str: hold.polygonStr,
      centroid_x: hold.centroidStr?.[0] ?? null,
      centroid_y: hold.centroidStr?.[1] ?? null,
      path_str: hold.pathStr ?? null,
      area: hold.area ?? null,
      center_tape_str: hold.centerTapeStr ?? null,
      right_tape_str: hold.rightTapeStr ?? null,
      left_tape_str: hold.leftTapeStr ?? null,
    },
    refs: {face_id: {entity: 'face', stoktId: faceStoktId, field: 'faceId'}},
    raw,
  }
}

export function userRow(setter: ClimbSetter, raw?: unknown): UserRow {
  // Stokt says "no avatar" as null and as "" (a third of a real gym's setters): stored one way, null.
  return {stoktId: setter.id, values: {full_name: setter.fullName, avatar_path: setter.avatar || null}, raw}
}

export function climbRow(climb: Climb, raw?: unknown): ClimbRow {
  return {
    stoktId: climb.id,
    values: {
      name: climb.name,
      holds_list: climb.holdsList,
      mirror_holds_list: climb.mirrorHoldsList ?? null,
      grade_font: climb.crowdGrade?.font ?? null,
      grade_ircra: climb.crowdGrade?.ircra ?? null,
      feet_rule: climb.feetRule ?? null,
      is_private: climb.isPrivate,
      is_benchmark: climb.isBenchmark,
      climbed_by: climb.climbedBy,
      total_likes: climb.totalLikes,
      total_comments: climb.totalComments,
      created_at: climb.dateCreated,
    },
    refs: {
      face_id: {entity: 'face', stoktId: climb.faceId, field: 'faceId'},
      setter_id: {entity: 'user', stoktId: climb.climbSetters?.id ?? null, field: 'climbSetters.id'},
    },
    raw,
  }
}
