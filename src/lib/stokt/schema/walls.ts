import {z} from 'zod'

import {stoktUuid} from './common.js'

/** `GET /api/gyms/{gymId}/walls`: the walls and the ids of their faces. */
export const WallsSchema = z.array(
  z.object({
    id: stoktUuid,
    name: z.string().nullish(),
    faces: z.array(z.object({id: stoktUuid, isActive: z.boolean().optional()})),
  }),
  {error: 'expected an array of walls'},
)

export type Walls = z.output<typeof WallsSchema>
