import {createReadStream} from 'node:fs'
import fs from 'node:fs/promises'
import {withoutByteOrderMark} from '../jsonText.js'
import {StoktError} from '../source.js'

const NEWLINE = 0x0a
const CHUNK_BYTES = 1 << 16

/**
 * The records of a climbs file (a JSON array), a batch per 64 KiB read: one record a line streams, so a
 * large gym is never held whole; any other layout is parsed whole. Refuses a file cut short or malformed.
 */
export async function* readClimbsFile(file: string): AsyncGenerator<unknown[]> {
  const call = `read ${file}`
  const stream = createReadStream(file, {highWaterMark: CHUNK_BYTES})
  let lineNumber = 0
  let opened = false
  let closed = false
  let recordsServed = 0
  let streamed = true
  let rest: Buffer = Buffer.alloc(0)
  /** The records of these complete lines; false when the file is not one record per line. */
  const parseLines = (lines: string[]): unknown[] | false => {
    const records: unknown[] = []
    for (const rawLine of lines) {
      lineNumber++
      const line = rawLine.trim()
      if (line === '') continue
      if (closed) throw new StoktError(`${file} has more after its closing ] (line ${lineNumber})`, call)
      if (!opened) {
        opened = line === '['
        if (!opened) return false
        continue
      }
      if (line === ']') {
        closed = true
        continue
      }
      const record = parseRecordLine(line)
      if (record === undefined) {
        // Not one record per line: a pretty-printed file shows it before any record is served.
        if (recordsServed === 0) return false
        throw new StoktError(`${file} line ${lineNumber} is not a JSON record`, call)
      }
      recordsServed++
      records.push(record.value)
    }
    return records
  }
  try {
    for await (const data of stream as AsyncIterable<Buffer>) {
      // Split on the newline bytes, then decode line by line: a newline byte is never part of a
      // multi-byte character, and this costs half of decoding the chunk and splitting the text.
      const chunk = rest.length > 0 ? Buffer.concat([rest, data]) : data
      const lines: string[] = []
      let start = 0
      for (let end = chunk.indexOf(NEWLINE, start); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
        lines.push(chunk.toString('utf8', start, end))
        start = end + 1
      }
      rest = chunk.subarray(start)
      const records = parseLines(lines)
      if (records === false) {
        streamed = false
        break
      }
      if (records.length > 0) yield records
    }
    if (streamed) {
      const records = parseLines([rest.toString('utf8')])
      if (records === false) streamed = false
      else if (records.length > 0) yield records
    }
  } catch (error) {
    // Not readable (its permissions, a folder by that name): the snapshot's problem, not the database's.
    if (error instanceof StoktError) throw error
    throw new StoktError(`cannot read ${file}: ${(error as Error).message}`, call)
  } finally {
    stream.destroy()
  }
  if (!streamed) {
    yield await wholeClimbsFile(file, call)
    return
  }
  if (!closed) throw new StoktError(`${file} ends before its closing ]: it is truncated`, call)
}

async function wholeClimbsFile(file: string, call: string): Promise<unknown[]> {
  let text: string
  try {
    text = await fs.readFile(file, 'utf8')
  } catch (error) {
    throw new StoktError(`cannot read ${file}: ${(error as Error).message}`, call)
  }
  const parsed = parseJsonFile(text, file)
  if (!Array.isArray(parsed)) throw new StoktError(`${file} is not a JSON array`, call)
  return parsed
}

/** A snapshot file's JSON; a byte order mark before it (an editor's) is no part of it. */
export function parseJsonFile(text: string, file: string): unknown {
  try {
    return JSON.parse(withoutByteOrderMark(text)) as unknown
  } catch (error) {
    throw new StoktError(`${file} is not valid JSON: ${(error as Error).message}`, `read ${file}`)
  }
}

/** `{value}` for a line of the one-record-per-line form (`{…},` or `{…}`), else undefined. */
function parseRecordLine(line: string): {value: unknown} | undefined {
  const json = line.endsWith(',') ? line.slice(0, -1) : line
  try {
    return {value: JSON.parse(json) as unknown}
  } catch {
    return undefined
  }
}
