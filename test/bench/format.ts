/** How the report writes times, rates and ratios. */
import type {DatabaseKind} from '../support/databases.js'
import type {SizeResult} from './results.js'

export const DB_NAME: Record<DatabaseKind, string> = {sqlite: 'SQLite', postgres: 'PostgreSQL'}

export function totalRows(result: SizeResult): number {
  return Object.values(result.rows).reduce((sum, count) => sum + count, 0)
}

export function s(ms: number | undefined): string {
  return ms === undefined || Number.isNaN(ms) ? '?' : `${(ms / 1000).toFixed(2)} s`
}

/** "1.23 ms": a CPU time spread over requests. */
export function perRequest(ms: number | undefined, requests: number): string {
  return ms === undefined || requests === 0 ? '?' : `${(ms / requests).toFixed(2)} ms`
}

export function ratio(value: number | undefined, base: number | undefined): string {
  return value === undefined || base === undefined || Number.isNaN(value / base) ? '?×' : `${(value / base).toFixed(2)}×`
}

/** "152–310 ms": the fastest and slowest of the runs. */
export function range(samplesMs: readonly number[]): string {
  return `${Math.min(...samplesMs).toFixed(0)}–${Math.max(...samplesMs).toFixed(0)} ms`
}

export function rate(rows: number, ms: number): string {
  return Math.round(rows / (ms / 1000)).toLocaleString('en-US')
}

export function mib(kb: number): string {
  return `${Math.round(kb / 1024)} MiB`
}
