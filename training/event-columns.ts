/**
 * Growable typed-array columns for events while a file streams in.
 * @module
 */

/** Growable typed columns; doubling keeps appends amortised O(1) without an object per event. */
export class EventColumns {
  count = 0;
  user = new Int32Array(1024);
  video = new Int32Array(1024);
  value = new Float64Array(1024);
  type = new Int32Array(1024);
  timestamp = new Float64Array(1024);

  push(user: number, video: number, value: number, type: number, timestamp: number): void {
    if (this.count === this.user.length) this.grow();
    const i = this.count++;
    this.user[i] = user;
    this.video[i] = video;
    this.value[i] = value;
    this.type[i] = type;
    this.timestamp[i] = timestamp;
  }

  private grow(): void {
    const size = this.user.length * 2;
    const widen = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.user = widen(this.user, (n) => new Int32Array(n));
    this.video = widen(this.video, (n) => new Int32Array(n));
    this.value = widen(this.value, (n) => new Float64Array(n));
    this.type = widen(this.type, (n) => new Int32Array(n));
    this.timestamp = widen(this.timestamp, (n) => new Float64Array(n));
  }
}
