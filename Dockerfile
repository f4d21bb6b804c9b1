# One image for every role (CUTOVER_ROLE=web, worker or all); docs/deploy.md describes running it.
FROM node:24-bookworm-slim
WORKDIR /app
# NODE_ENV=production also tells Cutover this is a deployment: without SLACK_BOT_TOKEN it exits
# with the reason instead of starting the local playground (which binds 127.0.0.1).
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# Production dependencies only: tsx (which loads the TypeScript sources), DuckDB's and resvg's
# linux binaries, the fonts for charts. Nothing is compiled, so there is no build stage.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
# `cutover doctor|validate|dq|diff|report` on the PATH: `docker compose run --rm cutover cutover doctor …`.
RUN ln -s /app/bin/cutover.js /usr/local/bin/cutover
USER node
EXPOSE 3000
# node itself as PID 1 (not npm) so SIGTERM reaches the app's graceful stop.
CMD ["node", "--import", "tsx", "src/main.ts"]
