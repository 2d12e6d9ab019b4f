-- Plan 7.2 V3: notification preferences and last login.
ALTER TABLE users
    ADD COLUMN email_notifications BOOLEAN NOT NULL DEFAULT TRUE,
    ADD COLUMN sms_notifications BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN push_notifications BOOLEAN NOT NULL DEFAULT FALSE,
    ADD COLUMN last_login TIMESTAMP NULL;
