/**
 * Generates the shipped sample (`data/sample/`): users in latent taste groups watch, like, complete
 * and share videos with a long-tail popularity over four months. Seeded and deterministic:
 * `npm run data:generate` rewrites the same bytes. See data/README.md for the schema and statistics.
 * @module
 */

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  GENRES,
  LANGUAGES,
  makeTasteGroups,
  makeUsers,
  makeVideos,
  type User,
  type Video,
} from './catalogue.js';
import { createRandom, cumulative, drawCumulative, type Random } from './random.js';

/** The value each interaction type carries in the `interactionValue` column. */
export const EVENT_VALUES = { watch: 1, like: 2, complete: 3, share: 4 } as const;
type EventType = keyof typeof EVENT_VALUES;
const TYPE_ORDER: readonly EventType[] = ['watch', 'like', 'complete', 'share'];

export interface SampleOptions {
  seed: number;
  users: number;
  videos: number;
  tasteGroups: number;
  /** Popularity of the video at rank r is r^-exponent. */
  popularityExponent: number;
  /** First day of the event log, UTC. */
  start: string;
  days: number;
}

/** The settings of the shipped sample. */
export const SAMPLE_DEFAULTS: SampleOptions = {
  seed: 20250101,
  users: 4000,
  videos: 1000,
  tasteGroups: 10,
  popularityExponent: 0.8,
  start: '2025-01-01',
  days: 120,
};

interface Event {
  user: number;
  video: number;
  type: EventType;
  /** Seconds since `start`. */
  at: number;
}

/** The three CSV files as text. */
export interface Sample {
  interactions: string;
  videos: string;
  users: string;
}

const DAY = 86_400;

function languageFactor(user: User, video: Video): number {
  if (user.language === video.language) return 1;
  // English content travels; other languages mostly stay with their speakers.
  return LANGUAGES[video.language]?.code === 'en' ? 0.2 : 0.02;
}

function userEvents(
  random: Random,
  u: number,
  user: User,
  videos: readonly Video[],
  horizon: number,
): Event[] {
  const weights = videos.map((v) => (user.taste[v.genre] as number) * languageFactor(user, v) * v.popularity);
  const sums = cumulative(weights);
  const wanted = Math.min(300, Math.max(5, Math.round(Math.exp(Math.log(20) + 0.8 * random.normal()))));
  const chosen = new Set<number>();
  for (let tries = 0; chosen.size < wanted && tries < wanted * 50; tries++)
    chosen.add(drawCumulative(random, sums));
  const begin = Math.floor(random.next() * 0.7 * horizon);
  const events: Event[] = [];
  // Follow-ups that would land after the log ends are not in the log, as in a real export.
  const push = (video: number, type: EventType, at: number): void => {
    if (at < horizon) events.push({ user: u, video, type, at: Math.floor(at) });
  };
  for (const v of chosen) {
    const video = videos[v] as Video;
    const affinity = Math.min(1, user.taste[video.genre] as number);
    const watched = begin + random.next() * (horizon - begin);
    push(v, 'watch', watched);
    if (random.next() < 0.08) push(v, 'watch', watched + random.int(1, 20) * DAY + random.int(0, DAY));
    if (random.next() < 0.08 + 0.22 * affinity)
      push(v, 'like', watched + (0.2 + 0.8 * random.next()) * video.lengthSeconds);
    const finishes = (0.2 + 0.35 * affinity) * (video.lengthSeconds < 1200 ? 1 : 0.6);
    if (random.next() < finishes)
      push(v, 'complete', watched + video.lengthSeconds * (1 + 0.1 * random.next()));
    if (random.next() < 0.015 + 0.03 * affinity)
      push(v, 'share', watched + video.lengthSeconds + random.int(10, 600));
  }
  return events;
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function dateTime(startMs: number, seconds: number): string {
  return new Date(startMs + seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Builds the sample in memory.
 * @param options - Seed and sizes; the defaults make the shipped sample.
 * @returns The text of interactions.csv, videos.csv and users.csv.
 */
export function generateSample(options: SampleOptions = SAMPLE_DEFAULTS): Sample {
  const random = createRandom(options.seed);
  const videos = makeVideos(random, options.videos, options.popularityExponent);
  const groups = makeTasteGroups(random, options.tasteGroups);
  const users = makeUsers(random, options.users, groups);
  const horizon = options.days * DAY;
  const events = users.flatMap((user, u) => userEvents(random, u, user, videos, horizon));
  events.sort(
    (a, b) =>
      a.at - b.at ||
      a.user - b.user ||
      a.video - b.video ||
      TYPE_ORDER.indexOf(a.type) - TYPE_ORDER.indexOf(b.type),
  );

  const startMs = Date.parse(`${options.start}T00:00:00Z`);
  const likes = new Int32Array(videos.length);
  const views = new Int32Array(videos.length);
  const lines = ['userId,videoId,interactionType,interactionValue,location,timestamp'];
  for (const e of events) {
    const user = users[e.user] as User;
    if (e.type === 'watch') views[e.video] = (views[e.video] as number) + 1;
    if (e.type === 'like') likes[e.video] = (likes[e.video] as number) + 1;
    lines.push(
      `${user.id},${(videos[e.video] as Video).id},${e.type},${EVENT_VALUES[e.type]},${csvCell(user.country)},${dateTime(startMs, e.at)}`,
    );
  }
  const videoLines = ['videoId,title,lengthSeconds,manualTags,likes,views,language'];
  videos.forEach((v, i) => {
    const language = LANGUAGES[v.language]?.code ?? '';
    videoLines.push(
      `${v.id},${csvCell(v.title)},${v.lengthSeconds},${v.tags.join('|')},${likes[i]},${views[i]},${language}`,
    );
  });
  const userLines = ['userId,age,location,language'];
  for (const u of users)
    userLines.push(`${u.id},${u.age},${csvCell(u.country)},${LANGUAGES[u.language]?.code ?? ''}`);
  return {
    interactions: `${lines.join('\n')}\n`,
    videos: `${videoLines.join('\n')}\n`,
    users: `${userLines.join('\n')}\n`,
  };
}

/** sha256 (hex) of a text's UTF-8 bytes. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function main(): void {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string', default: String(SAMPLE_DEFAULTS.seed) },
      users: { type: 'string', default: String(SAMPLE_DEFAULTS.users) },
      videos: { type: 'string', default: String(SAMPLE_DEFAULTS.videos) },
      out: { type: 'string', default: join(dirname(fileURLToPath(import.meta.url)), 'sample') },
    },
  });
  const options = {
    ...SAMPLE_DEFAULTS,
    seed: Number(values.seed),
    users: Number(values.users),
    videos: Number(values.videos),
  };
  const sample = generateSample(options);
  const out = resolve(values.out);
  mkdirSync(out, { recursive: true });
  for (const [name, text] of Object.entries(sample)) {
    writeFileSync(join(out, `${name}.csv`), text);
    console.log(`${join(out, `${name}.csv`)}  ${Buffer.byteLength(text)} bytes  sha256 ${sha256(text)}`);
  }
  console.log(`genres ${GENRES.length}, languages ${LANGUAGES.length}, seed ${options.seed}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main();
