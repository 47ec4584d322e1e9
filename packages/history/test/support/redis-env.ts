import { redisTestEnv } from '@warmpool/testing/redis';

export { REDIS_URL, deleteKeys } from '@warmpool/testing/redis';
export const { describeWithRedis, freshPrefix } = redisTestEnv({ suite: 'history', keyPrefix: 'wptest:history' });
