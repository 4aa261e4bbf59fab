"""The change stream's subscribers: webhook subscriptions and their deliveries."""
