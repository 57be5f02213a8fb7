/**
 * testcontainers, when a Docker engine is reachable. Without one, testcontainers throws
 * "Could not find a working container runtime strategy" within milliseconds; we remember that
 * and fall back to the embedded pieces for the rest of the run.
 */
export interface StartedContainer {
  host: string;
  port: number;
  stop(): Promise<void>;
}

let dockerMissing = process.env.FLIX_TESTCONTAINERS === 'off';

export async function tryContainer(
  image: string,
  internalPort: number,
  command: string[],
  waitForLog: RegExp,
): Promise<StartedContainer | null> {
  if (dockerMissing) return null;
  try {
    const { GenericContainer, Wait } = await import('testcontainers');
    const container = await new GenericContainer(image)
      .withCommand(command)
      .withExposedPorts(internalPort)
      .withWaitStrategy(Wait.forLogMessage(waitForLog))
      .start();
    return {
      host: container.getHost(),
      port: container.getMappedPort(internalPort),
      stop: async () => {
        await container.stop();
      },
    };
  } catch (err) {
    if (/container runtime strategy/i.test(String((err as Error).message))) {
      dockerMissing = true;
      return null;
    }
    throw err;
  }
}
