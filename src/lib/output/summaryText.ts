import type {ImportSummary} from '../import/summary.js'

const ENTITIES = ['faces', 'holds', 'users', 'climbs'] as const
const COLUMNS = ['created', 'updated', 'unchanged', 'errors', 'total'] as const
/** Lines listed per list in the human summary; --json has them all. */
const MAX_LISTED = 20

/**
 * The summary as a person reads it at the end of a run. `database`: the target as shown, its
 * password masked (DatabaseTarget.display): which database a run wrote to is the first question.
 */
export function formatSummary(summary: ImportSummary, database?: string): string {
  const lines: string[] = []
  const seconds = (summary.durationMs / 1000).toFixed(1)
  const how = summary.strategy === 'batch' ? `batches of ${summary.batchSize}` : 'row by row'
  lines.push(
    summary.dryRun
      ? `Dry run of gym ${summary.gym}${database ? ` against ${database}` : ''} (${how}) in ${seconds} s: nothing was written. It would have:`
      : `Imported gym ${summary.gym}${database ? ` into ${database}` : ''} (${how}) in ${seconds} s.`,
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
  if (summary.changes) lines.push(...formatChanges(summary.changes))
  if (summary.missing && summary.missing.count > 0) {
    lines.push('', `${summary.missing.count} climb${summary.missing.count === 1 ? ' is' : 's are'} no longer served by Stokt (kept):`)
    lines.push(...capped(summary.missing.ids.map((id) => `  ${id}`), 'missing'))
  }
  if (summary.rejected.length > 0) lines.push('', formatRejected(summary))
  return lines.join('\n')
}

/** The rejected records, one line each (capped): for the summary, and alone under --quiet. */
export function formatRejected(summary: ImportSummary): string {
  const count = summary.rejected.length
  const lines = [`${count} record${count === 1 ? ' was' : 's were'} rejected:`]
  lines.push(...capped(summary.rejected.map((rejected) => `  ${rejected.entity} ${rejected.stoktId ?? '(no id)'}: ${rejected.reason}`), 'rejected'))
  return lines.join('\n')
}

/** A dry run's diff: what would be created, and each update field by field, from → to. */
function formatChanges(changes: NonNullable<ImportSummary['changes']>): string[] {
  const lines: string[] = []
  for (const entity of ['gym', ...ENTITIES] as const) {
    const entityChanges = changes[entity]
    if (!entityChanges) continue
    const {create, update} = entityChanges
    if (create.length > 0) {
      lines.push('', `${entity} to create (${create.length}):`)
      lines.push(...capped(create.map((id) => `  ${id}`), `changes.${entity}.create`))
    }
    if (update.length > 0) {
      lines.push('', `${entity} to update (${update.length}):`)
      const updates = update.map(
        ({stoktId, fields}) => `  ${stoktId}: ${fields.map(({field, from, to}) => `${field} ${show(from)} → ${show(to)}`).join(', ')}`,
      )
      lines.push(...capped(updates, `changes.${entity}.update`))
    }
  }
  return lines
}

function capped(lines: string[], jsonKey: string): string[] {
  if (lines.length <= MAX_LISTED) return lines
  return [...lines.slice(0, MAX_LISTED), `  … and ${lines.length - MAX_LISTED} more (--json lists them all under ${jsonKey})`]
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null'
  return text.length > 80 ? `${text.slice(0, 80)}…` : text
}
