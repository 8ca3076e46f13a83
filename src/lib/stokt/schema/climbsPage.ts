import {z} from 'zod'

/** The DRF page envelope of `GET /api/gyms/{gymId}/climbs`; its results are validated one by one. */
export const ClimbsPageSchema = z.object({
  count: z
    .number({error: 'count is not a whole number'})
    .int({error: 'count is not a whole number'})
    .nonnegative({error: 'count is not a whole number'}),
  next: z.string({error: 'next is neither a URL nor null'}).nullable(),
  previous: z.string().nullish(),
  results: z.array(z.unknown(), {error: 'results is not an array'}),
})

export type ClimbsPageEnvelope = z.output<typeof ClimbsPageSchema>
