import type {DatabaseStatus} from '../db/admin.js'
import type {RunRow} from '../db/runHistory.js'
import {formatDuration, localTime} from './time.js'

/** What `mastoc status` fits in: a terminal a little wider than 80, a mail, a cron log. */
export const STATUS_WIDTH = 100

const ENTITIES = ['faces', 'holds', 'users', 'climbs'] as const
const LEGEND = 'Counts: + created, ~ updated, ! rejected, 0 nothing changed, - not imported. * incremental run.'
/** A gym's id in the runs table: its first characters, as git shortens commits. */
const SHORT_GYM = 8

/** `mastoc status` for a person: counts, imports running, the last one per gym, then the latest runs. */
export function formatStatus(status: DatabaseStatus, options: {gym?: string} = {}): string {
  const lines = ['Rows:']
  for (const [table, count] of Object.entries(status.counts)) lines.push(`  ${table.padEnd(7)} ${count}`)
  const ofGym = options.gym === undefined ? '' : ` of gym ${options.gym}${options.gym.length < 36 ? '…' : ''}`
  lines.push('', status.locks.length === 0 ? `No import${ofGym} is running.` : 'Running now:')
  for (const lock of status.locks) {
    lines.push(`  gym ${lock.gymStoktId}, since ${localTime(lock.acquiredAt)}`)
    lines.push(...wrap(`${lock.holder} (last heartbeat ${localTime(lock.heartbeatAt)})`, '    '))
  }
  if (status.lastCompleted.length > 0) {
    lines.push('', 'Last completed import per gym:')
    for (const run of status.lastCompleted) {
      lines.push(`  ${run.gymStoktId}  ${localTime(run.finishedAt ?? run.startedAt)}  ${run.command} (${run.status})`)
    }
  }
  if (status.runs.length === 0) lines.push('', `No import${ofGym} has run yet.`)
  else
    lines.push(
      '',
      `Latest ${status.runs.length === 1 ? 'run' : `${status.runs.length} runs`}${ofGym}, newest first:`,
      ...runsTable(status.runs),
      LEGEND,
    )
  return lines.join('\n')
}

type Align = 'left' | 'right'

/** One aligned row per run, its error wrapped below; counts too wide for the width go on a line of their own under it. */
function runsTable(runs: RunRow[]): string[] {
  const short = shortGymIds(runs.map((run) => run.gymStoktId))
  const head: [string, Align][] = [
    ['started', 'left'],
    ['took', 'right'],
    ['gym', 'left'],
    ['import', 'left'],
    ['status', 'left'],
    ...ENTITIES.map((entity): [string, Align] => [entity, 'right']),
  ]
  const rows = runs.map((run) => [
    localTime(run.startedAt),
    run.finishedAt === null ? '-' : formatDuration(Math.max(0, Date.parse(run.finishedAt) - Date.parse(run.startedAt))),
    short.get(run.gymStoktId) ?? run.gymStoktId,
    `${run.command.replace(/^import /, '')}${run.options?.incremental === true ? '*' : ''}`,
    run.status,
  ])
  const counts = runs.map((run) => ENTITIES.map((entity) => countsCell(run.summary, entity)))
  const apart = new Set<number>()
  let lines = table(
    head,
    rows.map((row, index) => [...row, ...counts[index]]),
  )
  for (;;) {
    const tooWide = lines.slice(1).findIndex((line, index) => !apart.has(index) && line.length > STATUS_WIDTH)
    if (tooWide < 0) break
    // The widest counts go apart first: the others' columns narrow with them.
    const widest = counts.reduce(
      (best, cells, index) => (apart.has(index) || (best >= 0 && cells.join().length <= counts[best].join().length) ? best : index),
      -1,
    )
    apart.add(widest)
    lines = table(
      head,
      rows.map((row, index) => [...row, ...(apart.has(index) ? ENTITIES.map(() => '') : counts[index])]),
    )
  }
  const out = [lines[0]]
  runs.forEach((run, index) => {
    out.push(lines[index + 1])
    if (apart.has(index)) out.push(...wrap(ENTITIES.map((entity, column) => `${entity} ${counts[index][column]}`).join(', '), '      '))
    if (run.error) out.push(...wrap(run.error, '      '))
  })
  return out
}

/** Header and rows, each column as wide as its widest cell, two spaces apart, indented by two. */
function table(head: [string, Align][], rows: string[][]): string[] {
  const widths = head.map(([title], column) => Math.max(title.length, ...rows.map((row) => row[column].length)))
  const line = (cells: string[]) =>
    `  ${cells.map((cell, column) => (head[column][1] === 'left' ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ')}`.trimEnd()
  return [line(head.map(([title]) => title)), ...rows.map(line)]
}

/** "+3 ~1 !2": created, updated, rejected, those that are not 0; "0" when none; "-" not imported. */
function countsCell(summary: unknown, entity: (typeof ENTITIES)[number]): string {
  const counts = (summary as Record<string, {created?: number; updated?: number; errors?: number} | undefined> | null)?.[entity]
  if (counts === undefined || counts === null || typeof counts !== 'object') return '-'
  const parts = [
    ['+', counts.created],
    ['~', counts.updated],
    ['!', counts.errors],
  ].filter(([, n]) => typeof n === 'number' && n > 0)
  return parts.length === 0 ? '0' : parts.map(([sign, n]) => `${sign}${n}`).join(' ')
}

/** Each gym id cut to its first 8 characters, or more where two gyms share them. */
function shortGymIds(ids: string[]): Map<string, string> {
  const distinct = [...new Set(ids)]
  const short = new Map<string, string>()
  for (const id of distinct) {
    let length = SHORT_GYM
    while (length < id.length && distinct.some((other) => other !== id && other.startsWith(id.slice(0, length)))) length += 1
    short.set(id, id.slice(0, length))
  }
  return short
}

/** `text` in lines of at most STATUS_WIDTH, each after `indent`, broken at spaces (a longer word is cut). */
export function wrap(text: string, indent: string): string[] {
  const room = STATUS_WIDTH - indent.length
  const lines: string[] = []
  for (const paragraph of text.split('\n')) {
    let line = ''
    for (let word of paragraph.split(' ')) {
      while (word.length > room) {
        if (line !== '') lines.push(line)
        lines.push(word.slice(0, room))
        word = word.slice(room)
        line = ''
      }
      if (line === '') line = word
      else if (line.length + 1 + word.length <= room) line += ` ${word}`
      else {
        lines.push(line)
        line = word
      }
    }
    lines.push(line)
  }
  return lines.map((line) => `${indent}${line}`.trimEnd())
}
