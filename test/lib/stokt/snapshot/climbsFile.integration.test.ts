import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {readClimbsFile} from '../../../../src/lib/stokt/snapshot/climbsFile.js'
import {StoktError} from '../../../../src/lib/stokt/source.js'

const CHUNK_BYTES = 64 * 1024

const climbs = Array.from({length: 5}, (_, index) => ({id: `climb-${index}`, name: `Dalle ${index}`, grade: '6a+'}))
const oneRecordPerLine = (records: unknown[], newline = '\n') =>
  `[${newline}${records.map((record) => JSON.stringify(record)).join(`,${newline}`)}${newline}]${newline}`

let dir: string
let files = 0
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mastoc-climbs-file-'))
})
afterAll(async () => {
  await fs.rm(dir, {recursive: true, force: true})
})

async function climbsFile(text: string): Promise<string> {
  const file = path.join(dir, `climbs-${++files}.json`)
  await fs.writeFile(file, text)
  return file
}

/** The batches served for a file holding `text`. */
async function batches(text: string): Promise<unknown[][]> {
  const served: unknown[][] = []
  for await (const batch of readClimbsFile(await climbsFile(text))) served.push(batch)
  return served
}

/** What reading a file holding `text` serves before it fails, and the failure. */
async function failure(text: string): Promise<{file: string; served: unknown[]; error: StoktError}> {
  const file = await climbsFile(text)
  const served: unknown[] = []
  try {
    for await (const batch of readClimbsFile(file)) served.push(...batch)
  } catch (error) {
    expect(error).toBeInstanceOf(StoktError)
    expect((error as StoktError).call).toBe(`read ${file}`)
    return {file, served, error: error as StoktError}
  }
  throw new Error(`expected ${file} to be refused`)
}

describe('readClimbsFile, one record per line', () => {
  it('serves the records in order', async () => {
    expect((await batches(oneRecordPerLine(climbs))).flat()).toEqual(climbs)
  })

  it('serves an empty array as no records', async () => {
    expect((await batches('[\n]\n')).flat()).toEqual([])
  })

  it('reads CRLF line ends', async () => {
    expect((await batches(oneRecordPerLine(climbs, '\r\n'))).flat()).toEqual(climbs)
  })

  it('reads a file without a newline after its ]', async () => {
    expect((await batches(oneRecordPerLine(climbs).trimEnd())).flat()).toEqual(climbs)
  })

  it('streams records split across its 64 KiB reads, a multi-byte character cut in two at the boundary', async () => {
    const named = Array.from({length: 600}, (_, index) => ({id: `climb-${index}`, name: `Réglette 🧗 ${index} `.repeat(12)}))
    const body = named.map((climb) => JSON.stringify(climb)).join(',\n')
    let padding = ''
    const text = () => `[\n${padding}${body}\n]\n`
    const isContinuationByte = (byte: number) => (byte & 0xc0) === 0x80
    while (!isContinuationByte(Buffer.from(text())[CHUNK_BYTES]!)) padding += ' '
    expect(Buffer.byteLength(text())).toBeGreaterThan(2 * CHUNK_BYTES)

    const served = await batches(text())

    expect(served.flat()).toEqual(named)
    expect(served.length).toBeGreaterThan(1) // streamed, not parsed whole
  })
})

describe('readClimbsFile, any other JSON array', () => {
  it('reads a pretty-printed array whole', async () => {
    const served = await batches(JSON.stringify(climbs, null, 2))

    expect(served).toEqual([climbs])
  })

  it('reads an array on one line whole', async () => {
    expect(await batches(JSON.stringify(climbs))).toEqual([climbs])
  })

  it('reads `[]` as no records', async () => {
    expect((await batches('[]')).flat()).toEqual([])
  })

  it('refuses JSON that is not an array', async () => {
    const {file, error} = await failure(JSON.stringify({results: climbs}))

    expect(error.message).toBe(`${file} is not a JSON array`)
  })

  it('refuses a pretty-printed array cut short, as JSON that does not parse', async () => {
    const text = JSON.stringify(climbs, null, 2)
    const {file, served, error} = await failure(text.slice(0, text.length / 2))

    expect(served).toEqual([])
    expect(error.message.startsWith(`${file} is not valid JSON: `)).toBe(true)
  })
})

describe('readClimbsFile refusals', () => {
  it('refuses text after the closing ], naming its line', async () => {
    const {file, error} = await failure(`${oneRecordPerLine(climbs)}\n{"id": "stray"}\n`)

    expect(error.message).toBe(`${file} has more after its closing ] (line 9)`)
  })

  it('refuses text after the ] of an array on one line, as JSON that does not parse', async () => {
    const {file, error} = await failure(`${JSON.stringify(climbs)} and more`)

    expect(error.message.startsWith(`${file} is not valid JSON: `)).toBe(true)
  })

  it('refuses a file cut short between records as truncated', async () => {
    const {file, error} = await failure(`[\n${climbs.map((climb) => JSON.stringify(climb)).join(',\n')},\n`)

    expect(error.message).toBe(`${file} ends before its closing ]: it is truncated`)
  })

  it('refuses a file cut short inside a record, naming the line', async () => {
    const cut = JSON.stringify(climbs[2]).slice(0, 20)
    const {file, error} = await failure(`[\n${JSON.stringify(climbs[0])},\n${JSON.stringify(climbs[1])},\n${cut}`)

    expect(error.message).toBe(`${file} line 4 is not a JSON record`)
  })

  it('refuses a line that is not a record once records were read, naming the line', async () => {
    const lines = climbs.map((climb) => JSON.stringify(climb))
    const {file, error} = await failure(`[\n${lines[0]},\n${lines[1]},\n{"id": "climb-2", oops},\n${lines[3]}\n]\n`)

    expect(error.message).toBe(`${file} line 4 is not a JSON record`)
  })

  it('serves the records of the reads before a bad line, then refuses it', async () => {
    const many = Array.from({length: 2000}, (_, index) => ({id: `climb-${index}`, name: `Bloc ${index}`}))
    const lines = many.map((climb) => JSON.stringify(climb))
    const text = `[\n${lines.join(',\n')},\nnot a record,\n${lines[0]}\n]\n`
    expect(Buffer.byteLength(text)).toBeGreaterThan(CHUNK_BYTES)

    const {file, served, error} = await failure(text)

    expect(error.message).toBe(`${file} line ${many.length + 2} is not a JSON record`)
    expect(served.length).toBeGreaterThan(0)
    expect(served).toEqual(many.slice(0, served.length))
  })
})
