"""What a study keeps: storage URLs, the study record (the one module that reads and writes stored keys),
resume checks, the trials frame, provenance and the storage proxy."""
