let lastMs = Number.NaN;
let lastIso = '';

/**
 * The current time as ISO-8601 (`new Date().toISOString()`), formatted once per millisecond:
 * every event's metadata and many commands carry it, and formatting cost ~0.75 µs a call
 * on this project's machines, about 1% of the service's CPU under load.
 */
export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
