import { describe, expect, it } from 'vitest';
import { FileShapeStore, RedisShapeStore, type RedisHashClient } from '@warmpool/warmup';
import { CliArgs } from '../src/cli-args.js';
import { readShapeStoreArg } from '../src/session-args.js';
import { SERVE_COMMAND } from '../src/agent-commands.js';

// serve's option table with --model optional: these tests read other options of it alone.
const SERVE_OPTIONS = {
  ...SERVE_COMMAND,
  options: { ...SERVE_COMMAND.options, model: { ...SERVE_COMMAND.options['model']!, required: false } },
};

const fakeRedis: RedisHashClient = {
  hincrby: async () => 1,
  hgetall: async () => ({}),
  hlen: async () => 0,
  hexists: async () => 0,
};

describe('readShapeStoreArg', () => {
  it('a file, Redis, neither, or both (an issue naming the option)', () => {
    expect(readShapeStoreArg(new CliArgs(['--shapes-file', '/tmp/x.json'], SERVE_OPTIONS), 'm')).toBeInstanceOf(
      FileShapeStore,
    );
    expect(
      readShapeStoreArg(new CliArgs(['--shapes-redis', 'redis://127.0.0.1:6379'], SERVE_OPTIONS), 'm', () => fakeRedis),
    ).toBeInstanceOf(RedisShapeStore);
    expect(readShapeStoreArg(new CliArgs([], SERVE_OPTIONS), 'm')).toBeUndefined();
    const both = new CliArgs(['--shapes-file', 'a', '--shapes-redis', 'redis://x'], SERVE_OPTIONS);
    expect(readShapeStoreArg(both, 'm', () => fakeRedis)).toBeUndefined();
    expect(both.issues.map((i) => i.path)).toEqual(['--shapes-redis']);
    const noClient = new CliArgs(['--shapes-redis', 'redis://x'], SERVE_OPTIONS);
    readShapeStoreArg(noClient, 'm');
    expect(noClient.issues[0]!.allowed).toBe('not available in this command');
  });
});
