-- The user's language, for localized notification emails (issue 4, user-auth profile).
ALTER TABLE users
    ADD COLUMN language VARCHAR(10) NOT NULL DEFAULT 'en';
