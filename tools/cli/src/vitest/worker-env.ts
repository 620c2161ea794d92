import { inject } from 'vitest';

// Projects that run in a worker started before the global setup, or in a pool
// that does not inherit the environment, still see the run's Azurite and Redis.
process.env.AZURE_STORAGE_CONNECTION_STRING ||= inject('azureStorageConnectionString');
process.env.REDIS_URL ||= inject('redisUrl');
