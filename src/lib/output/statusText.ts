import type {DatabaseStatus} from '../db/admin.js'

/** `mastoc status` for a person: counts, then one line per recent run. */
export function formatStatus(status: DatabaseStatus): string {
  const lines = ['Rows:']
  for (const [table, count] of Object.entries(status.counts)) lines.push(`  ${table.padEnd(7)} ${count}`)
  lines.push('', status.locks.length === 0 ? 'No import is running.' : 'Running now:')
  for (const lock of status.locks) {
    lines.push(`  gym ${lock.gymStoktId}: ${lock.holder}, since ${lock.acquiredAt} (last heartbeat ${lock.heartbeatAt})`)
  }
  if (status.lastCompleted.length > 0) {
    lines.push('', 'Last completed import per gym:')
    for (const run of status.lastCompleted) lines.push(`  gym ${run.gymStoktId}  ${run.finishedAt ?? run.startedAt}  ${run.command} (${run.status})`)
  }
  lines.push('', status.runs.length === 0 ? 'No import has run yet.' : 'Latest runs (newest first):')
  for (const run of status.runs) {
    const dry = run.dryRun ? ' (dry run)' : ''
    lines.push(`  ${run.startedAt}  ${run.command.padEnd(14)} ${run.status.padEnd(11)} gym ${run.gymStoktId}${dry}${counts(run.summary)}`)
    if (run.error) lines.push(`      ${run.error}`)
  }
  return lines.join('\n')
}

/** "  climbs +3 ~1 !2": created, updated, rejected, for the entities a run touched. */
function counts(summary: unknown): string {
  if (summary === null || typeof summary !== 'object') return ''
  const parts: string[] = []
  for (const entity of ['faces', 'holds', 'users', 'climbs']) {
    const entityCounts = (summary as Record<string, {created: number; updated: number; errors: number} | undefined>)[entity]
    if (entityCounts) parts.push(`${entity} +${entityCounts.created} ~${entityCounts.updated} !${entityCounts.errors}`)
  }
  return parts.length > 0 ? `  (${parts.join(', ')})` : ''
}
