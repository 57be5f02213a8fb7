import { Violations } from '@flix/errors';
import { isOptionalCategory, TRANSACTIONAL_CATEGORIES, type Category, type OptionalCategory, type Preferences } from './model.js';

/** The fields UpdateNotificationPreferences may change, as a field mask names them. */
const MASK_FIELDS: Record<string, keyof Omit<Preferences, 'updatedAt'>> = {
  reminders: 'reminders',
  product_news: 'productNews',
  productNews: 'productNews',
};

export interface PreferencesPatch {
  reminders?: boolean | undefined;
  productNews?: boolean | undefined;
  /** Read-only; a client may send back what it read, anything else is refused. */
  transactionalCategories?: readonly string[] | undefined;
}

/**
 * Applies an update: the mask names what changes (an empty mask changes both switches). A mask
 * naming anything else is refused, naming the path, so a typo never silently does nothing.
 */
export function applyPreferences(current: Preferences, patch: PreferencesPatch, mask: readonly string[], now: Date): Preferences {
  const v = new Violations();
  const fields = new Set<keyof Omit<Preferences, 'updatedAt'>>();
  for (const path of mask) {
    const field = MASK_FIELDS[path];
    if (!field) v.add('updateMask', `unknown field "${path}"; updatable: reminders, product_news`);
    else fields.add(field);
  }
  // Sent back unchanged from a GET it is harmless; a different list would pretend transactional
  // mail can be switched off, so it is refused rather than silently ignored.
  const sent = patch.transactionalCategories ?? [];
  if (sent.length > 0 && (sent.length !== TRANSACTIONAL_CATEGORIES.length || sent.some((c, i) => c !== TRANSACTIONAL_CATEGORIES[i])))
    v.add('preferences.transactionalCategories', `read-only: transactional mail (${TRANSACTIONAL_CATEGORIES.join(', ')}) always goes; send it back unchanged or leave it out`);
  v.throwIfAny();
  if (mask.length === 0) {
    fields.add('reminders');
    fields.add('productNews');
  }
  const next: Preferences = { ...current, updatedAt: now };
  for (const f of fields) next[f] = patch[f] ?? current[f];
  return next;
}

/** Whether mail of this category may go to a person with these preferences. */
export function allows(prefs: Preferences, category: Category): boolean {
  if (!isOptionalCategory(category)) return true; // transactional: always
  return category === 'reminders' ? prefs.reminders : prefs.productNews;
}

/** Turns one optional category off (one-click unsubscribe). */
export function withoutCategory(prefs: Preferences, category: OptionalCategory, now: Date): Preferences {
  return { ...prefs, [category === 'reminders' ? 'reminders' : 'productNews']: false, updatedAt: now };
}
