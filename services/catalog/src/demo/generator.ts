import { KNOWN_GENRES, OWN_SOURCE, type Maturity, type MovieRecord, type PlanTier } from '../domain/model.js';

/**
 * A deterministic demo catalog: the same seed always yields the same titles, so tests and
 * benchmarks can rely on it. Everything is invented from word lists below (no copied dataset);
 * a few hand-written anchors exist so that the search examples people try ("spidr man",
 * "interst", "amelie") have something to find.
 */

/** mulberry32: tiny, fast, good enough for synthetic data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ADJECTIVES = [
  'Silent', 'Crimson', 'Hidden', 'Last', 'Broken', 'Golden', 'Midnight', 'Frozen', 'Wild', 'Electric', 'Distant', 'Burning',
  'Hollow', 'Secret', 'Lonely', 'Fading', 'Savage', 'Gentle', 'Restless', 'Endless', 'Shattered', 'Scarlet', 'Northern', 'Lost',
  'Iron', 'Velvet', 'Bitter', 'Quiet', 'Wicked', 'Radiant', 'Sleeping', 'Falling', 'Rising', 'Invisible', 'Forgotten', 'Brave',
  'Little', 'Dark', 'Bright', 'Eternal', 'Neon', 'Paper', 'Glass', 'Stolen', 'Strange', 'Sudden', 'Twisted', 'Perfect',
];
const NOUNS = [
  'Harbor', 'Garden', 'Empire', 'Horizon', 'River', 'Kingdom', 'Signal', 'Shadow', 'Orchard', 'Frontier', 'Machine', 'Lantern',
  'Mountain', 'Summer', 'Winter', 'Circus', 'Station', 'Letter', 'Island', 'Voyage', 'Promise', 'Storm', 'Mirror', 'Castle',
  'Desert', 'Echo', 'Forest', 'Galaxy', 'Highway', 'Jungle', 'Labyrinth', 'Meadow', 'Ocean', 'Parade', 'Quarry', 'Rebellion',
  'Satellite', 'Tide', 'Valley', 'Wolf', 'Orbit', 'Cathedral', 'Compass', 'Dynasty', 'Falcon', 'Heist', 'Lighthouse', 'Monsoon',
];
const PLACES = ['Lisbon', 'Kyoto', 'Marseille', 'Havana', 'Oslo', 'Cairo', 'Mumbai', 'Seoul', 'Prague', 'Lagos', 'Lima', 'Montréal', 'Zürich', 'Sevilla', 'Kraków', 'São Paulo'];
const NAMES = ['Amélie', 'Lucía', 'Jonas', 'Mei', 'Kofi', 'Zoë', 'Mateo', 'Ingrid', 'Ravi', 'Noor', 'Björn', 'Chloé', 'Hiroshi', 'Ana', 'Élodie', 'Tomás'];
const FIRST = [
  'Ava', 'Noah', 'Liam', 'Emma', 'Mia', 'Lucas', 'Sofia', 'Hugo', 'Léa', 'Mateo', 'Yuki', 'Haruto', 'Aarav', 'Priya', 'Chen', 'Wei',
  'Olga', 'Ivan', 'Fatima', 'Omar', 'Amara', 'Kwame', 'Isabela', 'Joaquín', 'Søren', 'Freya', 'Dmitri', 'Elif', 'Mehmet', 'Ines',
  'Paolo', 'Giulia', 'Jae-won', 'Min-ji', 'Anika', 'Lars', 'Maëlle', 'Thiago', 'Camila', 'Rafael', 'Nadia', 'Tariq', 'Leila', 'Kenji',
  'Oscar', 'Julia', 'Felix', 'Clara', 'Arjun', 'Meera', 'Sipho', 'Zanele', 'Pablo', 'Valentina', 'Emil', 'Astrid', 'Nikolai', 'Irina',
];
const LAST = [
  'Moreau', 'Tanaka', 'Okafor', 'García', 'Novak', 'Lindqvist', 'Rossi', 'Kim', 'Singh', 'Haddad', 'Kowalski', 'Dubois', 'Silva',
  'Nakamura', 'Mensah', 'Petrov', 'Hansen', 'Yılmaz', 'Fernández', 'Müller', 'Costa', 'Park', 'Sharma', 'Nguyen', 'O’Brien', 'Jensen',
  'Bianchi', 'Zhang', 'Abebe', 'Larsen', 'Castillo', 'Ivanova', 'Laurent', 'Sato', 'Banerjee', 'Khalil', 'Wójcik', 'Eriksson', 'Romero',
  'Adeyemi', 'Lefèvre', 'Watanabe', 'Horvat', 'Brennan', 'Carvalho', 'Schmidt', 'Marchetti', 'Choi', 'Kapoor', 'Aziz',
];
const LANGS = ['en', 'en', 'en', 'en', 'fr', 'es', 'de', 'it', 'ja', 'ko', 'hi', 'pt', 'sv', 'da', 'zh', 'tr', 'pl', 'nl', 'ar', 'ru'];
const SUB_LANGS = ['en', 'fr', 'es', 'de', 'pt', 'ja', 'ko', 'zh', 'ar', 'hi', 'it', 'nl', 'sv', 'pl', 'tr'];
const MATURITY: Maturity[] = ['G', 'PG', 'PG', 'PG13', 'PG13', 'PG13', 'R', 'R', 'NC17'];
const PLANS: PlanTier[] = ['BASIC', 'BASIC', 'STANDARD', 'STANDARD', 'PREMIUM'];
const HOOKS = [
  'a retired cartographer', 'two estranged sisters', 'a rookie detective', 'an exiled prince', 'a small-town baker', 'a stubborn engineer',
  'a jazz pianist', 'a disgraced astronaut', 'three childhood friends', 'a reluctant heir', 'a war photographer', 'a runaway robot',
];
const PLOTS = [
  'must cross a continent before the first snow', 'uncovers a conspiracy buried under the city', 'tries to win back a family legacy',
  'gets one night to fix a lifetime of mistakes', 'is drawn into a heist that cannot go wrong — until it does', 'finds a map that should not exist',
  'races a storm to save a drowning village', 'learns that the past keeps its own ledger', 'has to survive a summer nobody will forget',
];

type Anchor = Pick<MovieRecord, 'title' | 'genres' | 'releaseYear' | 'audioLanguages'> & { maturity: Maturity };
const ANCHORS: Anchor[] = [
  { title: 'Spider-Man', genres: ['Action', 'Adventure'], releaseYear: 2002, audioLanguages: ['en'], maturity: 'PG13' },
  { title: 'Interstellar', genres: ['Sci-Fi', 'Drama'], releaseYear: 2014, audioLanguages: ['en'], maturity: 'PG13' },
  { title: 'Amélie', genres: ['Comedy', 'Romance'], releaseYear: 2001, audioLanguages: ['fr'], maturity: 'R' },
  { title: 'Léon', genres: ['Crime', 'Drama'], releaseYear: 1994, audioLanguages: ['en', 'fr'], maturity: 'R' },
  { title: 'Spirited Away', genres: ['Animation', 'Fantasy', 'Family'], releaseYear: 2001, audioLanguages: ['ja'], maturity: 'PG' },
];

const pick = <T>(rnd: () => number, list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
function pickSome<T>(rnd: () => number, list: readonly T[], min: number, max: number): T[] {
  const n = min + Math.floor(rnd() * (max - min + 1));
  const out = new Set<T>();
  while (out.size < n) out.add(pick(rnd, list));
  return [...out];
}

function inventTitle(rnd: () => number, i: number): string {
  const a = pick(rnd, ADJECTIVES);
  const n = pick(rnd, NOUNS);
  const n2 = pick(rnd, NOUNS);
  let t: string;
  switch (Math.floor(rnd() * 9)) {
    case 0: t = `The ${a} ${n}`; break;
    case 1: t = `${n} of ${pick(rnd, PLACES)}`; break;
    case 2: t = `${pick(rnd, NAMES)}'s ${n}`; break;
    case 3: t = `${a} ${n}`; break;
    case 4: t = `The ${n} and the ${n2}`; break;
    case 5: t = `${n}: ${a} ${n2}`; break;
    case 6: t = `Return to ${pick(rnd, PLACES)}`; break;
    case 7: t = `A ${a} ${n} in ${pick(rnd, PLACES)}`; break;
    default: t = `${a} ${n}s`;
  }
  // Beyond the demo size, word combinations repeat: sequels keep titles distinct-looking.
  if (i >= 2000 && rnd() < 0.5) t += ` ${['II', 'III', 'IV', 'Returns', 'Reborn', 'Part Two'][Math.floor(rnd() * 6)]}`;
  return t;
}

const SYL1 = ['Ka', 'Lo', 'Mi', 'Ta', 'Ve', 'Ro', 'Sa', 'Di', 'Ne', 'Be', 'Fa', 'Gu', 'Ha', 'Jo', 'Ku', 'Ze'];
const SYL2 = ['ran', 'mel', 'dov', 'ris', 'tan', 'ber', 'lin', 'sko', 'vic', 'nez', 'dar', 'mou'];
const SYL3 = ['', 'ski', 'son', 'etti', 'ova', 'ard', 'ez', 'berg', 'ley', 'ura'];

/**
 * A name. Big catalogs have many more distinct people than a demo's word lists give, so beyond
 * the demo size surnames are also composed from syllables (about 110k distinct people).
 */
