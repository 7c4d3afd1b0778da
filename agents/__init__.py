"""The Faust runtime: settings, the app factory, topics, metrics, agents, web views and the CLI."""
