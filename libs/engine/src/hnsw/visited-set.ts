/**
 * Marks of the nodes a search has reached, as epoch tags: starting a search bumps the epoch
 * instead of clearing the array, which is cleared only when the 16-bit epoch wraps.
 */
export class VisitedSet {
  tags: Uint16Array;
  epoch = 0;

  constructor(capacity: number) {
    this.tags = new Uint16Array(capacity);
  }

  reserve(capacity: number): void {
    if (capacity <= this.tags.length) return;
    const tags = new Uint16Array(capacity);
    tags.set(this.tags);
    this.tags = tags;
  }

  /** Starts a new search and returns its epoch. */
  next(): number {
    if (this.epoch === 0xffff) {
      this.tags.fill(0);
      this.epoch = 0;
    }
    return ++this.epoch;
  }

  bytes(): number {
    return this.tags.byteLength;
  }
}
