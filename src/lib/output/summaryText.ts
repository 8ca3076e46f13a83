import type {ImportSummary} from '../import/summary.js'

const ENTITIES = ['faces', 'holds', 'users', 'climbs'] as const
const COLUMNS = ['created', 'updated', 'unchanged', 'errors', 'total'] as const
/** Rejected records listed in the human summary; --json has them all. */
const MAX_REJECTED_SHOWN = 20

/** The summary as a person reads it at the end of a run. */
export function formatSummary(summary: ImportSummary): string {
  const lines: string[] = []
  const seconds = (summary.durationMs / 1000).toFixed(1)
  const how = summary.strategy === 'batch' ? `batches of ${summary.batchSize}` : 'row by row'
  lines.push(
    summary.dryRun
      ? `Dry run of gym ${summary.gym} (${how}) in ${seconds} s: nothing was written. It would have:`
      : `Imported gym ${summary.gym} (${how}) in ${seconds} s.`,
  )
  lines.push('')
  const header = ['', ...(summary.dryRun ? ['create', 'update', 'unchanged', 'errors', 'total'] : COLUMNS)]
  const rows = ENTITIES.filter((entity) => summary[entity] !== undefined).map((entity) => {
    const counts = summary[entity]!
    return [entity, ...COLUMNS.map((column) => String(counts[column]))]
  })
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column].length)))
  for (const row of [header, ...rows]) {
    lines.push(row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ').trimEnd())
  }
  if (summary.rejected.length > 0) {
    lines.push('')
    lines.push(`${summary.rejected.length} record${summary.rejected.length === 1 ? ' was' : 's were'} rejected:`)
    for (const rejected of summary.rejected.slice(0, MAX_REJECTED_SHOWN)) {
      lines.push(`  ${rejected.entity} ${rejected.stoktId ?? '(no id)'}: ${rejected.reason}`)
    }
    if (summary.rejected.length > MAX_REJECTED_SHOWN) {
      lines.push(`  … and ${summary.rejected.length - MAX_REJECTED_SHOWN} more (--json lists them all)`)
    }
  }
  return lines.join('\n')
}
