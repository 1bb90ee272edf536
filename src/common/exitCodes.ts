/** Exit codes of every defender-export command and of the local host (`npm start`). */
export const EXIT = {
  ok: 0,
  /** The operation ran and failed (API, vault, storage, state). */
  failed: 1,
  /** Bad arguments or settings: nothing was attempted. */
  usage: 2,
  /** `status`: the exporter is unhealthy (last run failed, or no success within the allowed age). */
  unhealthy: 3,
  /** Stopped by Ctrl+C (128 + SIGINT, as shells report it); what was committed stays, the same command resumes. */
  interrupted: 130,
} as const;
