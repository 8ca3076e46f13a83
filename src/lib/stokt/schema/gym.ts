import {z} from 'zod'

import {boundedText, optionalText, stoktUuid} from './common.js'

/** `GET /api/gyms/{gymId}/summary`: only what the importer keeps. */
export const GymSummarySchema = z.object({
  id: stoktUuid,
  displayName: boundedText(255),
  locationString: optionalText,
})

export type GymSummary = z.output<typeof GymSummarySchema>
