# maint's image: one binary, started as `api`, `worker` or `sim` (src/main.ts). Not built on the development machine
# (no Docker engine there); see README "What was and was not run".
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src src
COPY workflows workflows
COPY activities activities
COPY scripts scripts
COPY test test
RUN npx tsc -p . && npm prune --omit=dev

FROM node:20.20.2-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# The worker bundles workflow code at start from these sources (webpack + swc ship with @temporalio/worker).
COPY --from=build /app/workflows workflows
COPY --from=build /app/activities activities
COPY --from=build /app/src src
USER node
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["api"]
