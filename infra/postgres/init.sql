-- Run once by the postgres image when its data volume is empty (docker-compose.yml mounts this file
-- into /docker-entrypoint-initdb.d). One database per service; each service creates its own tables.
CREATE DATABASE orders;
CREATE DATABASE inventory;
CREATE DATABASE shipping;
