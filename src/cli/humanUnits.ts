/** Bytes for people: `812 B`, `12.3 KiB`, `4.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit] ?? ''}`;
}

/** A duration for people, two units at most: `45 s`, `4 min 19 s`, `2 h 5 min`, `3 d 4 h`; negative as `-45 s`. */
export function formatDuration(durationMs: number): string {
  const sign = durationMs < 0 ? '-' : '';
  const totalSeconds = Math.floor(Math.abs(durationMs) / 1000);
  const days = Math.floor(totalSeconds / 86_400);
  const hours = Math.floor((totalSeconds % 86_400) / 3_600);
  const minutes = Math.floor((totalSeconds % 3_600) / 60);
  const seconds = totalSeconds % 60;
  if (days > 0) return `${sign}${days} d${hours > 0 ? ` ${hours} h` : ''}`;
  if (hours > 0) return `${sign}${hours} h${minutes > 0 ? ` ${minutes} min` : ''}`;
  if (minutes > 0) return `${sign}${minutes} min${seconds > 0 ? ` ${seconds} s` : ''}`;
  return `${sign}${seconds} s`;
}
