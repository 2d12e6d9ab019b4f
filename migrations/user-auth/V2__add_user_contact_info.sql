-- Plan 7.2 V2: contact details.
ALTER TABLE users
    ADD COLUMN phone VARCHAR(20) NULL,
    ADD COLUMN first_name VARCHAR(100) NULL,
    ADD COLUMN last_name VARCHAR(100) NULL;

CREATE UNIQUE INDEX idx_users_email ON users (email);
