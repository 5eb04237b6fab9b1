"""The `har` probe: the web probe's leak detection over recorded traffic (HAR 1.2 files, including mitmproxy's
HAR export and Chromium's, and mitmproxy `-w` flow dumps), typically from mobile apps, with the canary values
the tester typed given in `--canary-file`."""
