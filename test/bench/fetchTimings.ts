/** The one JSON line the fetch scripts (fetchFloor.ts, sourceRead.ts) print: what floors.ts reads as a FetchFloor. */
export interface WalkTimes {
  started: number
  setupsDone: number
  done: number
  /** process.cpuUsage() over the walk. */
  cpu: NodeJS.CpuUsage
}

export function printFetched(
  {started, setupsDone, done, cpu}: WalkTimes,
  counts: {holds: number; climbs: number; requests: number; rejected?: number},
) {
  const times = {
    setupsMs: setupsDone - started,
    climbsMs: done - setupsDone,
    totalMs: done - started,
    cpuMs: (cpu.user + cpu.system) / 1000,
  }
  console.log(JSON.stringify({...times, ...counts}))
}
