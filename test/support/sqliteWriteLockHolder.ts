/**
 * Another process holding a SQLite file's write lock, as a second writer (an editor, a backup
 * script, a server) would:
 *   node --import tsx test/support/sqliteWriteLockHolder.ts <file>
 * prints "locked" once it holds the lock (BEGIN IMMEDIATE), and gives it back (rolls back) when
 * its stdin ends or it is killed.
 */
import Database from 'better-sqlite3'

const [file] = process.argv.slice(2)
const db = new Database(file)
db.exec('begin immediate')
process.stdout.write('locked\n')
process.stdin.resume()
process.stdin.on('end', () => {
  db.exec('rollback')
  db.close()
  process.exit(0)
})
