# syntax=docker/dockerfile:1
# orderflow: build with the dev dependencies, ship dist/ with the production ones only.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/.data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Without DATABASE_URL the app runs embedded PostgreSQL in DATA_DIR, as this user.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
# node handles SIGTERM itself: HTTP server, then pool, then PostgreSQL.
CMD ["node", "--max-semi-space-size=32", "dist/main.js", "all"]
