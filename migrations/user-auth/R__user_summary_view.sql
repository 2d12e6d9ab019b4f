-- Repeatable: re-applied whenever this file changes.
CREATE OR REPLACE VIEW user_summary AS
SELECT u.id, u.username, u.email, u.first_name, u.last_name, u.created_at, u.last_login,
       (SELECT GROUP_CONCAT(r.role ORDER BY r.role SEPARATOR ',')
          FROM user_roles r WHERE r.user_id = u.id) AS roles
FROM users u;
