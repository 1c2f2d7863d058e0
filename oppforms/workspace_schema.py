"""The web app's workspace database (:mod:`oppforms.workspace`): its tables, as the
migrations that made them, in order. A workspace runs those it has not run yet when opened
(``PRAGMA user_version`` counts them); a migration is never changed once released, only
added."""

from __future__ import annotations

#: Migrations, in order; ``PRAGMA user_version`` says how many have run.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE uploads (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, stored TEXT NOT NULL,
        size INTEGER NOT NULL, created TEXT NOT NULL
    );
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL, total INTEGER NOT NULL DEFAULT 0,
        done INTEGER NOT NULL DEFAULT 0, message TEXT NOT NULL DEFAULT '', options TEXT NOT NULL DEFAULT '{}',
        created TEXT NOT NULL, finished TEXT
    );
    CREATE TABLE job_uploads (job TEXT NOT NULL REFERENCES jobs(id), upload TEXT NOT NULL REFERENCES uploads(id));
    CREATE TABLE fill_results (
        job TEXT NOT NULL REFERENCES jobs(id), position INTEGER NOT NULL, source TEXT NOT NULL, row INTEGER NOT NULL,
        status TEXT NOT NULL, file TEXT NOT NULL, reason TEXT NOT NULL, document TEXT NOT NULL, pages INTEGER NOT NULL,
        warnings TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (job, position)
    );
    CREATE TABLE files (
        id INTEGER PRIMARY KEY, job TEXT NOT NULL REFERENCES jobs(id), upload TEXT NOT NULL, name TEXT NOT NULL,
        status TEXT NOT NULL, reason TEXT NOT NULL, notes TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE records (
        id INTEGER PRIMARY KEY, file INTEGER NOT NULL REFERENCES files(id), position INTEGER NOT NULL,
        data TEXT NOT NULL
    );
    CREATE TABLE decisions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, record INTEGER NOT NULL REFERENCES records(id),
        item INTEGER NOT NULL, value TEXT, signed INTEGER, later TEXT, decided TEXT NOT NULL,
        UNIQUE (record, item)
    );
    CREATE TABLE log (id INTEGER PRIMARY KEY, at TEXT NOT NULL, who TEXT NOT NULL, what TEXT NOT NULL);
    """,
    # 2: archiving from the web app
    """
    CREATE TABLE archive_results (
        job TEXT NOT NULL REFERENCES jobs(id), position INTEGER NOT NULL, record INTEGER NOT NULL,
        status TEXT NOT NULL, package TEXT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY (job, position)
    );
    """,
    # 3: a returned file uploaded again is known by its bytes (uploads stored before this
    # migration have sha256 '' until :meth:`Workspace.upload_sha256` computes it); a file
    # not read again names the file read before in same_as
    """
    ALTER TABLE uploads ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';
    ALTER TABLE files ADD COLUMN same_as INTEGER REFERENCES files(id);
    CREATE INDEX uploads_sha256 ON uploads (sha256);
    """,
    # 4: decisions taken in one step (the values of pages that did not come back, taken as
    # issued) share a batch, and are undone together; an archived record keeps the SHA-256
    # of what was archived, so one corrected after it is ready to archive again ('' for
    # results before this migration: taken as what the record is now)
    """
    ALTER TABLE decisions ADD COLUMN batch INTEGER;
    ALTER TABLE archive_results ADD COLUMN digest TEXT NOT NULL DEFAULT '';
    """,
)
