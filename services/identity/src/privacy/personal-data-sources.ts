import type { Caller } from '@flix/auth';
import { createClient, type PromiseClient } from '@flix/grpc';
import { PersonalDataServiceService } from '@flix/proto/flix/privacy/v1/personal_data';
import type { PersonalDataSource } from '../domain/data-export.js';

/**
 * Another service's PersonalDataService (proto/flix/privacy/v1), asked with the person's own
 * access token: the service exports that token's subject and nobody else.
 */
export class GrpcPersonalDataSource implements PersonalDataSource {
  private readonly client: PromiseClient<typeof PersonalDataServiceService>;

  constructor(readonly service: string, address: string) {
    // Two attempts: a service that is down is reported, not waited for.
    this.client = createClient(PersonalDataServiceService, address, { deadlineMs: 10_000, maxAttempts: 2 });
  }

  async export(caller: Caller, userId: string, profileIds: string[]): Promise<Record<string, unknown>> {
    const res = await this.client.exportPersonalData({ userId, profileIds }, { metadata: { authorization: `Bearer ${caller.accessToken}` } });
    return (res.data as Record<string, unknown> | undefined) ?? {};
  }

  close(): void {
    this.client.close();
  }
}

/** The services that hold personal data, by name, from identity's configuration. */
export function personalDataSources(addresses: Record<string, string>): GrpcPersonalDataSource[] {
  return Object.entries(addresses).map(([service, address]) => new GrpcPersonalDataSource(service, address));
}
