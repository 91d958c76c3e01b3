-- Schema version 2's new table: the scheduler's guard.
CREATE TABLE "job_lock" (
  "name" VARCHAR(50) NOT NULL PRIMARY KEY,
  "slot" VARCHAR(40) NOT NULL,
  "owner" VARCHAR(100) NOT NULL,
  "locked_until" DATETIME NOT NULL
);
