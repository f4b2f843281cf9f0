-- Creates (or updates) the login role the api and the worker use for tenant-scoped transactions
-- (DATABASE_TENANT_URL; docs/security.md, "Tenants"). Idempotent: run it at every deployment, e.g.
--   POSTGRES_TENANT_PASSWORD=... psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -q -f scripts/sql/tenant-login.sql
-- as a role with CREATEROLE (or a superuser). docker-compose.yml runs it before the api starts.
-- From the environment (psql's \getenv, psql 15+; never on the command line, where `ps` would show it):
--   POSTGRES_TENANT_PASSWORD  the login role's password (required)
--   DATABASE_TENANT_LOGIN     the login role's name (default privaudit_tenant)
--   DATABASE_TENANT_ROLE      the NOLOGIN tenant role the migrations grant the tables to (default privaudit_app)
-- The login role gets nothing but membership in the tenant role: it is neither superuser, nor BYPASSRLS, nor
-- CREATEROLE, nor the owner of anything, which the api and the worker check at start-up.
\set ON_ERROR_STOP on
\getenv tenant_password POSTGRES_TENANT_PASSWORD
\getenv login_role DATABASE_TENANT_LOGIN
\getenv tenant_role DATABASE_TENANT_ROLE
\if :{?tenant_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'tenant-login.sql: POSTGRES_TENANT_PASSWORD is not set'; END $$;
\endif
\if :{?login_role}
\else
  \set login_role privaudit_tenant
\endif
\if :{?tenant_role}
\else
  \set tenant_role privaudit_app
\endif
SELECT (length(:'tenant_password') >= 16) AS password_long_enough \gset
\if :password_long_enough
\else
  DO $$ BEGIN RAISE EXCEPTION 'tenant-login.sql: POSTGRES_TENANT_PASSWORD must be at least 16 characters'; END $$;
\endif
SELECT (:'login_role' ~ '^[a-z_][a-z0-9_]{0,62}$' AND :'tenant_role' ~ '^[a-z_][a-z0-9_]{0,62}$'
        AND :'login_role' <> :'tenant_role') AS names_valid \gset
\if :names_valid
\else
  DO $$ BEGIN RAISE EXCEPTION 'tenant-login.sql: DATABASE_TENANT_LOGIN and DATABASE_TENANT_ROLE must be two different lower-case SQL identifiers'; END $$;
\endif

-- The tenant role, as the migration 1764190000000-tenants creates it (which then finds it and grants it the tables).
SELECT format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE', :'tenant_role')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'tenant_role') \gexec
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION INHERIT', :'login_role')
  WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'login_role') \gexec
-- Every run resets the attributes (a role created earlier by hand may have more) and the password (rotation).
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION INHERIT PASSWORD %L',
              :'login_role', :'tenant_password') \gexec
SELECT format('GRANT %I TO %I', :'tenant_role', :'login_role')
  WHERE NOT pg_has_role(:'login_role', :'tenant_role', 'MEMBER') \gexec
