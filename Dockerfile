# syntax=docker/dockerfile:1
# One image for all three services; the service is chosen with the APP build argument
# (orders, inventory or shipping), which is also kept as the APP environment variable so that it
# can be overridden at run time:
#   docker build --build-arg APP=inventory -t orders-system/inventory .
#   docker run -e APP=shipping ... orders-system/inventory   # runs shipping instead
# Every service setting is read from the environment; see .env.example.

############################
# build: compile all apps with the Nest CLI (webpack, node_modules stay external)
############################
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

############################
# runtime: production node_modules + the compiled bundles
############################
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# @embedded-postgres/* (the dev-time embedded database) is a regular dependency and is installed
# here too; the containers use the postgres service instead and never start it.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist

# Declared late so that the layers above are shared by the three images.
ARG APP=orders
ENV APP=${APP}

USER node
CMD ["sh", "-c", "if [ ! -f \"dist/apps/$APP/main.js\" ]; then echo \"APP must be orders, inventory or shipping (got '$APP')\" >&2; exit 64; fi; exec node --max-semi-space-size=64 \"dist/apps/$APP/main.js\""]
