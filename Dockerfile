# One image for the api and the worker (the command picks which). onnxruntime-node's CPU binary ships in
# the npm package; ONNXRUNTIME_NODE_INSTALL=skip stops its install script from downloading GPU extras.
FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
COPY migrations ./migrations
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production ONNXRUNTIME_NODE_INSTALL=skip STORAGE_DIR=/var/lib/privaudit
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
RUN mkdir -p /var/lib/privaudit && chown node:node /var/lib/privaudit
USER node
EXPOSE 3000
CMD ["node", "dist/apps/api/src/main.js"]
