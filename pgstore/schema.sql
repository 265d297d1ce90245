-- The table of authgate's PostgreSQL API key store (package pgstore).
--
-- {{schema}} stands for the schema, a quoted identifier ("authgate" by
-- default), and {{channel}} for the LISTEN/NOTIFY channel, the schema's
-- name followed by ".api_keys", so that stores in several schemas of one
-- database never hear each other. pgstore.SchemaSQL returns this text
-- with both filled in; pgstore.Migrate runs it. Running it again changes
-- nothing: every statement is idempotent.
--
-- A row holds what a key-file line holds, and never a secret: the key's
-- public id, the SHA-256 of its secret (32 bytes), its subject, scopes and
-- environment ('' for any), and the creation, expiry and revocation times
-- (NULL for none); updated is set by the database on every change.

CREATE SCHEMA IF NOT EXISTS {{schema}};

CREATE TABLE IF NOT EXISTS {{schema}}.api_keys (
    id          text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.~:-]{1,64}$'),
    hash        bytea       NOT NULL CHECK (octet_length(hash) = 32),
    subject     text        NOT NULL CHECK (octet_length(subject) BETWEEN 1 AND 256),
    scopes      text[]      NOT NULL DEFAULT '{}' CHECK (cardinality(scopes) <= 64),
    environment text        NOT NULL DEFAULT '' CHECK (environment ~ '^[a-z0-9]{0,16}$'),
    created     timestamptz,
    expires     timestamptz,
    revoked     timestamptz,
    updated     timestamptz NOT NULL DEFAULT now()
);

-- updated is the time of the last change, whoever made it.
CREATE OR REPLACE FUNCTION {{schema}}.api_keys_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated := now();
    RETURN NEW;
END
$$;

-- Every change notifies the key's id on the channel; the stores of every
-- instance listening there re-read that row. A TRUNCATE notifies an empty
-- payload, which makes them re-read the whole table.
CREATE OR REPLACE FUNCTION {{schema}}.api_keys_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('{{channel}}', '');
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('{{channel}}', OLD.id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify('{{channel}}', NEW.id);
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS api_keys_touch ON {{schema}}.api_keys;
CREATE TRIGGER api_keys_touch BEFORE UPDATE ON {{schema}}.api_keys
    FOR EACH ROW EXECUTE FUNCTION {{schema}}.api_keys_touch();

DROP TRIGGER IF EXISTS api_keys_notify ON {{schema}}.api_keys;
CREATE TRIGGER api_keys_notify AFTER INSERT OR UPDATE OR DELETE ON {{schema}}.api_keys
    FOR EACH ROW EXECUTE FUNCTION {{schema}}.api_keys_notify();

DROP TRIGGER IF EXISTS api_keys_truncate ON {{schema}}.api_keys;
CREATE TRIGGER api_keys_truncate AFTER TRUNCATE ON {{schema}}.api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.api_keys_notify();
