/** Times as a person reads them: durations short, instants in the local time zone, named. */

/** 7s, 1m05s, 2h03m. */
export function formatSeconds(seconds: number): string {
  const whole = Math.round(seconds)
  if (whole < 60) return `${whole}s`
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`
}

/** A run's duration: tenths under 10 s (most imports of a small gym), else as formatSeconds. */
export function formatDuration(ms: number): string {
  return ms < 9950 ? `${(ms / 1000).toFixed(1)}s` : formatSeconds(ms / 1000)
}

// en-GB: the zone's own abbreviation (CET, CEST, BST, UTC), else its offset (GMT+5:30).
const LOCAL = new Intl.DateTimeFormat('en-GB', {
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'short',
})

/** "2026-11-26 04:17:42 CET" for 2026-11-26T03:17:42Z in Europe/Paris (the process's TZ). */
export function localTime(instant: string): string {
  const date = new Date(instant)
  if (Number.isNaN(date.getTime())) return instant
  const part = Object.fromEntries(LOCAL.formatToParts(date).map(({type, value}) => [type, value]))
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second} ${part.timeZoneName}`
}
