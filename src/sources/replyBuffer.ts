/** A Content-Length up to this sizes a new buffer up front; beyond it the buffer grows as bytes arrive. */
const MAX_PRESIZE_BYTES = 64 * 1024 * 1024;

/**
 * Reads HTTP reply bodies into buffers that are reused from reply to reply, instead of collecting the network
 * chunks and concatenating them into a new buffer each time. A 2 MB page then leaves no 2 MB allocation behind:
 * such buffers live long enough to be promoted and are freed only by a full collection, which is what made peak
 * memory grow with the length of a pull.
 *
 * The contract that makes reuse safe: a body is valid until its reader releases it, and not after. A pull holds
 * two at once (the page being written, the next one being read), so up to `keep` released buffers wait for the
 * next reads; a read finds a free one or gets a new one.
 */
export class ReplyBuffer {
  private readonly free: Buffer[] = [];

  /**
   * @param keepUpToBytes Buffers that grew past this are not kept for the next reply (a rare huge reply does not pin memory).
   * @param keep How many released buffers wait for the next reads.
   */
  constructor(
    private readonly keepUpToBytes = 16 * 1024 * 1024,
    private readonly keep = 2,
  ) {}

  /**
   * Reads `stream` to its end; `expectedBytes` (the Content-Length, if any) sizes a new buffer up front
   * when it is plausible, otherwise the buffer grows as bytes arrive. The body stays valid until `release`
   * is called; call it once the body is no longer needed (a later read may then reuse the buffer). Calling it
   * again does nothing. Errors from the stream (reset, abort, premature close) propagate, and the buffer is released.
   */
  async read(stream: AsyncIterable<unknown>, expectedBytes?: number): Promise<{ body: Buffer; release: () => void }> {
    const presize =
      Number.isSafeInteger(expectedBytes) && (expectedBytes ?? 0) <= MAX_PRESIZE_BYTES ? (expectedBytes ?? 0) : 0;
    // A kept buffer smaller than the announced size is dropped for one that fits (growing would double it).
    const kept = this.free.pop();
    let buffer = kept && kept.length >= presize ? kept : Buffer.allocUnsafeSlow(Math.max(presize, 1024 * 1024));
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      if (buffer.length <= this.keepUpToBytes && this.free.length < this.keep) this.free.push(buffer);
    };
    let length = 0;
    try {
      for await (const chunk of stream) {
        const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
        if (length + bytes.length > buffer.length) {
          const larger = Buffer.allocUnsafeSlow(Math.max(buffer.length * 2, length + bytes.length));
          buffer.copy(larger, 0, 0, length);
          buffer = larger;
        }
        bytes.copy(buffer, length);
        length += bytes.length;
      }
    } catch (error) {
      release();
      throw error;
    }
    return { body: buffer.subarray(0, length), release };
  }
}
