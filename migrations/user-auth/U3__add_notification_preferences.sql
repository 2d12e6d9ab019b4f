ALTER TABLE users
    DROP COLUMN email_notifications,
    DROP COLUMN sms_notifications,
    DROP COLUMN push_notifications,
    DROP COLUMN last_login;
