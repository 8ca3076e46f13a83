import {z} from 'zod'

/** The DRF page envelope of `GET /api/gyms/{gymId}/climbs`; its results are validated one by one. */
export const ClimbsPageSchema = z.object({
  count: z.number().int().nonnegative().optional(),
  next: z.string().nullable(),
  previous: z.string().nullish(),
  results: z.array(z.unknown()),
})

export type ClimbsPageEnvelope = z.output<typeof ClimbsPageSchema>
