import {createTestDatabase, type DatabaseKind, type TestDatabase} from '../support/databases.js'

/**
 * A fresh database for one measurement (a SQLite file in a temp dir, or a PostgreSQL database of
 * its own), always dropped afterwards — also when the bench is interrupted (dropScratchDatabases).
 */
const open = new Set<TestDatabase>()

export async function withScratchDatabase<T>(kind: DatabaseKind, work: (database: TestDatabase) => Promise<T>): Promise<T> {
  const database = await createTestDatabase(kind)
  open.add(database)
  try {
    return await work(database)
  } finally {
    open.delete(database)
    await database.drop()
  }
}

export async function dropScratchDatabases(): Promise<void> {
  await Promise.allSettled([...open].map((database) => database.drop()))
  open.clear()
}
