-- the extra fields are kept encrypted (SM4-GCM under the node's field key): room for their ciphertext
ALTER TABLE exam_registration ALTER COLUMN extra_fields SET DATA TYPE VARCHAR(12000);
ALTER TABLE exam_received ALTER COLUMN extra_fields SET DATA TYPE VARCHAR(12000);