const person = (rnd: () => number, i = 0) =>
  `${pick(rnd, FIRST)} ${i >= 2000 && rnd() < 0.8 ? pick(rnd, SYL1) + pick(rnd, SYL2) + pick(rnd, SYL3) : pick(rnd, LAST)}`;

export const DEMO_CATALOG_SIZE = 320;
const DEMO_EPOCH = new Date('2025-01-01T00:00:00Z');

/** `count` published titles with ready video, deterministic for a given seed. */
export function generateCatalog(count: number, seed = 42): MovieRecord[] {
  const rnd = prng(seed);
  const out: MovieRecord[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const anchor = i < ANCHORS.length ? ANCHORS[i] : undefined;
    let title = anchor?.title ?? inventTitle(rnd, i);
    for (let tries = 0; !anchor && seen.has(title) && tries < 5; tries++) title = inventTitle(rnd, i);
    seen.add(title);
    const genres = anchor?.genres ?? pickSome(rnd, KNOWN_GENRES, 1, 3);
    const releaseYear = anchor?.releaseYear ?? 1950 + Math.floor(Math.pow(rnd(), 0.5) * 76);
    const audio = anchor?.audioLanguages ?? (rnd() < 0.25 ? pickSome(rnd, LANGS, 2, 3) : [pick(rnd, LANGS)]);
    const subtitles = pickSome(rnd, SUB_LANGS, 1, 5).filter((l) => !audio.includes(l));
    const kids = genres.includes('Family') || genres.includes('Animation');
    const maturity = anchor?.maturity ?? (kids ? pick(rnd, ['G', 'PG'] as Maturity[]) : pick(rnd, MATURITY));
    const id = `demo-${String(i + 1).padStart(6, '0')}`;
    const ratingCount = Math.floor(Math.pow(rnd(), 3) * 5000);
    const avg = 1.5 + rnd() * 3.5;
    const rental = rnd() < 0.3;
    const created = new Date(DEMO_EPOCH.getTime() + i * 60_000);
    const hook = pick(rnd, HOOKS);
    out.push({
      id,
      source: OWN_SOURCE,
      title,
      description: `${hook[0]!.toUpperCase()}${hook.slice(1)} ${pick(rnd, PLOTS)}.`,
      genres,
      directors: pickSome(rnd, [person(rnd, i), person(rnd, i), person(rnd, i)], 1, rnd() < 0.1 ? 2 : 1),
      cast: Array.from({ length: 3 + Math.floor(rnd() * 5) }, () => person(rnd, i)).filter((p, j, all) => all.indexOf(p) === j),
      releaseYear,
      runtimeMinutes: kids ? 75 + Math.floor(rnd() * 40) : 85 + Math.floor(rnd() * 95),
      maturity,
      audioLanguages: audio,
      subtitleLanguages: subtitles,
      // No artwork: there is no image host behind demo titles (the web app draws its own poster
      // for a title without one, instead of a broken image from a host that never resolves).
      thumbnailUrl: '',
      backdropUrl: '',
      trailerUrl: rnd() < 0.8 ? `https://media.flix.example/trailers/${id}.m3u8` : '',
      requiredPlan: rental && rnd() < 0.5 ? null : pick(rnd, PLANS),
      rentalPrice: rental ? { amountMinor: pick(rnd, [299, 399, 499, 599]), currency: 'USD' } : null,
      availableFrom: null,
      availableUntil: null,
      status: 'published',
      video: {
        uploadId: `demo-upload-${id}`,
        assetId: `demo-asset-${id}`,
        playbackId: `demo-playback-${id}`,
        status: 'ready',
        durationSeconds: 0,
        maxResolution: pick(rnd, ['1080p', '1080p', '2160p', '720p']),
        aspectRatio: '16:9',
        errors: [],
        updatedAt: created,
        lastEventAt: created,
      },
      ratingSum: Math.round(avg * ratingCount),
      ratingCount,
      popularity: ratingCount * 3 + Math.floor(rnd() * 1000),
      partner: null,
      createdAt: created,
      updatedAt: created,
      publishedAt: created,
      version: 1,
    });
    out[out.length - 1]!.video!.durationSeconds = out[out.length - 1]!.runtimeMinutes * 60;
  }
  return out;
}

