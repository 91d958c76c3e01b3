-- Schema version 1 as it shipped. Never edit: later versions change it by migrations.
CREATE TABLE "organisation" (
  "id" INTEGER NOT NULL PRIMARY KEY,
  "customer_number" INTEGER NOT NULL,
  "name" VARCHAR(200) NOT NULL,
  "employee_count" INTEGER NOT NULL CHECK (employee_count >= 0),
  "segment" VARCHAR(100) NOT NULL,
  "max_submitters" INTEGER NOT NULL,
  "max_explanation" TEXT NOT NULL,
  "max_computed_at" DATETIME,
  "incident_sequence" INTEGER NOT NULL
);
CREATE UNIQUE INDEX "organisation_customer_number" ON "organisation" ("customer_number");
CREATE INDEX "organisation_segment" ON "organisation" ("segment");
CREATE TABLE "course" (
  "id" INTEGER NOT NULL PRIMARY KEY,
  "code" VARCHAR(40) NOT NULL,
  "name" VARCHAR(200) NOT NULL
);
CREATE UNIQUE INDEX "course_code" ON "course" ("code");
CREATE TABLE "submission_profile" (
  "id" INTEGER NOT NULL PRIMARY KEY,
  "name" VARCHAR(100) NOT NULL,
  "course_id" INTEGER NOT NULL,
  FOREIGN KEY ("course_id") REFERENCES "course" ("id") ON DELETE RESTRICT
);
CREATE UNIQUE INDEX "submission_profile_name" ON "submission_profile" ("name");
CREATE INDEX "submission_profile_course_id" ON "submission_profile" ("course_id");
CREATE TABLE "contact" (
  "id" INTEGER NOT NULL PRIMARY KEY,
  "organisation_id" INTEGER NOT NULL,
  "name" VARCHAR(200) NOT NULL,
  "email" VARCHAR(254) NOT NULL,
  "phone" VARCHAR(40) NOT NULL,
  "function" VARCHAR(100) NOT NULL,
  "created_at" DATETIME NOT NULL,
  "active" INTEGER NOT NULL,
  "submitter" INTEGER NOT NULL,
  "viewer" INTEGER NOT NULL,
  "admin" INTEGER NOT NULL,
  "expert_until" DATE,
  "oidc_subject" VARCHAR(255),
  FOREIGN KEY ("organisation_id") REFERENCES "organisation" ("id") ON DELETE RESTRICT
);
CREATE INDEX "contact_organisation_id" ON "contact" ("organisation_id");
CREATE UNIQUE INDEX "contact_oidc_subject" ON "contact" ("oidc_subject");
CREATE UNIQUE INDEX "contact_organisation_id_email" ON "contact" ("organisation_id", "email");
CREATE INDEX "contact_organisation_id_name" ON "contact" ("organisation_id", "name");
CREATE TABLE "contact_profile" (
  "id" INTEGER NOT NULL PRIMARY KEY,
  "contact_id" INTEGER NOT NULL,
  "profile_id" INTEGER NOT NULL,
  FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE CASCADE,
  FOREIGN KEY ("profile_id") REFERENCES "submission_profile" ("id") ON DELETE RESTRICT
);
CREATE INDEX "contact_profile_contact_id" ON "contact_profile" ("contact_id");
CREATE INDEX "contact_profile_profile_id" ON "contact_profile" ("profile_id");
CREATE UNIQUE INDEX "contact_profile_contact_id_profile_id" ON "contact_profile" ("contact_id", "profile_id");
CREATE TABLE "course_result" (
  "id" INTEGER NOT NULL PRIMARY KEY,
  "contact_id" INTEGER NOT NULL,
  "course_id" INTEGER NOT NULL,
  "score" DECIMAL(4, 2),
  "completed_at" DATETIME,
  FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE CASCADE,
  FOREIGN KEY ("course_id") REFERENCES "course" ("id") ON DELETE RESTRICT
);
CREATE INDEX "course_result_contact_id" ON "course_result" ("contact_id");
CREATE INDEX "course_result_course_id" ON "course_result" ("course_id");
CREATE UNIQUE INDEX "course_result_contact_id_course_id_completed_at" ON "course_result" ("contact_id", "course_id", "completed_at");
CREATE TABLE "incident" (
  "id" INTEGER NOT NULL PRIMARY KEY,
  "organisation_id" INTEGER NOT NULL,
  "number" VARCHAR(20) NOT NULL,
  "reporter_id" INTEGER NOT NULL,
  "profile_id" INTEGER NOT NULL,
  "subject" VARCHAR(200) NOT NULL,
  "description" TEXT NOT NULL,
  "priority" VARCHAR(20) NOT NULL,
  "reference" VARCHAR(100) NOT NULL,
  "status" VARCHAR(20) NOT NULL,
  "created_at" DATETIME NOT NULL,
  "updated_at" DATETIME NOT NULL,
  FOREIGN KEY ("organisation_id") REFERENCES "organisation" ("id") ON DELETE RESTRICT,
  FOREIGN KEY ("reporter_id") REFERENCES "contact" ("id") ON DELETE RESTRICT,
  FOREIGN KEY ("profile_id") REFERENCES "submission_profile" ("id") ON DELETE RESTRICT
);
CREATE INDEX "incident_organisation_id" ON "incident" ("organisation_id");
CREATE INDEX "incident_reporter_id" ON "incident" ("reporter_id");
CREATE INDEX "incident_profile_id" ON "incident" ("profile_id");
CREATE UNIQUE INDEX "incident_organisation_id_number" ON "incident" ("organisation_id", "number");
CREATE INDEX "incident_organisation_id_created_at" ON "incident" ("organisation_id", "created_at");
CREATE INDEX "incident_reporter_id_created_at" ON "incident" ("reporter_id", "created_at");
CREATE TABLE "incident_status_change" (
  "id" INTEGER NOT NULL PRIMARY KEY,
  "incident_id" INTEGER NOT NULL,
  "status" VARCHAR(20) NOT NULL,
  "changed_at" DATETIME NOT NULL,
  FOREIGN KEY ("incident_id") REFERENCES "incident" ("id") ON DELETE CASCADE
);
CREATE INDEX "incident_status_change_incident_id" ON "incident_status_change" ("incident_id");
CREATE TABLE "reaction" (
  "id" INTEGER NOT NULL PRIMARY KEY,
  "incident_id" INTEGER NOT NULL,
  "author_id" INTEGER,
  "body" TEXT NOT NULL,
  "created_at" DATETIME NOT NULL,
  FOREIGN KEY ("incident_id") REFERENCES "incident" ("id") ON DELETE CASCADE,
  FOREIGN KEY ("author_id") REFERENCES "contact" ("id") ON DELETE RESTRICT
);
CREATE INDEX "reaction_incident_id" ON "reaction" ("incident_id");
CREATE INDEX "reaction_author_id" ON "reaction" ("author_id");
CREATE TABLE "callback_request" (
  "id" INTEGER NOT NULL PRIMARY KEY,
  "contact_id" INTEGER NOT NULL,
  "phone" VARCHAR(40) NOT NULL,
  "topic" VARCHAR(200) NOT NULL,
  "preferred_moment" VARCHAR(40) NOT NULL,
  "created_at" DATETIME NOT NULL,
  FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE RESTRICT
);
CREATE INDEX "callback_request_contact_id" ON "callback_request" ("contact_id");
CREATE TABLE "quota_run" (
  "id" INTEGER NOT NULL PRIMARY KEY,
  "started_at" DATETIME NOT NULL,
  "finished_at" DATETIME,
  "organisations_changed" INTEGER NOT NULL,
  "outcome" VARCHAR(20) NOT NULL,
  "message" TEXT NOT NULL
);
CREATE TABLE "audit_entry" (
  "id" INTEGER NOT NULL PRIMARY KEY,
  "organisation_id" INTEGER NOT NULL,
  "actor_id" INTEGER,
  "contact_id" INTEGER,
  "kind" VARCHAR(30) NOT NULL,
  "field" VARCHAR(50) NOT NULL,
  "before" TEXT NOT NULL,
  "after" TEXT NOT NULL,
  "at" DATETIME NOT NULL,
  FOREIGN KEY ("organisation_id") REFERENCES "organisation" ("id") ON DELETE RESTRICT,
  FOREIGN KEY ("actor_id") REFERENCES "contact" ("id") ON DELETE RESTRICT,
  FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE RESTRICT
);
CREATE INDEX "audit_entry_organisation_id" ON "audit_entry" ("organisation_id");
CREATE INDEX "audit_entry_actor_id" ON "audit_entry" ("actor_id");
CREATE INDEX "audit_entry_contact_id" ON "audit_entry" ("contact_id");
CREATE INDEX "audit_entry_organisation_id_at" ON "audit_entry" ("organisation_id", "at");
CREATE TABLE "access_request" (
  "id" INTEGER NOT NULL PRIMARY KEY,
  "contact_id" INTEGER NOT NULL,
  "role" VARCHAR(20) NOT NULL,
  "reason" TEXT NOT NULL,
  "status" VARCHAR(20) NOT NULL,
  "created_at" DATETIME NOT NULL,
  "decided_by_id" INTEGER,
  "decided_at" DATETIME,
  "decision_note" TEXT NOT NULL,
  FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE CASCADE,
  FOREIGN KEY ("decided_by_id") REFERENCES "contact" ("id") ON DELETE RESTRICT
);
CREATE INDEX "access_request_contact_id" ON "access_request" ("contact_id");
CREATE INDEX "access_request_decided_by_id" ON "access_request" ("decided_by_id");
CREATE TABLE "web_session" (
  "key_hash" VARCHAR(64) NOT NULL PRIMARY KEY,
  "data" TEXT NOT NULL,
  "contact_id" INTEGER,
  "subject" VARCHAR(255),
  "sid" VARCHAR(255),
  "id_token" TEXT,
  "access_token" TEXT,
  "refresh_token" TEXT,
  "access_expires_at" DATETIME,
  "refresh_failing_since" DATETIME,
  "created_at" DATETIME NOT NULL,
  "last_seen_at" DATETIME NOT NULL,
  "expires_at" DATETIME NOT NULL,
  FOREIGN KEY ("contact_id") REFERENCES "contact" ("id") ON DELETE CASCADE
);
CREATE INDEX "web_session_contact_id" ON "web_session" ("contact_id");
CREATE INDEX "web_session_subject" ON "web_session" ("subject");
CREATE INDEX "web_session_sid" ON "web_session" ("sid");
CREATE INDEX "web_session_expires_at" ON "web_session" ("expires_at");
