/**
 * The invented world of the shipped sample: genres with their tags and title words, languages with
 * their countries, videos with a long-tail popularity, and users in latent taste groups.
 * @module
 */

import type { Random } from './random.js';

interface Genre {
  name: string;
  /** Typical length in seconds (the median of a log-normal). */
  length: number;
  tags: readonly string[];
  topics: readonly string[];
  formats: readonly string[];
}

export const GENRES: readonly Genre[] = [
  {
    name: 'music',
    length: 260,
    tags: ['lofi', 'live', 'cover', 'acoustic', 'hiphop', 'classical', 'playlist', 'jazz'],
    topics: ['Lo-fi Beats', 'Acoustic Session', 'Piano Covers', 'Jazz Standards', 'Hip-Hop Mix', 'Synthwave'],
    formats: ['to Study To', 'Live', 'Vol.', 'Playlist', 'Unplugged'],
  },
  {
    name: 'gaming',
    length: 1300,
    tags: ['walkthrough', 'speedrun', 'esports', 'minecraft', 'rpg', 'retro', 'strategy'],
    topics: [
      'Minecraft Survival',
      'Speedrun Attempts',
      'Retro Consoles',
      'Open World RPG',
      'Strategy Games',
      'Indie Gems',
    ],
    formats: ['Walkthrough', "Let's Play", 'Review', 'Tier List', 'Highlights'],
  },
  {
    name: 'cooking',
    length: 620,
    tags: ['recipe', 'baking', 'vegan', 'streetfood', 'quick', 'dessert', 'pasta'],
    topics: [
      'Pasta Carbonara',
      'Sourdough Bread',
      'Vegan Curry',
      'Street Tacos',
      'Chocolate Cake',
      'Ramen at Home',
    ],
    formats: ['in 15 Minutes', 'Recipe', 'for Beginners', 'Masterclass', 'Three Ways'],
  },
  {
    name: 'sports',
    length: 480,
    tags: ['football', 'cricket', 'basketball', 'tennis', 'highlights', 'analysis'],
    topics: ['Football', 'Cricket', 'Basketball', 'Tennis', 'Formula 1', 'Marathon'],
    formats: ['Highlights', 'Tactics Explained', 'Top 10 Moments', 'Match Analysis', 'Training Day'],
  },
  {
    name: 'tech',
    length: 720,
    tags: ['review', 'smartphone', 'programming', 'ai', 'gadgets', 'linux', 'unboxing'],
    topics: ['Smartphone', 'Laptop', 'Home Server', 'AI Assistant', 'Mechanical Keyboard', 'Linux Desktop'],
    formats: ['Review', 'Unboxing', 'Setup Guide', 'Long-Term Test', 'Explained'],
  },
  {
    name: 'travel',
    length: 900,
    tags: ['vlog', 'backpacking', 'citytour', 'nature', 'budget', 'roadtrip'],
    topics: ['Tokyo', 'Lisbon', 'Patagonia', 'Kerala', 'Mexico City', 'Iceland'],
    formats: ['Travel Guide', 'on a Budget', 'Vlog', 'Road Trip', 'in 48 Hours'],
  },
  {
    name: 'comedy',
    length: 300,
    tags: ['standup', 'sketch', 'parody', 'pranks', 'improv'],
    topics: ['Office Life', 'Family Dinner', 'Airport Security', 'First Dates', 'Tech Support', 'Roommates'],
    formats: ['Sketch', 'Stand-up', 'Parody', 'Improv', 'Bloopers'],
  },
  {
    name: 'education',
    length: 880,
    tags: ['tutorial', 'history', 'math', 'languages', 'explainer', 'beginner'],
    topics: [
      'Linear Algebra',
      'World History',
      'Learn Spanish',
      'Statistics',
      'Machine Learning',
      'Economics',
    ],
    formats: ['Crash Course', 'Explained', 'for Beginners', 'Lecture', 'in 10 Minutes'],
  },
  {
    name: 'fitness',
    length: 1500,
    tags: ['workout', 'yoga', 'hiit', 'running', 'stretching', 'strength'],
    topics: ['Full Body', 'Morning Yoga', 'HIIT Cardio', 'Core Strength', 'Mobility', 'Running Form'],
    formats: ['Workout', 'Routine', 'for Beginners', 'Challenge', 'Follow Along'],
  },
  {
    name: 'news',
    length: 360,
    tags: ['politics', 'economy', 'world', 'weather', 'interview', 'daily'],
    topics: ['Markets', 'Elections', 'Climate Summit', 'Tech Policy', 'Housing', 'Energy Prices'],
    formats: ['Daily Briefing', 'Explained', 'Interview', 'Live Report', 'Week in Review'],
  },
  {
    name: 'science',
    length: 840,
    tags: ['space', 'physics', 'biology', 'chemistry', 'documentary', 'experiments'],
    topics: [
      'Black Holes',
      'Quantum Physics',
      'The Human Brain',
      'Volcanoes',
      'Deep Sea Life',
      'Mars Missions',
    ],
    formats: ['Documentary', 'Explained', 'Experiments', 'Q&A', 'Deep Dive'],
  },
  {
    name: 'diy',
    length: 660,
    tags: ['woodworking', 'repair', 'gardening', 'crafts', 'homedecor', 'upcycling'],
    topics: ['Bookshelf', 'Garden Beds', 'Bike Repair', 'Kitchen Makeover', 'Candle Making', 'Workbench'],
    formats: ['Build', 'How-To', 'on a Budget', 'Weekend Project', 'Restoration'],
  },
];

