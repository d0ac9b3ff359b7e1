# maint's image: one binary, started as `api`, `worker` or `sim` (src/main.ts). Not built on the development machine
# (no Docker engine there); test/unit/compose.test.ts checks it (pinned base, Node version, non-root, what it copies).
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci's postinstall applies maint's patches of its dependencies (patch-package; README, "Patched dependencies").
COPY patches patches
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
# dist holds everything the processes run, and the workflow code the worker bundles at start: the SDK bundles
# dist/workflows (WORKFLOWS_PATH in src/temporal/worker.ts, resolved from dist/src/temporal) with webpack and swc.
COPY --from=build /app/dist dist
USER node
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["api"]
