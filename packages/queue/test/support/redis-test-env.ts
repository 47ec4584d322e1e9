import { redisTestEnv } from '@warmpool/testing/redis';

export { REDIS_URL, deleteKeys } from '@warmpool/testing/redis';
export const { describeWithRedis, freshPrefix } = redisTestEnv({ suite: 'queue' });

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
