import { ReplyBuffer } from '../../src/sources/replyBuffer';

async function* chunks(...parts: (string | Error)[]): AsyncGenerator<Buffer> {
  for (const part of parts) {
    await Promise.resolve();
    if (part instanceof Error) throw part;
    yield Buffer.from(part);
  }
}

describe('ReplyBuffer', () => {
  it('reads a body of any size, growing past the size announced', async () => {
    const replies = new ReplyBuffer();
    const big = 'x'.repeat(1536 * 1024);
    const { body, release } = await replies.read(chunks('ab', big, 'cd'), 10);
    expect(body.toString()).toBe(`ab${big}cd`);
    release();
  });

  it('reuses one buffer from reply to reply once released', async () => {
    const replies = new ReplyBuffer();
    const first = await replies.read(chunks('first'));
    const firstBuffer = first.body.buffer;
    first.release();
    const second = await replies.read(chunks('second'));
    expect(second.body.toString()).toBe('second');
    expect(second.body.buffer).toBe(firstBuffer);
    second.release();
  });

  it('gives a read that starts while the buffer is held a buffer of its own', async () => {
    const replies = new ReplyBuffer();
    const held = await replies.read(chunks('held'));
    const other = await replies.read(chunks('other'));
    expect(held.body.toString()).toBe('held');
    expect(other.body.toString()).toBe('other');
    expect(other.body.buffer).not.toBe(held.body.buffer);
    other.release();
    held.release();
  });

  it('keeps two buffers, so a pull that holds one page while it reads the next allocates no more', async () => {
    const replies = new ReplyBuffer();
    const first = await replies.read(chunks('first'));
    const second = await replies.read(chunks('second'));
    const buffers = [first.body.buffer, second.body.buffer];
    first.release();
    const third = await replies.read(chunks('third'));
    second.release();
    const fourth = await replies.read(chunks('fourth'));
    expect(buffers).toContain(third.body.buffer);
    expect(buffers).toContain(fourth.body.buffer);
    expect(third.body.buffer).not.toBe(fourth.body.buffer);
    third.release();
    fourth.release();
  });

  it('replaces a kept buffer smaller than the size a reply announces, instead of growing it', async () => {
    const replies = new ReplyBuffer();
    const small = await replies.read(chunks('small'));
    const smallBuffer = small.body.buffer;
    small.release();
    const large = 'L'.repeat(1536 * 1024);
    const next = await replies.read(chunks(large), large.length);
    expect(next.body.toString()).toBe(large);
    expect(next.body.buffer).not.toBe(smallBuffer);
    expect(next.body.buffer.byteLength).toBe(large.length);
    next.release();
  });

  it('never hands one buffer to two readers, however often a body is released', async () => {
    const replies = new ReplyBuffer();
    const held = await replies.read(chunks('held'));
    held.release();
    held.release();
    const one = await replies.read(chunks('one'));
    const two = await replies.read(chunks('two'));
    expect(one.body.buffer).not.toBe(two.body.buffer);
    expect([one.body.toString(), two.body.toString()]).toEqual(['one', 'two']);
  });

  it('releases the buffer when the stream fails, and does not keep a buffer that grew too large', async () => {
    const replies = new ReplyBuffer(1024 * 1024);
    await expect(replies.read(chunks('part', new Error('socket hang up')))).rejects.toThrow('socket hang up');
    const huge = await replies.read(chunks('y'.repeat(3 * 1024 * 1024)));
    const hugeBuffer = huge.body.buffer;
    huge.release();
    const next = await replies.read(chunks('z'));
    expect(next.body.toString()).toBe('z');
    expect(next.body.buffer).not.toBe(hugeBuffer);
    next.release();
  });
});
