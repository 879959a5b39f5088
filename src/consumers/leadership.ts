import { createHash } from 'node:crypto';
import { Client, type ClientConfig } from 'pg';

/** `application_name` of a consumer's lock connection (operators and tests find it by this). */
export function leaderApplicationName(consumerName: string): string {
  return `orderflow-consumer:${consumerName}`.slice(0, 63);
}

/** The session advisory lock key of a consumer name: 64 bits of SHA-256, as a signed bigint. */
export function consumerLockKey(consumerName: string): bigint {
  return createHash('sha256')
    .update(`orderflow.consumer:${consumerName}`)
    .digest()
    .readBigInt64BE(0);
}

/**
 * Leadership of one consumer name: a PostgreSQL session advisory lock held on a dedicated
 * connection. The lock lives exactly as long as that session, so a crashed or partitioned
 * leader loses it when PostgreSQL drops the connection, and a standby's next try wins.
 * When the connection errors or ends (or the heartbeat fails) `onLost` fires at once: the
 * instance may no longer be the leader and must stop.
 */
export class Leadership {
  private client: Client | undefined;
  private onLost: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly connection: ClientConfig,
    private readonly consumerName: string,
    private readonly heartbeatMs = 5_000,
  ) {}

  get held(): boolean {
    return this.onLost !== undefined;
  }

  /** Tries once; true when this instance is now the leader. `onLost` is called at most once. */
  async tryAcquire(onLost: () => void): Promise<boolean> {
    if (this.held) {
      // Session locks stack: taking it again would need as many unlocks. Keep the one held.
      this.onLost = onLost;
      return true;
    }
    const client = this.client ?? (await this.connect());
    const { rows } = await client.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_lock($1::bigint) AS ok',
      [consumerLockKey(this.consumerName).toString()],
    );
    if (!rows[0]?.ok || client !== this.client) return false;
    this.onLost = onLost;
    this.heartbeat = setInterval(() => {
      client.query('SELECT 1').catch((error: unknown) => this.drop(client, error));
    }, this.heartbeatMs);
    return true;
  }

  /** Unlocks (when held) and closes the connection. */
  async release(): Promise<void> {
    const client = this.client;
    this.forget();
    if (!client) return;
    await client.end().catch(() => undefined); // ending the session releases its locks
  }

  private async connect(): Promise<Client> {
    const client = new Client({
      ...this.connection,
      application_name: leaderApplicationName(this.consumerName),
      keepAlive: true,
    });
    client.on('error', (error) => this.drop(client, error));
    client.on('end', () => this.drop(client, new Error('lock connection ended')));
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
    return client;
  }

  private drop(client: Client, _error: unknown): void {
    if (client !== this.client) return;
    const onLost = this.onLost;
    this.forget();
    client.end().catch(() => undefined);
    onLost?.();
  }

  private forget(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    this.onLost = undefined;
    this.client = undefined;
  }
}
