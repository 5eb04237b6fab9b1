"""The storage probe: S3 (and S3-compatible servers), GCS and Azure Blob buckets strangers can list or read."""
