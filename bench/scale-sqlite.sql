-- Copies the integration :template (:copies times) with new application ids, the same secret
-- hash and the same policies, in one transaction. For bench/scale.sh, until `p6auth import`.
BEGIN;
CREATE TEMP TABLE copies AS
  WITH RECURSIVE n(i) AS (SELECT 1 WHERE :copies > 0 UNION ALL SELECT i + 1 FROM n WHERE i < :copies)
  SELECT printf('00000000-0000-4000-8000-%012d', i) AS application_id, i FROM n;
INSERT INTO integrations (application_id, name, redirect_uri, enabled, created_at, updated_at)
  SELECT c.application_id, 'scale ' || c.i, t.redirect_uri, t.enabled, t.created_at, t.updated_at
  FROM copies c, integrations t WHERE t.application_id = :template;
INSERT INTO integration_secrets (application_id, hash, created_at, expires_at)
  SELECT c.application_id, s.hash, s.created_at, s.expires_at
  FROM copies c, integration_secrets s WHERE s.application_id = :template;
INSERT INTO integration_policies (application_id, position, instance, permission_set_id)
  SELECT c.application_id, p.position, p.instance, p.permission_set_id
  FROM copies c, integration_policies p WHERE p.application_id = :template;
COMMIT;
SELECT count(*) || ' integrations' FROM integrations;
