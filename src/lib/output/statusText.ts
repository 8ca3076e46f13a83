import type {DatabaseStatus} from '../db/admin.js'

/** `mastoc status` for a person: counts, then one line per recent run. */
export function formatStatus(status: DatabaseStatus): string {
  const lines = ['Rows:']
  for (const [table, count] of Object.entries(status.counts)) lines.push(`  ${table.padEnd(7)} ${count}`)
  lines.push('', status.runs.length === 0 ? 'No import has run yet.' : 'Latest runs (newest first):')
  for (const run of status.runs) {
    const dry = run.dryRun ? ' (dry run)' : ''
    lines.push(`  ${run.startedAt}  ${run.command.padEnd(14)} ${run.status.padEnd(10)} gym ${run.gymStoktId}${dry}`)
    if (run.error) lines.push(`      ${run.error}`)
  }
  return lines.join('\n')
}
