-- Schema version 9's new table: the outbox of mails (issue 18).
CREATE TABLE "outbox" (
  "id" SERIAL NOT NULL PRIMARY KEY,
  "kind" VARCHAR(40) NOT NULL,
  "recipient" VARCHAR(254) NOT NULL,
  "contact_id" INTEGER,
  "language" VARCHAR(2) NOT NULL,
  "payload" TEXT NOT NULL,
  "status" VARCHAR(20) NOT NULL,
  "attempts" INTEGER NOT NULL,
  "next_attempt_at" TIMESTAMP NOT NULL,
  "claimed_by" VARCHAR(100) NOT NULL,
  "claimed_until" TIMESTAMP,
  "last_error" TEXT NOT NULL,
  "created_at" TIMESTAMP NOT NULL,
  "delivered_at" TIMESTAMP,
  FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE SET NULL
);
CREATE INDEX "outbox_contact_id" ON "outbox" ("contact_id");
CREATE INDEX "outbox_status_next_attempt_at" ON "outbox" ("status", "next_attempt_at");
