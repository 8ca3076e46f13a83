/**
 * Another process holding an import lock, for the tests that kill it:
 *   node --import tsx test/support/importLockHolder.ts <database> <gym> <run id> <heartbeat ms>
 * prints "locked" once it holds the lock, then waits to be killed.
 */
import {openDatabase} from '../../src/lib/db/connection.js'
import {parseDatabaseTarget} from '../../src/lib/db/target.js'
import {acquireImportLock} from '../../src/lib/db/importLock.js'

const [database, gymStoktId, runId, heartbeatMs] = process.argv.slice(2)
const target = parseDatabaseTarget(database)
await acquireImportLock(openDatabase(target), target.dialect, {
  gymStoktId,
  runId,
  holder: `pid ${process.pid}, test holder`,
  waitSeconds: 0,
  heartbeatMs: Number(heartbeatMs),
})
process.stdout.write('locked\n')
// The lock's own timers are unref'd: this one keeps the process alive until it is killed.
setInterval(() => {}, 60_000)
