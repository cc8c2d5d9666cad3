/**
 * Memory per interaction, printed by the read stage and the scale bench: what the id tables and event
 * columns held while reading, and the process's resident memory now and at its peak.
 * @module
 */

/** Resident memory of this process now and at its peak, in bytes. */
export function residentBytes(): { now: number; peak: number } {
  // maxRSS is in kilobytes (getrusage).
  return { now: process.memoryUsage.rss(), peak: process.resourceUsage().maxRSS * 1024 };
}

function megabytes(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20).toLocaleString('en-US')} MB`;
}

/**
 * One line on memory per interaction.
 * @param interactions - events read
 * @param heldBytes - bytes the reader's id tables and event columns held
 * @param resident - from {@link residentBytes}
 * @example
 * memoryLine(1_000_000, 30_000_000, { now: 2 ** 30, peak: 2 ** 31 });
 * // 'Memory: 30.0 B/interaction in id tables and event columns; RSS 1,024 MB now, 2,048 MB at peak (2147.5 B/interaction)'
 */
export function memoryLine(
  interactions: number,
  heldBytes: number,
  resident: { now: number; peak: number } = residentBytes(),
): string {
  const per = (bytes: number): string => (bytes / Math.max(1, interactions)).toFixed(1);
  return `Memory: ${per(heldBytes)} B/interaction in id tables and event columns; RSS ${megabytes(resident.now)} now, ${megabytes(resident.peak)} at peak (${per(resident.peak)} B/interaction)`;
}
