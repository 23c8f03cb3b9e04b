// pm2 ecosystem file for people who run pm2: the same four-instance cluster
// `npm start` runs, as in the original multi-instance article. Build first
// (`npm run build`), start PostgreSQL and the Pub/Sub emulator yourself, then
// `pm2 start ecosystem.config.cjs`. Each instance needs its own INSTANCE_ID so
// it gets its own Pub/Sub subscription; `pm2 stop` sends SIGINT, on which each
// instance deletes its subscription before exiting.
const shared = {
  script: 'dist/main.js',
  kill_timeout: 25_000,
  env: {
    BUS: process.env.BUS ?? 'pubsub',
    PUBSUB_EMULATOR_HOST: process.env.PUBSUB_EMULATOR_HOST ?? '127.0.0.1:8085',
    DATABASE_URL:
      process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  },
};

module.exports = {
  apps: [1, 2, 3, 4].map((n) => ({
    ...shared,
    name: `template-feed-${n}`,
    env: {
      ...shared.env,
      PORT: String(3000 + n),
      INSTANCE_ID: `instance-${n}`,
    },
  })),
};
