/** Text helpers shared by areas. */

/** One line: newlines and runs of whitespace become single spaces. */
export function oneLine(s: string | null | undefined): string {
  return (s ?? '').replace(/\s+/g, ' ').trim();
}
