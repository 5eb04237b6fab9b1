"""The `web` probe: a real browser through a health site, every byte it sends to third parties, and which of
them carry patient data. The seam: capture_model (CapturedRequest, CaptureSession) filled by the browser and by
HAR/mitmproxy imports; catalogue + trackers.toml + decoders/ (what each vendor's payload means); leaks
(LeakDetector: findings from captured sessions)."""
