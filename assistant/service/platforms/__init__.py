"""One adapter per platform: authenticate, parse, hand an `IncomingMessage` to the core."""
