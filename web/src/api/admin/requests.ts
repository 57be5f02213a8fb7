import type { HttpClient, Query } from '../http';

/** The request helpers client.ts hands each Studio section's calls (all need an admin token). */
export interface AdminRequests {
  get: <T>(path: string, query?: Query) => Promise<T>;
  post: <T>(path: string, body?: unknown) => Promise<T>;
  del: <T>(path: string, query?: Query) => Promise<T>;
  http: HttpClient;
}

export type Params<T, Omitted extends keyof T = never> = Partial<Omit<T, Omitted>>;
export const enc = encodeURIComponent;
export const q = <T extends object>(params: T | undefined): Query => (params ?? {}) as unknown as Query;
