-- Contacts of the Consent Management API (POST accounts.twilio.com/v1/Contacts/Bulk), one row each.
CREATE TABLE contacts (
    account_sid TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (account_sid, contact_id)
);
