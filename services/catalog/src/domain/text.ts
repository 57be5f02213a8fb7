// Letters NFKD does not decompose into a base letter plus marks.
const SPECIAL: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i' };

/** Lower-case, accents and ligatures removed: "Amélie" → "amelie", "Æon" → "aeon". */
export function fold(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[ßæœøłđðþı]/g, (c) => SPECIAL[c] ?? c);
}

/** Words of a text, folded; punctuation separates words and apostrophes vanish ("Ocean's" → "oceans"). */
export function words(s: string): string[] {
  return fold(s)
    .replace(/['’`]/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** Sort key for titles: folded, a leading article ignored ("The Matrix" sorts under M). */
export function sortTitle(title: string): string {
  return words(title)
    .join(' ')
    .replace(/^(the|a|an) /, '');
}
