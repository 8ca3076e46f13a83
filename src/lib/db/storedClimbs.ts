import type {Knex} from 'knex'

import type {Dialect} from './target.js'
import {fromDatabaseValue, toDatabaseValue} from './encodings.js'

/** A gym's climbs from Stokt as the database holds them: to tell those Stokt no longer serves. */
export class KnexStoredClimbs {
  constructor(
    private readonly db: Knex,
    private readonly dialect: Dialect,
  ) {}

  async climbStoktIdsOfGym(gymStoktId: string): Promise<string[]> {
    const rows: {stokt_id: string}[] = await this.climbsOfGym(gymStoktId).select('climbs.stokt_id')
    return rows.map((row) => fromDatabaseValue('uuid', row.stokt_id) as string)
  }

  async countClimbsOfGym(gymStoktId: string): Promise<number> {
    const [row] = await this.climbsOfGym(gymStoktId).count({count: '*'})
    return Number(row.count)
  }

  async describeClimbs(stoktIds: string[]): Promise<Map<string, {name: string; faceStoktId: string | null}>> {
    const described = new Map<string, {name: string; faceStoktId: string | null}>()
    // A few hundred at a time: clear of any limit on a statement's parameters.
    for (let start = 0; start < stoktIds.length; start += 500) {
      const chunk = stoktIds.slice(start, start + 500).map((id) => toDatabaseValue(this.dialect, 'uuid', id) as string)
      const rows: {stokt_id: string; name: string; face_stokt_id: string | null}[] = await this.db('climbs')
        .leftJoin('faces', 'faces.id', 'climbs.face_id')
        .whereIn('climbs.stokt_id', chunk)
        .select('climbs.stokt_id', 'climbs.name', 'faces.stokt_id as face_stokt_id')
      for (const row of rows) {
        const faceStoktId = row.face_stokt_id === null ? null : (fromDatabaseValue('uuid', row.face_stokt_id) as string)
        described.set(fromDatabaseValue('uuid', row.stokt_id) as string, {name: row.name, faceStoktId})
      }
    }
    return described
  }

  private climbsOfGym(gymStoktId: string): Knex.QueryBuilder {
    return (
      this.db('climbs')
        .join('faces', 'faces.id', 'climbs.face_id')
        .join('gyms', 'gyms.id', 'faces.gym_id')
        .where('gyms.stokt_id', toDatabaseValue(this.dialect, 'uuid', gymStoktId) as string)
        .andWhere('climbs.source', 'stokt')
        // A climb without a Stokt id is the server's own, whatever its `source` (a server's table may
        // default it to 'stokt'): never one that Stokt no longer serves.
        .whereNotNull('climbs.stokt_id')
    )
  }
}
