-- Every record is kept as JSON beside the columns it is looked up by; the in-memory state is
-- rebuilt from these tables at start.
CREATE TABLE accounts (sid TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE senders (sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE services (sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE messages (sid TEXT PRIMARY KEY, account_sid TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX messages_by_seq ON messages (seq);
CREATE TABLE opt_outs (key TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE auto_replies (id INTEGER PRIMARY KEY AUTOINCREMENT, account_sid TEXT NOT NULL, data TEXT NOT NULL);
