#!/bin/sh
# FerretDB passes each client's credentials to PostgreSQL: its users are PostgreSQL roles,
# and its data lives in a database that role owns (as scripts/services.sh sets up natively).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE "$MONGO_USER" LOGIN PASSWORD '$MONGO_PASSWORD';
CREATE DATABASE ferretdb OWNER "$MONGO_USER";
SQL
