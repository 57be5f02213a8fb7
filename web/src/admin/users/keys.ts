/** Query keys of one account's page (apart from adminKeys.users, whose third part is a search prefix). */
export const userKeys = {
  detail: (userId: string) => ['admin', 'user', userId] as const,
  sessions: (userId: string) => ['admin', 'user', userId, 'sessions'] as const,
  subscription: (userId: string) => ['admin', 'user', userId, 'subscription'] as const,
  payments: (userId: string) => ['admin', 'user', userId, 'payments'] as const,
};