/** A partner's feed document (the format partner feeds are read in), deterministic per partner. */
export function demoPartnerFeed(partnerId: string, count = 40): PartnerFeedDocument {
  let seed = 7;
  for (const c of partnerId) seed = (seed * 31 + c.charCodeAt(0)) >>> 0;
  const rnd = prng(seed);
  return {
    partner: partnerId,
    titles: Array.from({ length: count }, (_, i) => {
      const genres = pickSome(rnd, KNOWN_GENRES, 1, 2);
      const included = rnd() < 0.4;
      return {
        id: `${partnerId.slice(0, 2)}-${1000 + i}`,
        title: inventTitle(rnd, i),
        description: `${pick(rnd, HOOKS)} ${pick(rnd, PLOTS)}.`,
        language: pick(rnd, LANGS),
        genres,
        releaseYear: 1970 + Math.floor(rnd() * 56),
        maturity: pick(rnd, MATURITY),
        directors: [person(rnd)],
        cast: [person(rnd), person(rnd)],
        runtimeMinutes: 80 + Math.floor(rnd() * 80),
        cost: included ? null : { amountMinor: pick(rnd, [199, 299, 399, 499]), currency: 'USD' },
        url: `https://${partnerId}.partner.example/watch/${1000 + i}`,
      };
    }),
  };
}

/** The JSON a partner feed serves. */
export interface PartnerFeedDocument {
  partner: string;
  titles: {
    id: string;
    title: string;
    description?: string;
    language: string;
    genres?: string[];
    releaseYear?: number;
    maturity?: string;
    directors?: string[];
    cast?: string[];
    runtimeMinutes?: number;
    /** null: included with the partner's subscription. */
    cost: { amountMinor: number; currency: string } | null;
    url: string;
  }[];
}
