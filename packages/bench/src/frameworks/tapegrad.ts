/**
 * tapegrad, used only through its public entry (`import ... from 'tapegrad'`,
 * see shared API.md). Loaded dynamically so that a missing build shows up as
 * a clear "not available" column instead of a crash.
 */
export type Tapegrad = typeof import('tapegrad');

export async function loadTapegrad(): Promise<{ tg: Tapegrad } | { error: string }> {
  try {
    const tg: Tapegrad = await import('tapegrad');
    return { tg };
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    return { error: `cannot import tapegrad (run \`pnpm build\` first): ${msg}` };
  }
}
