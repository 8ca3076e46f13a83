import {randomFillSync} from 'node:crypto'

import {isUuidNumericOnSqlite} from './encodings.js'

/** A new row's id: a UUIDv7 (RFC 9562), appended at the index's end, where random ids made every commit rewrite it all over. */
export function newRowId(): string {
  let id = timeOrderedId()
  // A UUID of decimal digits only would be stored as a number by SQLite (encodings.ts): drawn again.
  while (isUuidNumericOnSqlite(id)) id = timeOrderedId()
  return id
}

function timeOrderedId(): string {
  let ms = Date.now()
  if (ms > lastMs) {
    lastMs = ms
    counter = 0
  } else {
    // Same millisecond (or a clock step back): the counter keeps ids of this process increasing.
    ms = lastMs
    counter++
    if (counter > 0xfff) {
      lastMs = ++ms
      counter = 0
    }
  }
  const random = randomBytes(8)
  const bytes = Buffer.allocUnsafe(16)
  bytes.writeUIntBE(ms, 0, 6)
  bytes[6] = 0x70 | (counter >> 8) // version 7, then the counter's high 4 bits (rand_a)
  bytes[7] = counter & 0xff
  random.copy(bytes, 8)
  bytes[8] = (bytes[8] & 0x3f) | 0x80 // RFC 9562 variant
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

let lastMs = 0
let counter = 0

// Random bytes drawn a pool at a time: one getrandom call per id would cost more than the id.
const POOL_SIZE = 8 * 512
const pool = Buffer.allocUnsafe(POOL_SIZE)
let poolOffset = POOL_SIZE

function randomBytes(size: number): Buffer {
  if (poolOffset + size > POOL_SIZE) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const slice = pool.subarray(poolOffset, poolOffset + size)
  poolOffset += size
  return slice
}
