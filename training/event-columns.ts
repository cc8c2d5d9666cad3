/**
 * Typed-array columns for events while an input streams in: blocks (4,096 events, doubling up to 2^20),
 * so growing never copies what is already read, and {@link EventColumns.finish} hands back exact-length columns one at a
 * time, releasing each column's blocks as it goes (peak: the events plus one column).
 * @module
 */

const FIRST_BLOCK = 4096;
const MAX_BLOCK = 1 << 20;

interface Block {
  user: Int32Array;
  video: Int32Array;
  value: Float64Array;
  type: Int32Array;
  timestamp: Float64Array;
}

/** Bytes one event takes in the columns (user, video, value, type, timestamp). */
export const BYTES_PER_EVENT = 4 + 4 + 8 + 4 + 8;

/** The columns of every event pushed, exactly `count` long. */
export interface FinishedColumns {
  user: Int32Array;
  video: Int32Array;
  value: Float64Array;
  type: Int32Array;
  timestamp: Float64Array;
}

function newBlock(size: number): Block {
  return {
    user: new Int32Array(size),
    video: new Int32Array(size),
    value: new Float64Array(size),
    type: new Int32Array(size),
    timestamp: new Float64Array(size),
  };
}

/** Append-only event columns in blocks; no object per event. */
export class EventColumns {
  count = 0;
  private blocks: Block[] = [];
  private current: Block | undefined;
  private fill = 0;
  private capacity = 0;
  private allocated = 0;

  push(user: number, video: number, value: number, type: number, timestamp: number): void {
    if (this.fill === this.capacity) {
      this.capacity = this.capacity === 0 ? FIRST_BLOCK : Math.min(MAX_BLOCK, this.capacity * 2);
      this.current = newBlock(this.capacity);
      this.blocks.push(this.current);
      this.allocated += this.capacity;
      this.fill = 0;
    }
    const b = this.current as Block;
    const i = this.fill++;
    b.user[i] = user;
    b.video[i] = video;
    b.value[i] = value;
    b.type[i] = type;
    b.timestamp[i] = timestamp;
    this.count++;
  }

  /** Bytes the blocks take now. */
  bytes(): number {
    return this.allocated * BYTES_PER_EVENT;
  }

  /**
   * The events as exact-length columns. The blocks are released column by column, so the columns
   * object is emptied: push nothing after this.
   */
  finish(): FinishedColumns {
    const n = this.count;
    const blocks = this.blocks;
    this.blocks = [];
    this.current = undefined;
    this.fill = 0;
    this.capacity = 0;
    this.allocated = 0;
    const gather = <K extends keyof Block>(key: K, make: (length: number) => Block[K]): Block[K] => {
      const out = make(n);
      let start = 0;
      for (const block of blocks) {
        const length = Math.min(block[key].length, n - start);
        out.set(block[key].subarray(0, length) as never, start);
        start += length;
        // Drop this block's column now: the next column's output is allocated while it is gone.
        block[key] = make(0);
      }
      return out;
    };
    return {
      user: gather('user', (l) => new Int32Array(l)),
      video: gather('video', (l) => new Int32Array(l)),
      value: gather('value', (l) => new Float64Array(l)),
      type: gather('type', (l) => new Int32Array(l)),
      timestamp: gather('timestamp', (l) => new Float64Array(l)),
    };
  }
}
