import type {ChangedEntity, ImportSummary, RecordLabel} from '../import/summary.js'

const ENTITIES = ['faces', 'holds', 'users', 'climbs'] as const
const COLUMNS = ['created', 'updated', 'unchanged', 'errors', 'total'] as const
/** Lines listed per list in the human summary; --json has them all. */
const MAX_LISTED = 20

/** The summary a person reads at the end of a run; `database` (masked) first: which database a run wrote to is the first question. */
export function formatSummary(summary: ImportSummary, database?: string, options: RejectedListOptions = {}): string {
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
    lines.push(
      row
        .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column])))
        .join('  ')
        .trimEnd(),
    )
  }
  if (summary.changes) lines.push(...formatChanges(summary.changes))
  if (summary.missing && summary.missing.count > 0) {
    lines.push('', `${summary.missing.count} climb${summary.missing.count === 1 ? ' is' : 's are'} no longer served by Stokt (kept):`)
    const {labels} = summary.missing
    lines.push(
      ...capped(
        summary.missing.ids.map((id) => `  ${id}${labelText('climbs', labels?.[id])}`),
        jsonLists('missing'),
      ),
    )
  }
  if (summary.rejected.length > 0) lines.push('', formatRejected(summary, options))
  return lines.join('\n')
}

export interface RejectedListOptions {
  /** The --rejects file, which holds every rejected record: where a capped list sends a person. */
  rejectsFile?: string
}

/** The rejected records, one line each (capped): for the summary, and alone under --quiet. */
export function formatRejected(summary: ImportSummary, {rejectsFile}: RejectedListOptions = {}): string {
  const count = summary.rejected.length
  const lines = [`${count} record${count === 1 ? ' was' : 's were'} rejected:`]
  lines.push(
    ...capped(
      summary.rejected.map((rejected) => `  ${rejected.entity} ${rejected.stoktId ?? '(no id)'}: ${rejected.reason}`),
      // --json is refused beside --log-file (cron): the file that has them all is the one to name.
      rejectsFile === undefined ? '--rejects FILE writes them all; --json lists them under rejected' : `all of them are in ${rejectsFile}`,
    ),
  )
  return lines.join('\n')
}

/** A dry run's diff: what would be created, and each update field by field, from → to. */
function formatChanges(changes: NonNullable<ImportSummary['changes']>): string[] {
  const lines: string[] = []
  for (const entity of ['gym', ...ENTITIES] as const) {
    const entityChanges = changes[entity]
    if (!entityChanges) continue
    const {create, update, labels} = entityChanges
    if (create.length > 0) {
      lines.push('', `${entity} to create (${create.length}):`)
      lines.push(
        ...capped(
          create.map((id) => `  ${id}${labelText(entity, labels?.[id])}`),
          jsonLists(`changes.${entity}.create`),
        ),
      )
    }
    if (update.length > 0) {
      lines.push('', `${entity} to update (${update.length}):`)
      const updates = update.map(
        ({stoktId, fields}) =>
          `  ${stoktId}${labelText(entity, labels?.[stoktId])}: ${fields.map(({field, from, to}) => `${field} ${show(from)} → ${show(to)}`).join(', ')}`,
      )
      lines.push(...capped(updates, jsonLists(`changes.${entity}.update`)))
    }
  }
  return lines
}

/** `  "Crimp city" on Mur Ōsaka` after a record's id: its name and wall, as the record is now; empty when none is known. */
function labelText(entity: ChangedEntity, label: RecordLabel | undefined): string {
  if (label === undefined) return ''
  const face = label.face === undefined ? undefined : printable(label.face)
  if (entity === 'faces') return face === undefined ? '' : `  ${face}`
  const parts = [label.name === undefined ? undefined : show(label.name, 60), face === undefined ? undefined : `on ${face}`]
  const text = parts.filter((part) => part !== undefined).join(' ')
  return text === '' ? '' : `  ${text}`
}

/** Stokt's text on a terminal: no control character moves the cursor or rings a bell. */
function printable(text: string): string {
  const plain = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
  return plain.length > 60 ? `${plain.slice(0, 60)}…` : plain
}

/** At most MAX_LISTED lines, then how many more and where they all are. */
function capped(lines: string[], whereAll: string): string[] {
  if (lines.length <= MAX_LISTED) return lines
  return [...lines.slice(0, MAX_LISTED), `  … and ${lines.length - MAX_LISTED} more (${whereAll})`]
}

const jsonLists = (key: string) => `--json lists them all under ${key}`

function show(value: unknown, width = 80): string {
  const text = JSON.stringify(value) ?? 'null'
  return text.length > width ? `${text.slice(0, width)}…` : text
}
