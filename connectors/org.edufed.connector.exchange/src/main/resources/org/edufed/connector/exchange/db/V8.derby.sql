-- an outbox row no longer carries its record's payload: it says which record to send, and the record (in
-- edufed_fed_record, written in the same transaction) is sent as it is when the row goes up. Rows queued before
-- keep their payload and are sent with it.
ALTER TABLE edufed_fed_outbox ALTER COLUMN payload NULL;
