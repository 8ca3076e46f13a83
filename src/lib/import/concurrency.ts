/** Items fetched ahead, at most `limit` at once, handed out in order: the caller never holds more than `limit` of them. */
export class FetchedAhead<K, V> {
  private readonly pending: Promise<V>[] = []
  private started = 0

  constructor(
    private readonly keys: readonly K[],
    private readonly limit: number,
    private readonly fetch: (key: K) => Promise<V>,
  ) {
    this.fill()
  }

  /** The next item in order; rejects as its fetch did. */
  async next(): Promise<V> {
    const item = this.pending.shift()
    if (item === undefined) throw new Error('FetchedAhead: no item left')
    this.fill()
    return item
  }

  /** Stops fetching ahead; whatever is in flight is dropped without a word. */
  discard(): void {
    this.started = this.keys.length
    this.pending.length = 0
  }

  private fill(): void {
    while (this.started < this.keys.length && this.pending.length < Math.max(1, this.limit)) {
      const item = this.fetch(this.keys[this.started++])
      item.catch(() => {}) // awaited through next(), or dropped by discard(): never unhandled
      this.pending.push(item)
    }
  }
}
