-- LeafLoaf state in Cloud Spanner (GoogleSQL dialect). SpannerStore creates these tables
-- when they are missing; each statement is separated by a line holding only ";".
-- A shopper's statistics rows and events are interleaved in their Users row, so every
-- read of one shopper is one contiguous key range on one split, and erasing a shopper is
-- one delete that cascades.
CREATE TABLE Users (
  user_id STRING(MAX) NOT NULL,
) PRIMARY KEY (user_id)
;
CREATE TABLE StateRows (
  user_id STRING(MAX) NOT NULL,
  row_key STRING(MAX) NOT NULL,
  vals ARRAY<FLOAT64> NOT NULL,
) PRIMARY KEY (user_id, row_key),
  INTERLEAVE IN PARENT Users ON DELETE CASCADE
;
CREATE TABLE Events (
  user_id STRING(MAX) NOT NULL,
  seq INT64 NOT NULL,
  event_id STRING(MAX) NOT NULL,
  type STRING(32) NOT NULL,
  ts FLOAT64 NOT NULL,
  product_id STRING(MAX),
  quantity FLOAT64 NOT NULL,
  unit_price FLOAT64,
  query STRING(MAX),
  basket_id STRING(MAX),
  member_id STRING(MAX),
  household_id STRING(MAX),
  utc_offset FLOAT64 NOT NULL,
) PRIMARY KEY (user_id, seq),
  INTERLEAVE IN PARENT Users ON DELETE CASCADE
;
-- Duplicate detection over the whole log (one global index lookup per batch).
CREATE UNIQUE NULL_FILTERED INDEX EventsById ON Events (event_id)
;
-- Log order across shoppers (what batch fits scan) and member/household look-ups.
CREATE INDEX EventsBySeq ON Events (seq)
;
CREATE NULL_FILTERED INDEX EventsByMember ON Events (member_id)
;
CREATE NULL_FILTERED INDEX EventsByHousehold ON Events (household_id)
;
-- One row: commits (what external_changes compares) and the next log sequence number.
CREATE TABLE Meta (
  k STRING(64) NOT NULL,
  commits INT64 NOT NULL,
  next_seq INT64 NOT NULL,
) PRIMARY KEY (k)
