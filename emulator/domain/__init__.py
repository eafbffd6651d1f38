"""The emulator's domain: state, rules and verbs, with no Flask import."""
