// The pacer's ordering of writes that replace each other (updates of one message): the newest
// decision wins, whatever order the writes reach the pacer in.
import { expect, it } from 'vitest';
import { ChannelPacer } from '../../lib/slack/post/pacer.ts';

function recorder() {
  const sent: string[] = [];
  const write = (text: string) => async () => {
    sent.push(text);
    return text;
  };
  return { sent, write };
}

it('a newer write of a key replaces a pending one; the callers of both settle when it is sent', async () => {
  const pacer = new ChannelPacer({ minIntervalMs: 0 });
  const { sent, write } = recorder();
  const first = pacer.schedule('C1', write('post'));
  const a = pacer.schedule('C1', write('progress'), { key: 'top', version: 1 });
  const b = pacer.schedule('C1', write('verdict'), { key: 'top', version: 2 });
  await Promise.all([first, a, b]);
  expect(sent).toEqual(['post', 'verdict']);
  expect(await a).toBe('verdict');
});

it('an older write arriving after a newer pending one does not replace it', async () => {
  const pacer = new ChannelPacer({ minIntervalMs: 0 });
  const { sent, write } = recorder();
  const busy = pacer.schedule('C1', write('reply'));
  const verdict = pacer.schedule('C1', write('verdict'), { key: 'top', version: 5 });
  const late = pacer.schedule('C1', write('progress'), { key: 'top', version: 3 });
  await Promise.all([busy, verdict, late]);
  expect(sent).toEqual(['reply', 'verdict']);
});

it('an older write arriving after the newer one went out is dropped, not sent after it', async () => {
  const pacer = new ChannelPacer({ minIntervalMs: 0 });
  const { sent, write } = recorder();
  await pacer.schedule('C1', write('verdict'), { key: 'top', version: 5 });
  await pacer.schedule('C1', write('progress'), { key: 'top', version: 4 });
  await pacer.idle();
  expect(sent).toEqual(['verdict']);
});

it('a post that creates the message is never replaced by an update of its key', async () => {
  const pacer = new ChannelPacer({ minIntervalMs: 0 });
  const { sent, write } = recorder();
  const post = pacer.schedule('C1', write('post'), { key: 'top', version: 1, replaceable: false });
  const update = pacer.schedule('C1', write('update'), { key: 'top', version: 2 });
  expect(await post).toBe('post');
  await update;
  expect(sent).toEqual(['post', 'update']);
});

it('without versions, writes of a key replace each other in arrival order; other keys and channels are untouched', async () => {
  const pacer = new ChannelPacer({ minIntervalMs: 0 });
  const { sent, write } = recorder();
  await Promise.all([
    pacer.schedule('C1', write('a1'), 'a'),
    pacer.schedule('C1', write('a2'), 'a'),
    pacer.schedule('C1', write('b1'), 'b'),
    pacer.schedule('C2', write('c1'), 'a'),
  ]);
  expect(sent.sort()).toEqual(['a2', 'b1', 'c1']);
});
