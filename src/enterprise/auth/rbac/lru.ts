/**
 * A bounded map that forgets its least recently used entry when full: for
 * facts that never change (a run's experiment, a logged model's experiment),
 * so a hot path looks each up once.
 */
export class Lru<K, V> {
  private readonly entries = new Map<K, V>()

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const value = this.entries.get(key)
    if (value !== undefined) {
      this.entries.delete(key)
      this.entries.set(key, value)
    }
    return value
  }

  set(key: K, value: V): void {
    this.entries.delete(key)
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as K)
    this.entries.set(key, value)
  }

  get size(): number {
    return this.entries.size
  }
}
