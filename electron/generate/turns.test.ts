import { describe, expect, it } from 'vitest';
import { Turns } from './turns';

/** Turns on a clock the test moves, and a log of who started each run. */
function setup(sliceMs = 100) {
  let now = 0;
  const turns = new Turns(sliceMs, () => now);
  const log: string[] = [];
  const run = async (owner: string) => {
    await turns.take(owner);
    log.push(owner);
  };
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { turns, log, run, settle, advance: (ms: number) => (now += ms) };
}

describe('Turns between loaded models', () => {
  it('never makes a model alone wait', async () => {
    const { turns, log, run, advance } = setup();
    for (let i = 0; i < 5; i++) {
      await run('a');
      advance(1000);
    }
    expect(log).toEqual(['a', 'a', 'a', 'a', 'a']);
    expect(turns.state).toEqual({ holder: 'a', waiting: 0 });
  });

  it('keeps the turn for a slice while another waits, then passes it on', async () => {
    const { turns, log, run, settle, advance } = setup(100);
    await run('a');
    const b = run('b'); // waits: a holds the turn
    await settle();
    expect(log).toEqual(['a']);
    advance(40);
    await run('a'); // still inside a's slice
    expect(log).toEqual(['a', 'a']);
    advance(70); // a's slice is over: its next run waits and b starts
    const a = run('a');
    await b;
    expect(log).toEqual(['a', 'a', 'b']);
    expect(turns.state).toEqual({ holder: 'b', waiting: 1 });
    advance(100);
    const b2 = run('b'); // b's slice is over too: back to a
    await a;
    expect(log).toEqual(['a', 'a', 'b', 'a']);
    turns.leave('a'); // a's generation ended: b goes on at once
    await b2;
    expect(log).toEqual(['a', 'a', 'b', 'a', 'b']);
    expect(turns.state).toEqual({ holder: 'b', waiting: 0 });
  });

  it('hands the turn on in the order the models asked, and frees it when the last one leaves', async () => {
    const { turns, log, run, settle } = setup(0);
    await run('a');
    const waiting = [run('c'), run('b')];
    await settle();
    turns.leave('a');
    await waiting[0];
    expect(log).toEqual(['a', 'c']);
    turns.leave('c');
    await waiting[1];
    turns.leave('b');
    expect(log).toEqual(['a', 'c', 'b']);
    expect(turns.state).toEqual({ holder: undefined, waiting: 0 });
  });

  it('ignores a leave from a model that does not hold the turn', async () => {
    const { turns, log, run, settle } = setup(1000);
    await run('a');
    const b = run('b');
    turns.leave('c');
    turns.leave('b');
    await settle();
    expect(log).toEqual(['a']);
    turns.leave('a');
    await b;
    expect(log).toEqual(['a', 'b']);
  });

  it('starts a stopped model at once, out of turn, and leaves the holder its turn', async () => {
    const { turns, log, run, settle } = setup(60_000);
    await run('a');
    const b = run('b'); // waits for the rest of a's long slice
    await settle();
    expect(log).toEqual(['a']);
    turns.release('b'); // b's generation was stopped
    await b;
    expect(log).toEqual(['a', 'b']);
    expect(turns.state).toEqual({ holder: 'a', waiting: 0 });
    turns.release('c'); // nobody of that name waits: nothing happens
    turns.leave('b'); // b is not the holder: its leaving changes nothing
    expect(turns.state).toEqual({ holder: 'a', waiting: 0 });
  });
});