interface Language {
  code: string;
  share: number;
  countries: readonly string[];
}

export const LANGUAGES: readonly Language[] = [
  { code: 'en', share: 0.55, countries: ['USA', 'UK', 'Canada', 'Australia', 'India'] },
  { code: 'es', share: 0.15, countries: ['Spain', 'Mexico', 'Argentina', 'Colombia'] },
  { code: 'hi', share: 0.12, countries: ['India'] },
  { code: 'pt', share: 0.1, countries: ['Brazil', 'Portugal'] },
  { code: 'fr', share: 0.08, countries: ['France', 'Canada', 'Belgium'] },
];

export interface Video {
  id: string;
  genre: number;
  language: number;
  title: string;
  lengthSeconds: number;
  tags: string[];
  /** Relative popularity, power law over a random rank. */
  popularity: number;
}

export interface User {
  id: string;
  age: number;
  language: number;
  country: string;
  group: number;
  /** Affinity per genre. */
  taste: Float64Array;
}

function choose<T>(random: Random, items: readonly T[]): T {
  return items[random.int(0, items.length - 1)] as T;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * Invents `count` videos. Popularity follows `rank^-exponent` over a random permutation, so a few
 * videos draw most views (the long tail).
 */
export function makeVideos(random: Random, count: number, exponent: number): Video[] {
  const ranks = Array.from({ length: count }, (_, i) => i + 1);
  for (let i = count - 1; i > 0; i--) {
    const j = random.int(0, i);
    [ranks[i], ranks[j]] = [ranks[j] as number, ranks[i] as number];
  }
  const titles = new Map<string, number>();
  const width = 3; // the original's u001 style, so its example requests work on the sample
  return ranks.map((rank, i) => {
    const genre = random.int(0, GENRES.length - 1);
    const g = GENRES[genre] as Genre;
    const language = random.pick(LANGUAGES.map((l) => l.share));
    let title = `${choose(random, g.topics)} ${choose(random, g.formats)}`;
    const seen = titles.get(title) ?? 0;
    titles.set(title, seen + 1);
    if (seen > 0) title = `${title} #${seen + 1}`;
    const tags = [g.name];
    for (let t = random.int(1, 3); t > 0; t--) {
      const tag = choose(random, g.tags);
      if (!tags.includes(tag)) tags.push(tag);
    }
    const lengthSeconds = Math.max(30, Math.round(g.length * Math.exp(0.5 * random.normal())));
    return {
      id: `v${pad(i + 1, width)}`,
      genre,
      language,
      title,
      lengthSeconds,
      tags,
      popularity: rank ** -exponent,
    };
  });
}

/**
 * Draws `groups` taste profiles: each loves two genres and barely watches the rest.
 */
export function makeTasteGroups(random: Random, groups: number): Float64Array[] {
  return Array.from({ length: groups }, (_, k) => {
    const taste = new Float64Array(GENRES.length);
    for (let g = 0; g < GENRES.length; g++) taste[g] = 0.005 + 0.015 * random.next();
    taste[k % GENRES.length] = 1;
    taste[(k * 5 + 3) % GENRES.length] = 0.6;
    return taste;
  });
}

/**
 * Invents `count` users, each in one taste group (groups have unequal sizes) with a personal
 * log-normal tilt on every genre.
 */
export function makeUsers(random: Random, count: number, groups: readonly Float64Array[]): User[] {
  const groupShare = groups.map((_, k) => 1 / (k + 2));
  const width = 3; // the original's u001 style, so its example requests work on the sample
  return Array.from({ length: count }, (_, i) => {
    const language = random.pick(LANGUAGES.map((l) => l.share));
    const group = random.pick(groupShare);
    const base = groups[group] as Float64Array;
    const taste = base.map((a) => a * Math.exp(0.5 * random.normal()));
    const age = Math.min(75, Math.max(13, Math.round(29 + 10 * random.normal())));
    const country = choose(random, (LANGUAGES[language] as Language).countries);
    return { id: `u${pad(i + 1, width)}`, age, language, country, group, taste };
  });
}
