/**
 * The run's secrets (Stokt's token and password, the database's password), masked wherever text
 * leaves the process, in every form a server may echo them, and any piece a cut left.
 */

/** The shortest piece of a secret masked on its own (left by a cut): shorter ones match ordinary text and tell little. */
const MIN_PIECE = 6
const MASK = '***'

export class SecretMasker {
  /** Every form of every secret, longest first. */
  private forms: string[] = []
  /** Every form of Stokt's token and password: what Stokt serves is checked for them (holdsStoktSecret). */
  private stoktForms: string[] = []

  /**
   * Masks `secret` from now on; `username`: the one it is sent with, for the Basic auth form;
   * `stokt`: a Stokt token or password, which a snapshot of what Stokt served must not hold.
   */
  add(secret: string | undefined, options: {username?: string; stokt?: boolean} = {}): void {
    if (!secret) return
    const added = formsOf(secret, options.username).filter((form) => form !== '')
    this.forms = longestFirst([...this.forms, ...added])
    if (options.stokt) this.stoktForms = longestFirst([...this.stoktForms, ...added])
  }

  /** Masks nothing from now on: a process that runs one command after another starts each afresh. */
  clear(): void {
    this.forms = []
    this.stoktForms = []
  }

  /** A PostgreSQL URL's password, in its credentials or as `?password=`, and PGPASSWORD, which only PostgreSQL reads. */
  addDatabasePasswords(databaseUrl: string | undefined): void {
    let url: URL
    try {
      url = new URL(databaseUrl ?? '')
    } catch {
      return // a SQLite path, or not a URL at all: no password
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return
    this.add(process.env.PGPASSWORD)
    this.add(decodeURIComponent(url.password))
    this.add(url.searchParams.get('password') ?? undefined)
  }

  /** Whether `text` holds a Stokt token or password whole, in any form: Stokt's data is kept as served, never masked. */
  holdsStoktSecret(text: string): boolean {
    return this.stoktForms.some((form) => text.includes(form))
  }

  mask(text: string): string {
    // Found first, then masked at once: masking one form first would leave a longer one around it half clear.
    const ranges = this.forms.flatMap((form) => (form.length <= MIN_PIECE ? occurrences(text, form) : pieces(text, form)))
    return ranges.length === 0 ? text : withRangesMasked(text, ranges)
  }

  /** Every string of a value the run made itself (a summary, its options), masked. */
  maskStrings<T>(value: T): T {
    if (typeof value === 'string') return this.mask(value) as T
    if (Array.isArray(value)) return value.map((item) => this.maskStrings(item)) as T
    if (value === null || typeof value !== 'object') return value
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [this.mask(key), this.maskStrings(item)])) as T
  }
}

/** The process's secrets: what leaves the process, leaves through them. */
export const secrets = new SecretMasker()

/** Writes to `stream` masked: every message, whoever wrote it, passes here on its way to a person. */
export function maskWrites(stream: NodeJS.WriteStream, masker: SecretMasker = secrets): void {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean
  stream.write = ((chunk: unknown, ...rest: unknown[]) =>
    write(typeof chunk === 'string' ? masker.mask(chunk) : chunk, ...rest)) as typeof stream.write
}

function longestFirst(forms: string[]): string[] {
  return [...new Set(forms)].sort((a, b) => b.length - a.length)
}

/** As typed, URL-encoded (both ways of a space, either case of hex), JSON-escaped and in Basic auth. */
function formsOf(secret: string, username: string | undefined): string[] {
  const percent = [encodeURIComponent(secret), encodeURI(secret), new URLSearchParams({s: secret}).toString().slice(2)]
  const urlForms = percent.flatMap((form) => [form, form.replace(/%20/g, '+'), form.replace(/\+/g, '%20')])
  const json = JSON.stringify(secret).slice(1, -1)
  return [
    secret,
    ...urlForms,
    ...urlForms.map((form) => form.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase())),
    json,
    json.replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`),
    Buffer.from(secret).toString('base64'),
    ...(username === undefined ? [] : [Buffer.from(`${username}:${secret}`).toString('base64')]),
  ]
}

/** Where `form` occurs whole in `text`, as [start, end) ranges. */
function occurrences(text: string, form: string): [number, number][] {
  const ranges: [number, number][] = []
  for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) ranges.push([at, at + form.length])
  return ranges
}

/** Where `text` holds `form` whole, or a prefix or a suffix of it at least MIN_PIECE long. */
function pieces(text: string, form: string): [number, number][] {
  const head = form.slice(0, MIN_PIECE)
  const tail = form.slice(-MIN_PIECE)
  if (!text.includes(head) && !text.includes(tail)) return []
  const ranges: [number, number][] = []
  for (let at = text.indexOf(head); at !== -1; at = text.indexOf(head, at + 1)) {
    let end = at + MIN_PIECE
    while (end - at < form.length && text[end] === form[end - at]) end++
    ranges.push([at, end])
  }
  for (let at = text.indexOf(tail); at !== -1; at = text.indexOf(tail, at + 1)) {
    const end = at + MIN_PIECE
    let start = at
    while (end - start < form.length && start > 0 && text[start - 1] === form[form.length - (end - start) - 1]) start--
    ranges.push([start, end])
  }
  return ranges
}

/** `text` with each range, and each run of overlapping or touching ranges, replaced by one MASK. */
function withRangesMasked(text: string, ranges: [number, number][]): string {
  ranges.sort((a, b) => a[0] - b[0])
  let masked = ''
  let done = 0
  let open: [number, number] | undefined
  for (const [start, end] of ranges) {
    if (open !== undefined && start <= open[1]) {
      open[1] = Math.max(open[1], end)
      continue
    }
    if (open !== undefined) {
      masked += MASK
      done = open[1]
    }
    masked += text.slice(done, start)
    open = [start, end]
  }
  if (open !== undefined) {
    masked += MASK
    done = open[1]
  }
  return masked + text.slice(done)
}
