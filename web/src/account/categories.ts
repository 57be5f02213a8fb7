/** The notification categories as a person reads them (the notifications service's names are keys). */
export const CATEGORY_LABELS: Record<string, { name: string; about: string }> = {
  reminders: { name: 'Reminders', about: 'A free trial about to end, a rental about to expire.' },
  product_news: { name: 'News from Flix', about: 'New features, titles and offers.' },
  account: { name: 'Your account', about: 'Welcome, address verification, account deletion.' },
  security: { name: 'Security', about: 'Password reset links, password and e-mail changes.' },
  billing: { name: 'Billing', about: 'Receipts, payment problems, subscription changes, rentals.' },
};

export const categoryName = (category: string): string => CATEGORY_LABELS[category]?.name ?? category.replace(/_/g, ' ');
