import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startNodeFlags } from '../../bench/support/orders-app';

/**
 * The service's node flags (a young generation of 2 × 32 MB: see README, "Performance") are
 * given on the command line, where V8 reads them at startup, by each way of starting it: the
 * `npm start` script, the image's CMD and the compose service. bench:orders reads them from
 * the `start` script.
 */
const ROOT = path.resolve(__dirname, '../..');
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

describe('the node flags of the service', () => {
  const flags = startNodeFlags();

  it('are the ones npm start gives, as the bench reads them', () => {
    expect(flags).toEqual(['--max-semi-space-size=32']);
  });

  it('are the same in the image and in docker-compose', () => {
    const argv = ['node', ...flags, 'dist/main.js', 'all'];
    expect(read('Dockerfile')).toContain(`CMD ${JSON.stringify(argv).replaceAll(',', ', ')}`);
    expect(read('docker-compose.yml')).toContain(
      `command: [${argv.map((a) => `'${a}'`).join(', ')}]`,
    );
  });
});
