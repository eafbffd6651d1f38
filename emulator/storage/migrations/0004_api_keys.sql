-- API keys become records of their own. Keys an account had bound on first use (any SK… used
-- with any secret) are dropped: only keys issued through the Keys API or declared authenticate.
CREATE TABLE api_keys (sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, data TEXT NOT NULL);
UPDATE accounts SET data = json_remove(data, '$.api_keys');
