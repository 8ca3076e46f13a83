import {z} from 'zod'

import {optionalText, stoktText, stoktUuid} from './common.js'

/** `GET /api/gyms/{gymId}/summary`: only what the importer keeps. */
export const GymSummarySchema = z.object({
  id: stoktUuid,
  displayName: stoktText(),
  locationString: optionalText,
})

export type GymSummary = z.output<typeof GymSummarySchema>
