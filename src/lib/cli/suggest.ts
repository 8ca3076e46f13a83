/** The candidate nearest to `typed`, when it is near enough to be what was meant. */
export function closest(typed: string, candidates: Iterable<string>): string | undefined {
  let best: {candidate: string; distance: number} | undefined
  for (const candidate of candidates) {
    const distance = editDistance(typed, candidate)
    if (best === undefined || distance < best.distance) best = {candidate, distance}
  }
  // Past a third of the word, the nearest is a guess rather than a typo.
  return best && best.distance <= Math.max(2, Math.floor(typed.length / 3)) ? best.candidate : undefined
}

/** Levenshtein distance: the insertions, deletions and substitutions from one to the other. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]
}
