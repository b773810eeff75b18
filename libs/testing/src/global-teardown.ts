import * as fs from 'node:fs';
import { infra } from './infra';

export default async function globalTeardown(): Promise<void> {
  const dir = process.env.TEST_INFRA_DIR;
  if (!dir) return;
  await infra.stackDown({ dir, quiet: true });
  fs.rmSync(dir, { recursive: true, force: true });
}
