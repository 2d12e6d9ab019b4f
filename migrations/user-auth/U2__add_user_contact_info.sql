DROP INDEX idx_users_email ON users;
ALTER TABLE users DROP COLUMN phone, DROP COLUMN first_name, DROP COLUMN last_name;
