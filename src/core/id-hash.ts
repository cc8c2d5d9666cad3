/**
 * The hash of an external id (user or video) that the artifact format is built on: FNV-1a over the
 * id's UTF-8 bytes, finished with murmur3's fmix32 so the low bits spread well. Part of format v2:
 * the writer orders user blocks and fills the video id table with it, the reader recomputes it.
 * @module
 */

import { fmix32 } from './random.js';

const encoder = new TextEncoder();

/** FNV-1a 32-bit over UTF-8 bytes, unfinished (the evaluation split keys ids with it, EVAL.md). */
export function fnv1a(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  return h >>> 0;
}

/** {@link fnv1a} of a string's UTF-8 encoding; ASCII (the common case) is hashed from its char codes. */
export function fnv1aText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return fnv1a(encoder.encode(text));
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

/** Hash of UTF-8 bytes. */
export function hashBytes(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return fmix32(fnv1a(bytes, start, end));
}

/**
 * Hash of a string's UTF-8 encoding.
 * @example
 * idHash('u001') === hashBytes(new TextEncoder().encode('u001')); // true
 */
export function idHash(id: string): number {
  return fmix32(fnv1aText(id));
}

/** True when `bytes[start..end)` is the UTF-8 encoding of `id`. */
export function bytesEqualId(bytes: Uint8Array, start: number, end: number, id: string): boolean {
  if (end - start < id.length) return false;
  let ascii = end - start === id.length;
  for (let i = 0; ascii && i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c >= 0x80) ascii = false;
    else if (bytes[start + i] !== c) return false;
  }
  if (ascii) return true;
  const encoded = encoder.encode(id);
  if (encoded.length !== end - start) return false;
  for (let i = 0; i < encoded.length; i++) if (bytes[start + i] !== encoded[i]) return false;
  return true;
}

/** Decodes `bytes[start..end)` as UTF-8 (works on shared memory, which TextDecoder may refuse). */
export function decodeId(bytes: Uint8Array, start: number, end: number): string {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if ((bytes[i] as number) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii && end - start <= 64) {
    let out = '';
    for (let i = start; i < end; i++) out += String.fromCharCode(bytes[i] as number);
    return out;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
}
