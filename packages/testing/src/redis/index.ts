export {
  REDIS_URL,
  probeRedis,
  redisGate,
  redisTestEnv,
  deleteKeys,
  type RedisGate,
  type RedisTestEnv,
  type RedisTestEnvOptions,
} from './redis-test-env.js';
