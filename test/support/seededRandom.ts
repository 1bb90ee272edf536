/**
 * The simulator's seeded PRNG (mulberry32), reused for reproducible test choices: the same seed gives the
 * same sequence on every machine, so a failing chaos or crash seed can be replayed exactly.
 */
export { Prng as SeededRandom } from '../../src/local/simulator/prng';

/** The seed from an environment variable (to replay a run), else `fallback`. */
export function seedFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  const value = text === undefined ? NaN : Number(text);
  return Number.isInteger(value) ? value : fallback;
}
