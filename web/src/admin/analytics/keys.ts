/** Query keys of Studio → Analytics. */
export const analyticsKeys = {
  all: ['admin', 'analytics'] as const,
  summary: (from: string, to: string) => ['admin', 'analytics', 'summary', from, to] as const,
  titleNames: (ids: string[]) => ['admin', 'analytics', 'title-names', ids] as const,
};
