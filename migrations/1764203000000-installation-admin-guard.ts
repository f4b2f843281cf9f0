import { MigrationInterface, QueryRunner } from 'typeorm';

// Only the installation makes an installation admin (docs/security.md, "Tenants"). api_keys is tenant-owned, and the
// tenant role may INSERT and UPDATE a tenant's own keys: without this trigger, SQL sent in a tenant's transaction
// (even on the tenant login, DATABASE_TENANT_URL) could set installation_admin on its own key and then create
// tenants. The trigger admits the flag only from a member of the table's owner (the installation's connection; a
// superuser too); the application never sets it otherwise (the entity neither inserts nor updates the column).
export class InstallationAdminGuard1764203000000 implements MigrationInterface {
  name = 'InstallationAdminGuard1764203000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION api_keys_installation_admin_guard() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.installation_admin AND (TG_OP = 'INSERT' OR NOT OLD.installation_admin)
           AND NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
          RAISE EXCEPTION 'only the installation makes an installation admin' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER api_keys_installation_admin_guard BEFORE INSERT OR UPDATE OF installation_admin ON api_keys
      FOR EACH ROW EXECUTE FUNCTION api_keys_installation_admin_guard()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER api_keys_installation_admin_guard ON api_keys`);
    await q.query(`DROP FUNCTION api_keys_installation_admin_guard()`);
  }
}
