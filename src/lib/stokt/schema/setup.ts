import {z} from 'zod'

import {
  finiteNumber,
  INTEGER_COLUMN_MAX,
  optionalText,
  OVER_INTEGER_COLUMN,
  problemCheck,
  stoktText,
  stoktDecimal,
  stoktUuid,
} from './common.js'

/** A picture's width or height. */
const pixels = z.number().int().positive().max(INTEGER_COLUMN_MAX, {error: OVER_INTEGER_COLUMN})

/** `GET /api/faces/{faceId}/setup` without its holds, which are validated one by one. */
export const FaceSetupSchema = z.object({
  id: stoktUuid,
  picture: z
    .object({
      name: stoktText(),
      width: pixels.nullish(),
      height: pixels.nullish(),
    })
    .nullish(),
  feetRulesOptions: z.array(stoktText()).nullish(),
  hasSymmetry: z.boolean({error: 'expected true or false'}).nullish(),
  holds: z.array(z.unknown(), {error: 'expected an array of holds'}),
})

export type FaceSetup = z.output<typeof FaceSetupSchema>

/** A hold id is the server's `integer` column `holds.stokt_id`: past its maximum PostgreSQL refuses it, and SQLite would keep it. */
const holdId = z.number({error: 'expected an integer hold id'}).check(
  problemCheck((id: number) => {
    if (!Number.isInteger(id)) return 'expected an integer hold id'
    if (id <= 0) return 'must be positive'
    return id > INTEGER_COLUMN_MAX ? OVER_INTEGER_COLUMN : undefined
  }),
)

/** "572.53 2397.11" → [572.53, 2397.11]. */
const centroid = z
  .string({error: 'expected "x y"'})
  .regex(/^\s*-?\d+(\.\d+)?\s+-?\d+(\.\d+)?\s*$/, {error: 'expected two numbers "x y"'})
  .transform(
    (text, ctx) =>
      text
        .trim()
        .split(/\s+/)
        .map((coordinate) => finiteNumber(coordinate, ctx)) as [number, number],
  )

/** One of `setup.holds[]`. */
export const HoldSchema = z.object({
  id: holdId,
  area: stoktDecimal.nullish(),
  polygonStr: stoktText(),
  pathStr: optionalText,
  centroidStr: centroid.nullish(),
  centerTapeStr: optionalText,
  rightTapeStr: optionalText,
  leftTapeStr: optionalText,
})

export type Hold = z.output<typeof HoldSchema>
